import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { Agent, AgentTransitionRequest } from '@aos/contracts';
import type { AgentsClient, PartialMessage } from '@aos/grpc-client';
import { UsageError, type ActionRunner, type CliContext } from '../cli-context';
import { agentChangeTable, renderAgent, renderAgentTable } from '../output/agent.view';
import { buildAgentFilter, type AgentFilterFlags } from './agent-filter';
import { addRequestIdOption } from './command-options';
import { collect, collectLabel, parseAgentState, parseNonNegativeInt, parsePositiveInt } from './option-parsers';
import { fetchAllPages } from './pagination';

/** The writable fields of an agent, as flags. */
interface DefinitionFlags {
  name?: string;
  description?: string;
  capability?: string[];
  instructions?: string;
  model?: string;
  tool?: string[];
  kb?: string[];
  label?: Record<string, string>;
}

interface MutationFlags {
  requestId?: string;
  expectedRevision?: number;
}

/** Flag → the Agent field it sets and the update_mask path (proto field name) it adds. */
const DEFINITION_FIELDS = [
  { flag: 'name', field: 'name', path: 'name' },
  { flag: 'description', field: 'description', path: 'description' },
  { flag: 'capability', field: 'capabilities', path: 'capabilities' },
  { flag: 'instructions', field: 'instructions', path: 'instructions' },
  { flag: 'model', field: 'model', path: 'model' },
  { flag: 'tool', field: 'toolIds', path: 'tool_ids' },
  { flag: 'kb', field: 'knowledgeBaseIds', path: 'knowledge_base_ids' },
  { flag: 'label', field: 'labels', path: 'labels' },
] as const satisfies readonly { flag: keyof DefinitionFlags; field: keyof Agent; path: string }[];

/** The agent fields and update_mask paths of the definition flags that were given. */
export function definitionFromFlags(flags: DefinitionFlags): { agent: PartialMessage<Agent>; updateMask: string[] } {
  const agent: Record<string, unknown> = {};
  const updateMask: string[] = [];
  for (const { flag, field, path } of DEFINITION_FIELDS) {
    if (flags[flag] === undefined) continue;
    agent[field] = flags[flag];
    updateMask.push(path);
  }
  return { agent: agent as PartialMessage<Agent>, updateMask };
}

function addDefinitionOptions(command: Command, { nameRequired }: { nameRequired: boolean }): Command {
  const name = '--name <name>';
  const nameHelp = 'unique within the tenant, 1-100 characters';
  return (nameRequired ? command.requiredOption(name, nameHelp) : command.option(name, nameHelp))
    .option('--description <text>', 'what the agent is for')
    .option('--capability <capability>', 'what it can do, e.g. billing (repeatable)', collect)
    .option('--instructions <text>', 'the system instructions it runs with')
    .option('--model <model>', 'the model it uses, e.g. gpt-4o-mini')
    .option('--tool <tool-id>', 'a tool it may call (repeatable)', collect)
    .option('--kb <knowledge-base-id>', 'a knowledge base it may read (repeatable)', collect)
    .option('--label <key=value>', 'a label (repeatable)', collectLabel);
}

function addMutationOptions(command: Command, { expectedRevision }: { expectedRevision: boolean }): Command {
  addRequestIdOption(command);
  if (expectedRevision) {
    command.option(
      '--expected-revision <n>',
      'fail with ABORTED unless the agent is at this revision',
      parseNonNegativeInt,
    );
  }
  return command;
}

function printAgent(ctx: CliContext, agent: Agent): void {
  if (ctx.json) ctx.writeJson(agent);
  else ctx.write(renderAgent(agent));
}

async function createAgent(ctx: CliContext, flags: DefinitionFlags & MutationFlags): Promise<void> {
  const client = await ctx.connect();
  const { agent } = definitionFromFlags(flags);
  const reply = await client.agents.createAgent(
    { agent, requestId: flags.requestId ?? randomUUID() },
    { signal: ctx.signal },
  );
  printAgent(ctx, reply);
}

async function getAgent(ctx: CliContext, id: string, flags: { minPosition?: number }): Promise<void> {
  const client = await ctx.connect();
  printAgent(ctx, await client.agents.getAgent({ id, minPosition: flags.minPosition ?? 0 }, { signal: ctx.signal }));
}

interface ListFlags extends AgentFilterFlags {
  pageSize?: number;
  pageToken?: string;
  minPosition?: number;
  all?: boolean;
}

async function listAgents(ctx: CliContext, flags: ListFlags): Promise<void> {
  const client = await ctx.connect();
  const fetchPage = (pageToken: string) =>
    client.agents.listAgents(
      {
        filter: buildAgentFilter(flags),
        pageSize: flags.pageSize ?? 0,
        pageToken,
        minPosition: flags.minPosition ?? 0,
      },
      { signal: ctx.signal },
    );
  if (flags.all) {
    const { items, lastPage } = await fetchAllPages(fetchPage, (page) => page.agents, flags.pageToken);
    if (ctx.json) ctx.writeJson({ ...lastPage, agents: items });
    else ctx.write(renderAgentTable(items) + `${items.length} agent(s)\n`);
    return;
  }
  const page = await fetchPage(flags.pageToken ?? '');
  if (ctx.json) {
    ctx.writeJson(page);
    return;
  }
  ctx.write(renderAgentTable(page.agents));
  ctx.write(`${page.agents.length} of ${page.totalSize} agent(s)\n`);
  if (page.nextPageToken) ctx.write(`more: --page-token ${page.nextPageToken} (or --all)\n`);
}

