import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { Agent, AgentTransitionRequest } from '@aos/contracts';
import type { AgentsClient, PartialMessage } from '@aos/grpc-client';
import { UsageError, type ActionRunner, type CliContext } from '../cli-context';
import { agentChangeTable, agentRefs, renderAgent, renderAgentTable } from '../output/agent.view';
import { renderAgentVersionTable, versionRefs } from '../output/agent-version.view';
import { buildAgentFilter, type AgentFilterFlags } from './agent-filter';
import { registerAgentStatsCommand } from './agents-stats.command';
import {
  addMinPositionOption,
  addPageOptions,
  addRequestIdOption,
  examples,
  type MinPositionFlags,
  type PageFlags,
} from './command-options';
import {
  collect,
  collectLabel,
  parseAgentState,
  parseHealthStatus,
  parseNonNegativeInt,
  parsePositiveInt,
} from './option-parsers';
import { byIdOrName, nameRefsOf } from './name-ref';
import { fetchAllPages, printPagedList } from './pagination';

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
    .option('--tool <tool>', 'a tool it may call, by id or name (repeatable)', collect)
    .option('--kb <kb>', 'a knowledge base it may read, by id or name (repeatable)', collect)
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

async function printAgent(ctx: CliContext, agent: Agent): Promise<void> {
  if (ctx.json) {
    ctx.writeJson(agent);
    return;
  }
  ctx.write(renderAgent(agent, await (await nameRefsOf(ctx)).labels(agentRefs(agent))));
}

/** The flags' tools and knowledge bases as ids (each may be given by name). */
async function withResolvedRefs(ctx: CliContext, flags: DefinitionFlags): Promise<DefinitionFlags> {
  const names = await nameRefsOf(ctx);
  return {
    ...flags,
    ...(flags.tool && { tool: await names.idsOf('tool', flags.tool) }),
    ...(flags.kb && { kb: await names.idsOf('knowledge base', flags.kb) }),
  };
}

/** `<agent>`: an id, or a name the server finds. */
async function agentIdOf(ctx: CliContext, ref: string): Promise<string> {
  return (await nameRefsOf(ctx)).idOf('agent', ref);
}

async function createAgent(ctx: CliContext, flags: DefinitionFlags & MutationFlags): Promise<void> {
  const client = await ctx.connect();
  const { agent } = definitionFromFlags(await withResolvedRefs(ctx, flags));
  const reply = await client.agents.createAgent(
    { agent, requestId: flags.requestId ?? randomUUID() },
    { signal: ctx.signal },
  );
  await printAgent(ctx, reply);
}

