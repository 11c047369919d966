/**
 * An external agent: a process built with any framework (here, plain
 * TypeScript and no model at all) that works as one of the tenant's agents.
 * It attaches through the gateway, receives the agent's tasks, calls a tool
 * through AgentOS (governed and recorded like the built-in runtime's calls),
 * optionally searches the agent's knowledge bases and notes what it found in
 * the request's shared context, reports a step and returns a result.
 *
 *   npm run example:agent -- --agent <agent-id> [--tool <tool-name>] [--knowledge]
 *
 * The agent must carry the label `aos.runtime=external`, e.g.
 *   aos agents create --name intake --capability intake --label aos.runtime=external
 * Environment: AOS_GATEWAY_ADDR (default 127.0.0.1:50051), AOS_API_KEY (default:
 * the bootstrap key file that `npm start` writes under AOS_DATA_DIR or .aos/).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runExternalAgent, type TaskContext } from '@aos/agent-sdk';

const USAGE = `usage: npm run example:agent -- --agent <agent-id> [--tool <tool-name>] [--knowledge]

Attaches to AgentOS as the given agent (labelled aos.runtime=external) and works its tasks:
reports a step, calls <tool-name> with {"text": <the task text>} when given, with
--knowledge searches the agent's knowledge bases for the task text and notes the best
citation in the request's shared context (key "example-agent.citation"), and answers
with what it did. Ctrl-C detaches (exit 0); unfinished tasks are offered to the next session
at once. It exits 1 when AgentOS ends the session for good (the agent was retired, the key
lost runtime.attach).

environment:
  AOS_GATEWAY_ADDR  gateway address (default 127.0.0.1:50051)
  AOS_API_KEY       API key with runtime.attach (default: <AOS_DATA_DIR or .aos>/bootstrap-admin.key)`;

function apiKey(): string {
  if (process.env.AOS_API_KEY) return process.env.AOS_API_KEY;
  const file = join(process.env.AOS_DATA_DIR ?? '.aos', 'bootstrap-admin.key');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    throw new Error(`no API key: set AOS_API_KEY or run npm start first (it writes ${file})`);
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      agent: { type: 'string' },
      tool: { type: 'string' },
      knowledge: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (!values.agent) {
    process.stderr.write('--agent is required\n' + USAGE + '\n');
    return 2;
  }
  const tool = values.tool;
  const agent = runExternalAgent({
    address: process.env.AOS_GATEWAY_ADDR ?? '127.0.0.1:50051',
    apiKey: apiKey(),
    agentId: values.agent,
    onError: (error) => process.stderr.write(`[example-agent] ${error.message}\n`),
    handleTask: async (ctx) => {
      process.stdout.write(`[example-agent] task ${ctx.task.id} (attempt ${ctx.attempt}): ${ctx.task.text}\n`);
      ctx.reportStep('read the task', { characters: ctx.task.text.length });
      const found = values.knowledge ? await cite(ctx) : '';
      if (!tool) return `Received "${ctx.task.text}" (no tool configured).${found}`;
      const call = await ctx.callTool(tool, { text: ctx.task.text });
      if (call.decision === 'DENIED' || call.decision === 'REJECTED') {
        throw new Error(`tool ${tool} refused: ${call.error}`);
      }
      if (call.error) throw new Error(`tool ${tool} failed: ${call.error}`);
      return `Called ${tool}; it answered: ${call.result}${found}`;
    },
  });
  const attached = await agent.attached;
  process.stdout.write(
    `[example-agent] attached as ${attached.agent?.name} (${values.agent}), session ${attached.sessionId}; ` +
      `tools: ${attached.tools.map((t) => t.name).join(', ') || 'none'}\n`,
  );
  const signalled = new Promise<undefined>((resolve) => {
    process.once('SIGINT', () => resolve(undefined));
    process.once('SIGTERM', () => resolve(undefined));
  });
  // Runs until stopped by a signal, or by AgentOS for good (the agent retired, the key lost runtime.attach).
  const failure = await Promise.race([signalled, agent.stopped]);
  await agent.close();
  if (failure) {
    process.stderr.write(`[example-agent] stopped: ${failure.message}\n`);
    return 1;
  }
  return 0;
}

/**
 * Searches the agent's knowledge bases for the task's text (recorded in the run with
 * the citations) and notes the best citation in the request's shared context.
 */
async function cite(ctx: TaskContext): Promise<string> {
  const { results } = await ctx.searchKnowledge(ctx.task.text, { topK: 1 });
  const best = results[0];
  if (!best?.citation) return ' Nothing in the knowledge bases matched.';
  const { documentId, documentVersion, startOffset, endOffset } = best.citation;
  const noted = await ctx.putContext('example-agent.citation', best.citation);
  return ` Best match: "${best.snippet}" (${documentId} v${documentVersion}, characters ${startOffset}-${endOffset}; noted as version ${noted.version} in ${noted.scope}).`;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`[example-agent] ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
