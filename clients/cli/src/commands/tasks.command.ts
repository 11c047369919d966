import type { Command } from 'commander';
import type { Task, TaskStep, Timestamp } from '@aos/contracts';
import type { AosClient } from '@aos/grpc-client';
import { EXIT_TASK_UNSUCCESSFUL, type ActionRunner, type CliContext } from '../cli-context';
import { renderTask, renderTaskTable, stepRefs, taskRefs, taskStepTable, withNamedSummary } from '../output/task.view';
import {
  addMinPositionOption,
  addPageOptions,
  addRequestIdOption,
  examples,
  requestIdOf,
  type MinPositionFlags,
  type PageFlags,
  type RequestIdFlags,
} from './command-options';
import { choice, collect, parseIsoTime, parseNonNegativeInt } from './option-parsers';
import { nameRefsOf } from './name-ref';
import { fetchAllPages } from './pagination';

const PRIORITIES = ['LOW', 'NORMAL', 'HIGH'] as const;
const STATES = ['QUEUED', 'ASSIGNED', 'RUNNING', 'WAITING_APPROVAL', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
/**
 * The steps that end a task, and whether each is a success: WatchTask ends
 * with one (the run's outcome, or a cancellation; TaskSucceeded and
 * TaskFailed in logs written before runs were recorded once).
 */
const FINAL_STEPS: Record<string, boolean> = {
  RunSucceeded: true,
  RunFailed: false,
  TaskCancelled: false,
  TaskSucceeded: true,
  TaskFailed: false,
};

async function printTask(ctx: CliContext, task: Task): Promise<void> {
  if (ctx.json) {
    ctx.writeJson(task);
    return;
  }
  ctx.write(renderTask(task, await (await nameRefsOf(ctx)).labels(taskRefs(task))));
}

/** A table of tasks with their agents' names (one lookup per distinct agent). */
async function taskTable(ctx: CliContext, tasks: readonly Task[]): Promise<string> {
  const labels = await (await nameRefsOf(ctx)).labels(tasks.map((t) => ['agent', t.assignedAgentId] as const));
  return renderTaskTable(tasks, labels);
}

interface SubmitFlags extends RequestIdFlags {
  capability?: string[];
  agent?: string;
  priority?: (typeof PRIORITIES)[number];
  wait?: boolean;
}

async function submitTask(ctx: CliContext, text: string, flags: SubmitFlags): Promise<number | void> {
  const client = await ctx.connect();
  const names = await nameRefsOf(ctx);
  const task = await client.tasks.submitTask(
    {
      task: {
        text,
        requiredCapabilities: flags.capability ?? [],
        agentId: flags.agent ? await names.idOf('agent', flags.agent) : '',
        ...(flags.priority ? { priority: flags.priority as Task['priority'] } : {}),
      },
      requestId: requestIdOf(flags),
    },
    { signal: ctx.signal },
  );
  if (!flags.wait) {
    await printTask(ctx, task);
    return;
  }
  if (!ctx.json) {
    const agent = task.assignedAgentId ? ` → agent ${await names.label('agent', task.assignedAgentId)}` : '';
    ctx.write(`task ${task.id}: ${task.state}${agent}\n`);
    if (task.routing?.rationale) ctx.write(`why: ${task.routing.rationale}\n`);
  }
  return followSteps(ctx, client, task.id, 0);
}

/**
 * Prints the task's steps as they are recorded until the one that finishes
 * it; exit 0 when it SUCCEEDED, EXIT_TASK_UNSUCCESSFUL when FAILED or CANCELLED.
 */
async function followSteps(ctx: CliContext, client: AosClient, id: string, after: number): Promise<number> {
  const table = taskStepTable();
  if (!ctx.json) ctx.write(table.header());
  const names = await nameRefsOf(ctx);
  let last: TaskStep | undefined;
  for await (const step of client.tasks.watchTask({ id, afterPosition: after }, { signal: ctx.signal })) {
    last = step;
    if (ctx.json) ctx.writeJsonLine(step);
    else ctx.write(table.row(withNamedSummary(step, await names.labels(stepRefs(step)))));
  }
  let succeeded = last ? FINAL_STEPS[last.type] : undefined;
  if (succeeded === undefined) {
    // Watched from after the finishing step: the task itself says how it ended.
    const task = await client.tasks.getTask({ id, minPosition: 0 }, { signal: ctx.signal });
    succeeded = task.state === 'SUCCEEDED';
  }
  return succeeded ? 0 : EXIT_TASK_UNSUCCESSFUL;
}

async function getTask(ctx: CliContext, id: string, flags: MinPositionFlags): Promise<void> {
  const client = await ctx.connect();
  await printTask(ctx, await client.tasks.getTask({ id, minPosition: flags.minPosition ?? 0 }, { signal: ctx.signal }));
}

interface ListFlags extends PageFlags, MinPositionFlags {
  filter?: string;
  state?: (typeof STATES)[number];
  agent?: string;
  since?: Timestamp;
  until?: Timestamp;
}

/** A Timestamp as the filter's RFC 3339 time (UTC). */
function filterTimeOf(t: Timestamp): string {
  return JSON.stringify(new Date(Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6)).toISOString());
}