async function getAgent(ctx: CliContext, ref: string, flags: { minPosition?: number }): Promise<void> {
  const client = await ctx.connect();
  await printAgent(
    ctx,
    await client.agents.getAgent({ ...byIdOrName(ref), minPosition: flags.minPosition ?? 0 }, { signal: ctx.signal }),
  );
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

async function updateAgent(ctx: CliContext, ref: string, flags: DefinitionFlags & MutationFlags): Promise<void> {
  const { updateMask } = definitionFromFlags(flags);
  if (updateMask.length === 0) {
    throw new UsageError(
      'nothing to update: pass at least one of --name, --description, --capability, --instructions, --model, --tool, --kb, --label',
    );
  }
  const client = await ctx.connect();
  const id = await agentIdOf(ctx, ref);
  const { agent } = definitionFromFlags(await withResolvedRefs(ctx, flags));
  const reply = await client.agents.updateAgent(
    { id, agent, updateMask, expectedRevision: flags.expectedRevision, requestId: flags.requestId ?? randomUUID() },
    { signal: ctx.signal },
  );
  await printAgent(ctx, reply);
}

type VersionsFlags = PageFlags & MinPositionFlags;

async function listVersions(ctx: CliContext, ref: string, flags: VersionsFlags): Promise<void> {
  const client = await ctx.connect();
  const id = await agentIdOf(ctx, ref);
  await printPagedList(ctx, flags, {
    fetchPage: (pageToken: string) =>
      client.agents.listAgentVersions(
        { id, pageSize: flags.pageSize ?? 0, pageToken, minPosition: flags.minPosition ?? 0 },
        { signal: ctx.signal },
      ),
    field: 'versions',
    itemsOf: (page) => page.versions,
    render: async (versions) => {
      const labels = await (await nameRefsOf(ctx)).labels(versionRefs(versions));
      return renderAgentVersionTable(versions, labels);
    },
    noun: 'version',
  });
}

async function rollbackAgent(ctx: CliContext, ref: string, flags: MutationFlags & { to: number }): Promise<void> {
  const client = await ctx.connect();
  const reply = await client.agents.rollbackAgent(
    {
      id: await agentIdOf(ctx, ref),
      toVersion: flags.to,
      expectedRevision: flags.expectedRevision,
      requestId: flags.requestId ?? randomUUID(),
    },
    { signal: ctx.signal },
  );
  await printAgent(ctx, reply);
}

type TransitionMethod = 'deployAgent' | 'pauseAgent' | 'resumeAgent' | 'retireAgent';

const TRANSITIONS: readonly { name: string; method: TransitionMethod; description: string }[] = [
  { name: 'deploy', method: 'deployAgent', description: 'deploy a draft agent (DRAFT → ACTIVE)' },
  { name: 'pause', method: 'pauseAgent', description: 'pause an active agent (ACTIVE → PAUSED)' },
  { name: 'resume', method: 'resumeAgent', description: 'resume a paused agent (PAUSED → ACTIVE)' },
  { name: 'retire', method: 'retireAgent', description: 'retire an agent for good (any state → RETIRED)' },
];

function transition(method: TransitionMethod) {
  return async (ctx: CliContext, ref: string, flags: MutationFlags & { reason?: string }): Promise<void> => {
    const client = await ctx.connect();
    const request: PartialMessage<AgentTransitionRequest> = {
      id: await agentIdOf(ctx, ref),
      reason: flags.reason ?? '',
      requestId: flags.requestId ?? randomUUID(),
      expectedRevision: flags.expectedRevision,
    };
    const agents: AgentsClient = client.agents;
    await printAgent(ctx, await agents[method](request, { signal: ctx.signal }));
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

const AGENT_ARGUMENT = "an agent's id or name";

export function registerAgentsCommand(program: Command, runner: ActionRunner): void {
  const agents = program.command('agents').description('create, inspect and change agents');

  const create = agents.command('create').description('create an agent (in state DRAFT)');
  addDefinitionOptions(create, { nameRequired: true });
  addMutationOptions(create, { expectedRevision: false }).action(runner.wrap(createAgent));

  agents
    .command('get')
    .description('show one agent')
    .argument('<agent>', AGENT_ARGUMENT)
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
    .option(
      '--health <health>',
      'only agents with this health from their newest 10 runs (UNKNOWN, HEALTHY, DEGRADED, UNHEALTHY)',
      parseHealthStatus,
    )
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
    .argument('<agent>', AGENT_ARGUMENT);
  addDefinitionOptions(update, { nameRequired: false });
  addMutationOptions(update, { expectedRevision: true }).action(runner.wrap(updateAgent));

  const versions = agents
    .command('versions')
    .description(
      "list an agent's definition versions, newest first, with when, by whom and what changed from the version before",
    )
    .argument('<agent>', AGENT_ARGUMENT)
    .addHelpText('after', examples('aos agents versions billing-helper', 'aos agents rollback billing-helper --to 1'));
  addMinPositionOption(addPageOptions(versions, 'versions')).action(runner.wrap(listVersions));

  const rollback = agents
    .command('rollback')
    .description(
      "record a new definition version equal to an earlier one's (nothing is recorded when the agent already has that definition)",
    )
    .argument('<agent>', AGENT_ARGUMENT)
    .requiredOption('--to <version>', 'the definition version to restore (see aos agents versions)', parsePositiveInt);
  addMutationOptions(rollback, { expectedRevision: true }).action(runner.wrap(rollbackAgent));

  for (const { name, method, description } of TRANSITIONS) {
    const command = agents
      .command(name)
      .description(description)
      .argument('<agent>', AGENT_ARGUMENT)
      .option('--reason <text>', 'why, recorded in the event');
    addMutationOptions(command, { expectedRevision: true }).action(runner.wrap(transition(method)));
  }

  registerAgentStatsCommand(agents, runner, AGENT_ARGUMENT);

  agents
    .command('watch')
    .description('print every change to the agents as it happens (Ctrl-C to stop)')
    .option('--after <position>', 'first replay the changes after this log position', parseNonNegativeInt)
    .action(runner.wrap(watchAgents));
}
