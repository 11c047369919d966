import type { Command } from 'commander';
import type { Execution, Plan, PlanStep } from '@aos/contracts';
import { EXIT_FAILURE, EXIT_NOT_ALLOWED, EXIT_USAGE, type ActionRunner, type CliContext } from '../cli-context';
import { idsAsTheyAre, type IdLabels, type NamedKind } from '../output/id-labels';
import { isShownReply, renderExecution, renderPlan } from '../output/plan.view';
import { readStepView, type ReadStepView } from '../output/read-step.view';
import { decodeStepReply } from '../output/step-reply';
import { examples } from './command-options';
import { nameRefsOf } from './name-ref';

interface DoFlags {
  yes?: boolean;
  requestId?: string;
}

const riskOf = (step: PlanStep): string => step.risk;
const isReadOnly = (plan: Plan): boolean => plan.steps.every((step) => riskOf(step) === 'READ');

/**
 * `aos do "<sentence>"`: Interpret, show the plan, and Execute it only when it
 * is settled, every step is permitted and the person (or --yes) confirmed. The
 * server refuses such plans too; stopping here spares a call and says why in
 * the caller's terms.
 */
async function doSentence(ctx: CliContext, words: string[], flags: DoFlags): Promise<number> {
  const client = await ctx.connect();
  const plan = await client.commands.interpret(
    { text: words.join(' '), requestId: flags.requestId ?? '' },
    { signal: ctx.signal },
  );
  const show = (execution?: Execution): void => {
    if (ctx.json) ctx.writeJson(execution ? { plan, execution } : { plan });
  };
  if (!ctx.json) ctx.write(renderPlan(plan));

  if (!plan.executable) {
    show();
    ctx.warn(
      plan.questions.length > 0
        ? `not run: the plan has ${plan.questions.length} open question(s); say it again more precisely`
        : 'not run: nothing in the text is a command (see docs/commands.md for what can be said)',
    );
    return EXIT_USAGE;
  }
  const refused = plan.steps.filter((step) => !step.permitted);
  if (refused.length > 0) {
    show();
    for (const step of refused) {
      ctx.warn(`step ${step.index + 1} needs ${step.permission} on ${step.resource}: ${step.permissionExplanation}`);
    }
    ctx.warn(`not run: you may not run ${refused.length} of the ${plan.steps.length} step(s)`);
    return EXIT_NOT_ALLOWED;
  }

  const destructive = plan.steps.filter((step) => riskOf(step) === 'DESTRUCTIVE');
  if (!flags.yes && !isReadOnly(plan)) {
    if (ctx.json) {
      // A script gets the plan to inspect; it runs writes only when it says --yes.
      show();
      return 0;
    }
    if (!(await confirmed(ctx, plan, destructive))) {
      ctx.warn('not run: not confirmed');
      return EXIT_FAILURE;
    }
  }

  const execution = await client.commands.execute(
    { planId: plan.id, digest: plan.digest, confirmDestructive: destructive.length > 0 },
    { signal: ctx.signal },
  );
  if (ctx.json) show(execution);
  else ctx.write(renderExecution(execution, plan, await readableReplies(ctx, execution, plan)));
  return execution.succeeded ? 0 : EXIT_FAILURE;
}

/**
 * Each read step's reply as the dedicated command shows it (`aos agents
 * list` for ListAgents, …), by the outcome's index; a reply with no view, or
 * one that is not a whole reply, is left out and printed as JSON.
 */
async function readableReplies(ctx: CliContext, execution: Execution, plan: Plan): Promise<Map<number, string>> {
  const shown: { index: number; view: ReadStepView; reply: unknown }[] = [];
  for (const outcome of execution.outcomes) {
    const step = plan.steps[outcome.index];
    const view = step && isShownReply(outcome, plan) ? readStepView(step.service, step.method) : undefined;
    if (!step || !view) continue;
    const reply = await decodeStepReply(step.service, step.method, outcome.responseJson);
    if (reply !== undefined) shown.push({ index: outcome.index, view, reply });
  }
  const labels = await namesFor(
    ctx,
    shown.flatMap(({ view, reply }) => view.refs(reply)),
  );
  return new Map(shown.map(({ index, view, reply }) => [index, view.render(reply, labels)]));
}

/** Names beside ids; the plan has run by now, so a failed lookup costs the names, not the answer. */
async function namesFor(ctx: CliContext, refs: [NamedKind, string][]): Promise<IdLabels> {
  if (refs.length === 0) return idsAsTheyAre;
  try {
    return await (await nameRefsOf(ctx)).labels(refs);
  } catch {
    return idsAsTheyAre;
  }
}

async function confirmed(ctx: CliContext, plan: Plan, destructive: readonly PlanStep[]): Promise<boolean> {
  for (const step of destructive) {
    ctx.write(`Step ${step.index + 1} cannot be undone: ${step.preview}\n`);
  }
  const answer = await ctx.ask(`Run these ${plan.steps.length} step(s)? [y/N] `);
  return /^y(es)?$/i.test(answer);
}

export function registerDoCommand(program: Command, runner: ActionRunner): void {
  program
    .command('do')
    .description('say what you want in plain language; see the plan of API calls it becomes, confirm, and run it')
    .argument('<sentence...>', 'what to do, e.g. "pause billing-helper" (quotes optional; 1-2000 characters)')
    .option('-y, --yes', 'run without asking (scripts); confirms DESTRUCTIVE steps too')
    .option('--request-id <id>', 'idempotency key of the interpretation: the same id returns the same plan')
    .addHelpText(
      'after',
      `
The sentence becomes a plan: an ordered list of calls of the public API, each
with a one-line preview, its method, its risk (READ, WRITE or DESTRUCTIVE), the
permission it needs and whether you hold it now (✓/✗). Names are resolved to ids
by the server, never guessed: what it cannot settle ("two agents are called
support") is a question, and such a plan is not run. The plan also shows which
interpreter read the text (PARSER: the documented grammar, docs/commands.md;
MODEL: a model's proposal when AOS_OPENAI_BASE_URL is set on the server, with
the reason when it fell back to the parser) and its digest, which Execute checks.

Then:
  - open questions, or no command in the text: nothing runs (exit 2);
  - a step you may not run (✗): nothing runs (exit 3);
  - a read-only plan (every step READ) runs at once;
  - otherwise "Run these N step(s)? [y/N]", after naming every DESTRUCTIVE step
    (confirming allows them); --yes answers yes. Declining runs nothing (exit 1).
Each step runs as you, authorised again as it runs; the run stops at the first
failure and prints every step's outcome (✓ succeeded, ✗ failed, - not run),
with the reply of each read step shown as its own command shows it ("which
agents are paused?" as a table like aos agents list; JSON only for a reply
with no such view).

--json prints {"plan": …} and, once it has run, {"plan": …, "execution": …} as
one document; with --json a plan that writes runs only with --yes.

Exit status: 0 the plan ran and every step succeeded (or --json printed a plan
without running it), 1 a step or a call failed, or you declined, 2 the plan has
open questions or no step, 3 a step is not permitted.
${examples(
  'aos do "pause billing-helper"',
  'aos do "create an agent called invoice-bot that handles invoices, give it the ledger tool and deploy it"',
  'aos do "pause every support agent" --yes',
  'aos do "list agents" --json',
).trimEnd()}
`,
    )
    .action(runner.wrap(doSentence));
}
