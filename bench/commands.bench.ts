/**
 * Bench (g): CommandService.Interpret through the gateway with the
 * deterministic parser (no model configured): the sentence is parsed, its
 * names resolved from the commands service's read model, each step's
 * permission checked as a dry run, and the plan recorded (one append to
 * `plan-<id>`) before the reply. Beside ListAgents through the same gateway in
 * the same run, one call at a time and with calls in flight: the cost of the
 * gateway hop, authentication and authorization is in both, so the ratio is
 * what interpreting costs over a plain read.
 */
import { randomUUID } from 'node:crypto';
import type { Tool } from '@aos/contracts';
import { startTestStack } from '@aos/testing';
import { closedLoop, formatRow, type LoadResult } from './measure';

const OPS = Number(process.env.AOS_BENCH_COMMAND_OPS ?? 2_000);
const CONCURRENCY = 16;
const WARMUP = Math.min(200, OPS / 10);
const AGENTS = 200;
const PAGE = 10;

const SHORT = 'pause billing-helper';
const LONG = 'create invoice-bot with capabilities invoices and refunds, give it the ledger tool and deploy it';

async function measure(concurrency: number, op: (i: number) => Promise<unknown>): Promise<LoadResult> {
  await closedLoop(concurrency, WARMUP, op);
  return closedLoop(concurrency, OPS, op);
}

export async function benchCommands(): Promise<void> {
  process.stdout.write(
    `\n(g) Interpret (parser) through the gateway: ${OPS} calls one at a time and ${OPS} with ${CONCURRENCY} in flight, ${AGENTS} agents in the tenant\n`,
  );
  // No model (an empty value is unset): the figures are the parser's, whatever the environment sets.
  const t = await startTestStack({ env: { AOS_OPENAI_BASE_URL: '' } });
  try {
    const { client } = t;
    await client.tools.registerTool({
      requestId: randomUUID(),
      tool: {
        name: 'ledger',
        description: 'Reads and writes the ledger',
        risk: 'WRITE' as Tool['risk'],
        http: { endpoint: 'http://127.0.0.1:9/ledger', method: 'POST' },
        inputSchemaJson: '{"type":"object"}',
      } as Tool,
    });
    for (let i = 0; i < AGENTS; i++) {
      const agent = await client.agents.createAgent({
        requestId: randomUUID(),
        agent: { name: i === 0 ? 'billing-helper' : `agent-${i}`, capabilities: ['billing'] },
      });
      // Only an ACTIVE agent can be paused: billing-helper is, so SHORT plans one step.
      if (i === 0) await client.agents.deployAgent({ id: agent.id, requestId: randomUUID() });
    }
    // The plans must be what is measured, not a refusal: check both sentences plan as expected once.
    for (const text of [SHORT, LONG]) {
      const plan = await client.commands.interpret({ text, requestId: '' });
      if (!plan.executable) throw new Error(`"${text}" does not plan: ${JSON.stringify([plan.questions, plan.notes])}`);
    }

    const list = () => client.agents.listAgents({ pageSize: PAGE, pageToken: '', filter: '', minPosition: 0 });
    const interpret = (text: string) => () => client.commands.interpret({ text, requestId: '' });

    const rows: [string, LoadResult, LoadResult?][] = [];
    for (const concurrency of [1, CONCURRENCY]) {
      const baseline = await measure(concurrency, list);
      rows.push([`ListAgents (${PAGE} of ${AGENTS}), ${concurrency} in flight`, baseline]);
      rows.push([`Interpret, 1 step (vs ListAgents)`, await measure(concurrency, interpret(SHORT)), baseline]);
      rows.push([
        `Interpret create+tool+deploy (vs ListAgents)`,
        await measure(concurrency, interpret(LONG)),
        baseline,
      ]);
    }
    process.stdout.write(`\n  1 step: "${SHORT}"\n  create+tool+deploy: "${LONG}"\n`);
    for (const [name, r, baseline] of rows) process.stdout.write(formatRow(name, r, baseline) + '\n');
  } finally {
    await t.stop();
  }
}