async function updateAgent(ctx: CliContext, id: string, flags: DefinitionFlags & MutationFlags): Promise<void> {
  const { agent, updateMask } = definitionFromFlags(flags);
  if (updateMask.length === 0) {
    throw new UsageError(
      'nothing to update: pass at least one of --name, --description, --capability, --instructions, --model, --tool, --kb, --label',
    );
  }
  const client = await ctx.connect();
  const reply = await client.agents.updateAgent(
    { id, agent, updateMask, expectedRevision: flags.expectedRevision, requestId: flags.requestId ?? randomUUID() },
    { signal: ctx.signal },
  );
  printAgent(ctx, reply);
}

type TransitionMethod = 'deployAgent' | 'pauseAgent' | 'resumeAgent' | 'retireAgent';

const TRANSITIONS: readonly { name: string; method: TransitionMethod; description: string }[] = [
  { name: 'deploy', method: 'deployAgent', description: 'deploy a draft agent (DRAFT → ACTIVE)' },
  { name: 'pause', method: 'pauseAgent', description: 'pause an active agent (ACTIVE → PAUSED)' },
  { name: 'resume', method: 'resumeAgent', description: 'resume a paused agent (PAUSED → ACTIVE)' },
  { name: 'retire', method: 'retireAgent', description: 'retire an agent for good (any state → RETIRED)' },
];

function transition(method: TransitionMethod) {
  return async (ctx: CliContext, id: string, flags: MutationFlags & { reason?: string }): Promise<void> => {
    const client = await ctx.connect();
    const request: PartialMessage<AgentTransitionRequest> = {
      id,
      reason: flags.reason ?? '',
      requestId: flags.requestId ?? randomUUID(),
      expectedRevision: flags.expectedRevision,
    };
    const agents: AgentsClient = client.agents;
    printAgent(ctx, await agents[method](request, { signal: ctx.signal }));
  };
}

async function watchAgents(ctx: CliContext, flags: { after?: number }): Promise<void> {
  const client = await ctx.connect();
  const table = agentChangeTable();
  if (!ctx.json) ctx.write(table.header());
  for await (const change of client.agents.watchAgents({ afterPosition: flags.after ?? 0 }, { signal: ctx.signal })) {
    if (ctx.json) ctx.writeJsonLine(change);
    else ctx.write(table.row(change));
  }
}

export function registerAgentsCommand(program: Command, runner: ActionRunner): void {
  const agents = program.command('agents').description('create, inspect and change agents');

  const create = agents.command('create').description('create an agent (in state DRAFT)');
  addDefinitionOptions(create, { nameRequired: true });
  addMutationOptions(create, { expectedRevision: false }).action(runner.wrap(createAgent));

  agents
    .command('get')
    .description('show one agent')
    .argument('<id>', 'agent id')
    .option(
      '--min-position <position>',
      'wait until the server has seen this log position (read your own write)',
      parseNonNegativeInt,
    )
    .action(runner.wrap(getAgent));

  agents
    .command('list')
    .description("list the tenant's agents, oldest first")
    .option('--filter <filter>', 'raw filter, e.g. \'state = ACTIVE AND capability = "billing"\'')
    .option('--state <state>', 'only agents in this state (DRAFT, ACTIVE, PAUSED, RETIRED)', parseAgentState)
    .option('--capability <capability>', 'only agents with this capability (repeatable: all must match)', collect)
    .option('--label <key=value>', 'only agents with this label (repeatable)', collectLabel)
    .option('--page-size <n>', 'agents per page, 1-1000 (server default 50)', parsePositiveInt)
    .option('--page-token <token>', 'continue from a previous page')
    .option('--min-position <position>', 'wait until the server has seen this log position', parseNonNegativeInt)
    .option('--all', 'follow the pages to the end')
    .action(runner.wrap(listAgents));

  const update = agents
    .command('update')
    .description('change the given fields of an agent (the flags given form the update mask)')
    .argument('<id>', 'agent id');
  addDefinitionOptions(update, { nameRequired: false });
  addMutationOptions(update, { expectedRevision: true }).action(runner.wrap(updateAgent));

  for (const { name, method, description } of TRANSITIONS) {
    const command = agents
      .command(name)
      .description(description)
      .argument('<id>', 'agent id')
      .option('--reason <text>', 'why, recorded in the event');
    addMutationOptions(command, { expectedRevision: true }).action(runner.wrap(transition(method)));
  }

  agents
    .command('watch')
    .description('print every change to the agents as it happens (Ctrl-C to stop)')
    .option('--after <position>', 'first replay the changes after this log position', parseNonNegativeInt)
    .action(runner.wrap(watchAgents));
}