function filterOf(flags: ListFlags, agentId: string | undefined): string {
  const terms = [
    flags.filter,
    flags.state && `state = ${flags.state}`,
    agentId && `agent_id = "${agentId}"`,
    flags.since && `create_time >= ${filterTimeOf(flags.since)}`,
    flags.until && `create_time < ${filterTimeOf(flags.until)}`,
  ];
  return terms.filter(Boolean).join(' AND ');
}

async function listTasks(ctx: CliContext, flags: ListFlags): Promise<void> {
  const client = await ctx.connect();
  const agentId = flags.agent ? await (await nameRefsOf(ctx)).idOf('agent', flags.agent) : undefined;
  const fetchPage = (pageToken: string) =>
    client.tasks.listTasks(
      {
        filter: filterOf(flags, agentId),
        pageSize: flags.pageSize ?? 0,
        pageToken,
        minPosition: flags.minPosition ?? 0,
      },
      { signal: ctx.signal },
    );
  if (flags.all) {
    const { items, lastPage } = await fetchAllPages(fetchPage, (page) => page.tasks, flags.pageToken);
    if (ctx.json) ctx.writeJson({ ...lastPage, tasks: items });
    else ctx.write((await taskTable(ctx, items)) + `${items.length} task(s)\n`);
    return;
  }
  const page = await fetchPage(flags.pageToken ?? '');
  if (ctx.json) {
    ctx.writeJson(page);
    return;
  }
  ctx.write(await taskTable(ctx, page.tasks));
  ctx.write(`${page.tasks.length} of ${page.totalSize} task(s)\n`);
  if (page.nextPageToken) ctx.write(`more: --page-token ${page.nextPageToken} (or --all)\n`);
}

interface ChangeFlags extends RequestIdFlags {
  reason?: string;
  expectedRevision?: number;
}

async function cancelTask(ctx: CliContext, id: string, flags: ChangeFlags): Promise<void> {
  const client = await ctx.connect();
  const reply = await client.tasks.cancelTask(
    { id, reason: flags.reason ?? '', expectedRevision: flags.expectedRevision, requestId: requestIdOf(flags) },
    { signal: ctx.signal },
  );
  await printTask(ctx, reply);
}

async function reassignTask(ctx: CliContext, id: string, agent: string, flags: ChangeFlags): Promise<void> {
  const client = await ctx.connect();
  const reply = await client.tasks.reassignTask(
    {
      id,
      agentId: await (await nameRefsOf(ctx)).idOf('agent', agent),
      reason: flags.reason ?? '',
      expectedRevision: flags.expectedRevision,
      requestId: requestIdOf(flags),
    },
    { signal: ctx.signal },
  );
  await printTask(ctx, reply);
}

async function watchTask(ctx: CliContext, id: string, flags: { after?: number }): Promise<number> {
  return followSteps(ctx, await ctx.connect(), id, flags.after ?? 0);
}

function addChangeOptions(command: Command): Command {
  return addRequestIdOption(
    command
      .option('--reason <text>', 'why, recorded in the log (at most 1000 characters)')
      .option('--expected-revision <n>', 'fail with ABORTED unless the task is at this revision', parseNonNegativeInt),
  );
}

export function registerTasksCommand(program: Command, runner: ActionRunner): void {
  const tasks = program
    .command('tasks')
    .description('submit work in plain language, see where it was routed and why, and follow it')
    .addHelpText(
      'after',
      `
A task is routed to the ACTIVE agent whose name, description, capabilities and
history match its text best (less a penalty for a long queue), among those with
every --capability asked for. With none it waits QUEUED until one is deployed or
resumed. States: QUEUED → ASSIGNED → RUNNING (↔ WAITING_APPROVAL) → SUCCEEDED,
FAILED or CANCELLED.

Exit status of --wait and watch: 0 when the task SUCCEEDED, 4 when it FAILED or
was CANCELLED, 1 when a call failed.
`,
    );

  const submit = tasks
    .command('submit')
    .description('submit a task; it is routed at once (ASSIGNED) or waits for an agent (QUEUED)')
    .argument('<text>', 'what is to be done, in plain language (1-8000 characters)')
    .option('--capability <capability>', 'the agent must have it (repeatable: all must match)', collect)
    .option('--agent <agent>', 'send it to this agent, by id or name (ACTIVE, or PAUSED: then it waits for it)')
    .option('--priority <priority>', 'low, normal (default) or high', choice(PRIORITIES))
    .option('--wait', 'follow the task, printing each step, until it finishes (exit 0 only if it SUCCEEDED)')
    .addHelpText(
      'after',
      examples(
        'aos tasks submit "Refund the duplicate charge on invoice 4411" --capability billing',
        'aos tasks submit "Summarise yesterday\'s incidents" --priority high --wait',
        'aos tasks submit "Reset the VPN token for Bob" --agent it-helpdesk --json',
      ),
    );
  addRequestIdOption(submit).action(runner.wrap(submitTask));

  const get = tasks
    .command('get')
    .description('show one task: its state, the routing decision with candidates and scores, and its steps')
    .argument('<id>', 'task id')
    .addHelpText('after', examples('aos tasks get 0b6c6a59-…', 'aos tasks get 0b6c6a59-… --json'));
  addMinPositionOption(get).action(runner.wrap(getTask));

  const list = tasks
    .command('list')
    .description("list the tenant's tasks, newest first")
    .option('--state <state>', `only tasks in this state (${STATES.join(', ').toLowerCase()})`, choice(STATES))
    .option('--agent <agent>', 'only tasks assigned to this agent (id or name)')
    .option('--since <time>', 'only tasks submitted at or after this ISO-8601 time', parseIsoTime)
    .option('--until <time>', 'only tasks submitted before this ISO-8601 time', parseIsoTime)
    .option('--filter <filter>', 'raw filter, e.g. \'state = QUEUED AND agent_id = "…"\'')
    .addHelpText(
      'after',
      examples(
        'aos tasks list --state queued',
        'aos tasks list --agent billing-helper --all --json',
        'aos tasks list --state failed --since 2026-12-05T00:00:00Z',
      ),
    );
  addMinPositionOption(addPageOptions(list, 'tasks')).action(runner.wrap(listTasks));

  const cancel = tasks
    .command('cancel')
    .description('cancel a task that has not finished; a running attempt stops at its next step')
    .argument('<id>', 'task id')
    .addHelpText('after', examples('aos tasks cancel 0b6c6a59-… --reason "no longer needed"'));
  addChangeOptions(cancel).action(runner.wrap(cancelTask));

  const reassign = tasks
    .command('reassign')
    .description('give a QUEUED or ASSIGNED task to another agent: a correction the router learns from')
    .argument('<id>', 'task id')
    .argument('<agent>', 'the agent that should have it, by id or name (ACTIVE or PAUSED)')
    .addHelpText('after', examples('aos tasks reassign 0b6c6a59-… hr-assistant --reason "payroll belongs to HR"'));
  addChangeOptions(reassign).action(runner.wrap(reassignTask));

  tasks
    .command('watch')
    .description("print the task's steps (its own and its runs') from the first, then live, until it finishes")
    .argument('<id>', 'task id')
    .option('--after <position>', 'only the steps after this log position', parseNonNegativeInt)
    .addHelpText('after', examples('aos tasks watch 0b6c6a59-…', 'aos tasks watch 0b6c6a59-… --json'))
    .action(runner.wrap(watchTask));
}
