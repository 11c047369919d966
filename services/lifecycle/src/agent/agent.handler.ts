import { encodePageToken, idOfIdOrName } from '@aos/request-fields';
import {
  AGENT_CATEGORY,
  AGENT_EVENTS_SCHEMA_VERSION,
  foldName,
  toTimestamp,
  type Agent,
  type AgentStats,
  type AgentEvent,
  type AgentEventType,
  type AgentVersion,
  type ListAgentsResponse,
  type ListAgentVersionsResponse,
  type RecordSessionReply,
} from '@aos/contracts';
import { AosError, NotFoundError } from '@aos/errors';
import type { RecordedEvent } from '@aos/event-store';
import type { RequestContext } from '@aos/messaging';
import {
  type CommandPipeline,
  type NameChange,
  type NameLedger,
  type RecordedStep,
  type RequestDone,
  type WriterHost,
  writerPipeline,
} from '@aos/command-pipeline';
import { decide, initialAgentState, type AgentCommand, type AgentState, type RecordHealth } from './agent.decider';
import { AGENT_EVENT_ID_NAMESPACE, agentIdFor } from './agent.ids';
import {
  estimatedDefinitionBytes,
  MAX_PAGE_BYTES,
  protoDefinition,
  toProtoHealth,
  type AgentProjection,
  type AgentRecord,
} from './agent.projection';
import type { AgentVersionRecord } from './agent-versions.history';
import {
  PROTO_NAMES,
  type AgentMutation,
  type GetAgentQuery,
  type GetAgentStatsQuery,
  type ListAgentsQuery,
  type ListAgentVersionsQuery,
  type SessionRecord,
} from './agent.validation';

export interface AgentHandlerDeps extends WriterHost {
  /** Built from the log by `follower`; the only state commands are decided against. */
  projection: AgentProjection;
  /** Where agent names are held (unique per tenant across every lifecycle instance). */
  names: NameLedger;
}

/** How long a query waits for `min_position` (the proto promises 5 s). */
export const READ_WAIT_MS = 5_000;

/** The event each mutation records; a request_id reused for another kind of request is refused. */
const EVENT_OF: Record<AgentMutation['type'], AgentEventType> = {
  CreateAgent: 'AgentCreated',
  UpdateAgent: 'AgentUpdated',
  RollbackAgent: 'AgentUpdated',
  DeployAgent: 'AgentDeployed',
  PauseAgent: 'AgentPaused',
  ResumeAgent: 'AgentResumed',
  RetireAgent: 'AgentRetired',
};

/**
 * AgentService's commands and queries. Each command is a mapping from the
 * request to the Agent decider's command, handed to the command pipeline
 * (idempotency, names, optimistic appends, read-your-writes); no framework:
 * the Nest controller only forwards to it.
 */
export class AgentHandler {
  /** The bootstrap feeds `pipeline.requests` from the agent subscription, after the projection. */
  readonly pipeline: CommandPipeline;

  constructor(private readonly deps: AgentHandlerDeps) {
    const { projection } = deps;
    this.pipeline = writerPipeline(deps, {
      model: 'agent',
      schemaVersion: AGENT_EVENTS_SCHEMA_VERSION,
      eventNamespace: AGENT_EVENT_ID_NAMESPACE,
      categories: [AGENT_CATEGORY],
      waits: { readMs: READ_WAIT_MS, writeMs: 10_000, catchUpMs: 2_000 },
      // A retry gets the agent as it stood right after its first attempt, however late it comes.
      snapshot: (event) => projection.recordAfter(event),
      names: {
        ledger: deps.names,
        holders: {
          agent: { fold: foldName, holderOf: (tenantId, folded) => projection.agentIdByName(tenantId, folded) },
        },
      },
    });
  }

  handle(ctx: RequestContext, mutation: AgentMutation): Promise<Agent> {
    // A created agent's id derives from the request, so a retry after a lost reply targets the same stream.
    const agentId = mutation.type === 'CreateAgent' ? agentIdFor(ctx.tenantId, mutation.requestId) : mutation.agentId;
    return this.pipeline.handle(ctx, {
      requestId: mutation.requestId,
      replays: [EVENT_OF[mutation.type]],
      sameTarget: sameDefinitionChange(mutation),
      stream: { category: AGENT_CATEGORY, id: agentId },
      creates: mutation.type === 'CreateAgent',
      expectedRevision: mutation.type === 'CreateAgent' ? undefined : mutation.expectedRevision,
      load: () => this.load(ctx.tenantId, agentId),
      initial: initialAgentState,
      decide: (state) => decide(this.toCommand(ctx, agentId, mutation), state),
      names: nameChanges,
      reply: (done) => this.reply(ctx.tenantId, agentId, done),
    });
  }

  /**
   * An external agent's session attached or ended, as the runtime instance
   * hosting it tells: recorded once per session and event (the request id
   * derives from them), so the runtime may send it again after a lost reply.
   */
  recordSession(ctx: RequestContext, record: SessionRecord): Promise<RecordSessionReply> {
    const event = record.type === 'RecordSessionAttached' ? 'AgentSessionAttached' : 'AgentSessionEnded';
    return this.pipeline.handle(ctx, {
      requestId: `${event}:${record.sessionId}`,
      replays: [event],
      stream: { category: AGENT_CATEGORY, id: record.agentId },
      load: () => this.load(ctx.tenantId, record.agentId),
      initial: initialAgentState,
      decide: (state) => decide(record, state),
      reply: (done) => ({ position: done.position }),
    });
  }

  /**
   * The health reaction's proposal of a new status (see AgentHealthReactions).
   * The request id derives from the agent, the status and the position it was
   * computed at, so every replica proposing the same change makes one
   * request; the decider records nothing for a status the stream holds
   * already or for one computed from less of the log than the recorded one.
   */
  recordHealth(ctx: RequestContext, command: RecordHealth): Promise<number> {
    return this.pipeline.handle(ctx, {
      requestId: `AgentHealthChanged:${command.agentId}:${command.causePosition}:${command.status}`,
      replays: ['AgentHealthChanged'],
      stream: { category: AGENT_CATEGORY, id: command.agentId },
      load: () => this.load(ctx.tenantId, command.agentId),
      initial: initialAgentState,
      decide: (state) => decide(command, state),
      reply: (done) => done.position,
    });
  }

  /** The figures of the agent's runs that ended within the window, which ends now. */
  async getStats(ctx: RequestContext, query: GetAgentStatsQuery): Promise<AgentStats> {
    await this.pipeline.reach(query.minPosition);
    const agentId = idOfIdOrName(query.agent, 'agent', (name) =>
      this.deps.projection.agentIdByName(ctx.tenantId, name),
    );
    this.requireAgent(ctx.tenantId, agentId);
    const endMs = Date.now();
    const startMs = endMs - query.windowMs;
    const { health } = this.deps.projection;
    return {
      agentId,
      startTime: toTimestamp(new Date(startMs).toISOString()),
      endTime: toTimestamp(new Date(endMs).toISOString()),
      ...health.figures(ctx.tenantId, agentId, startMs, endMs),
      health: toProtoHealth(health.health(ctx.tenantId, agentId)),
    };
  }

  async get(ctx: RequestContext, query: GetAgentQuery): Promise<Agent> {
    await this.pipeline.reach(query.minPosition);
    const agentId = idOfIdOrName(query.agent, 'agent', (name) =>
      this.deps.projection.agentIdByName(ctx.tenantId, name),
    );
    return this.deps.projection.toProto(this.requireAgent(ctx.tenantId, agentId));
  }

  async list(ctx: RequestContext, query: ListAgentsQuery): Promise<ListAgentsResponse> {
    await this.pipeline.reach(query.minPosition);
    const page = this.deps.projection.list(ctx.tenantId, query.filter, query.afterPosition, query.pageSize);
    return {
      agents: page.records.map((record) => this.deps.projection.toProto(record)),
      nextPageToken:
        page.nextAfterPosition === undefined
          ? ''
          : encodePageToken('ListAgents', page.nextAfterPosition, query.filterText),
      totalSize: page.totalSize,
    };
  }

  /** Newest first; the history of a retired agent stays readable. */
  async listVersions(ctx: RequestContext, query: ListAgentVersionsQuery): Promise<ListAgentVersionsResponse> {
    await this.pipeline.reach(query.minPosition);
    this.requireAgent(ctx.tenantId, query.agentId);
    const page = this.deps.projection.versions.page(ctx.tenantId, query.agentId, query.beforeVersion, query.pageSize, {
      maxBytes: MAX_PAGE_BYTES,
      sizeOf: estimatedDefinitionBytes,
    });
    return {
      versions: page.records.map(toProtoVersion),
      nextPageToken:
        page.nextBeforeVersion === undefined
          ? ''
          : encodePageToken('ListAgentVersions', page.nextBeforeVersion, query.agentId),
      totalSize: page.totalSize,
    };
  }

  /** A rollback's target is read when it is decided, so a retry after a lost race sees the same history. */
  private toCommand(ctx: RequestContext, agentId: string, mutation: AgentMutation): AgentCommand {
    switch (mutation.type) {
      case 'CreateAgent':
        return { type: 'CreateAgent', agentId, definition: mutation.definition, createdBy: ctx.actor.id };
      case 'UpdateAgent':
        return { type: 'UpdateAgent', agentId, changes: mutation.changes };
      case 'RollbackAgent': {
        const { toVersion } = mutation;
        const target = this.deps.projection.versions.definition(ctx.tenantId, agentId, toVersion);
        return { type: 'RollbackAgent', agentId, toVersion, target };
      }
      default:
        return { type: mutation.type, agentId, reason: mutation.reason };
    }
  }

  /** The agent right after the request's events (an update that changed nothing: as it is). */
  private reply(tenantId: string, agentId: string, done: RequestDone): Agent {
    const last = done.recorded.at(-1);
    const record = (last?.after as AgentRecord | undefined) ?? this.deps.projection.get(tenantId, agentId);
    if (!record) throw new AosError('INTERNAL', `agent ${agentId} was recorded but is not in the read model`);
    return this.deps.projection.toProto(record);
  }

  private load(tenantId: string, agentId: string) {
    const record = this.deps.projection.get(tenantId, agentId);
    return record && { state: record.agent as AgentState, revision: record.revision };
  }

  private requireAgent(tenantId: string, agentId: string): AgentRecord {
    const record = this.deps.projection.get(tenantId, agentId);
    if (!record) throw new NotFoundError('agent', agentId);
    return record;
  }
}

function toProtoVersion(record: AgentVersionRecord): AgentVersion {
  return {
    definitionVersion: record.definitionVersion,
    ...protoDefinition(record.definition),
    createTime: toTimestamp(record.time),
    createdBy: record.actorId,
    logPosition: record.logPosition,
    changedFields: record.changedFields.map((field) => PROTO_NAMES[field]),
    rolledBackTo: record.rolledBackTo ?? 0,
  };
}

const NO_DATA = Object.freeze({});

/** What requestStepOf keeps of an event's data, from the rolledBackTo it had (undefined: none). */
export function requestStepData(rolledBackTo: number | undefined): object {
  return rolledBackTo === undefined ? NO_DATA : { rolledBackTo };
}

/**
 * The event as the request index keeps it (the bootstrap feeds the index
 * this, after the projection applied the event): of its data only what a
 * request's checks read (sameDefinitionChange: an update's rolledBackTo), so
 * that the index does not hold a second copy of every definition (the
 * versions hold them) in memory and in the agent snapshot.
 */
export function requestStepOf(event: RecordedEvent): RecordedEvent {
  const { rolledBackTo } = event.data as { rolledBackTo?: number };
  return { ...event, data: requestStepData(rolledBackTo) };
}

/**
 * An update and a rollback both record AgentUpdated: a request_id of one
 * reused for the other, or for a rollback to another version, is refused
 * rather than answered with the first request's reply.
 */
function sameDefinitionChange(mutation: AgentMutation): ((steps: readonly RecordedStep[]) => boolean) | undefined {
  if (mutation.type !== 'UpdateAgent' && mutation.type !== 'RollbackAgent') return undefined;
  const rolledBackTo = mutation.type === 'RollbackAgent' ? mutation.toVersion : undefined;
  return (steps) => steps.every((step) => (step.data as { rolledBackTo?: number }).rolledBackTo === rolledBackTo);
}

/** A created agent takes its name; a renamed one takes the new name and gives the old one up. */
function nameChanges(events: readonly AgentEvent[], state: AgentState): NameChange[] {
  return events.flatMap((event): NameChange[] => {
    if (event.type === 'AgentCreated') {
      return [{ kind: 'agent', name: event.data.definition.name, holderId: event.data.agentId, action: 'reserve' }];
    }
    if (event.type !== 'AgentUpdated' || state.status === 'NONE') return [];
    const [before, after] = [state.definition.name, event.data.definition.name];
    if (foldName(before) === foldName(after)) return [];
    return [
      { kind: 'agent', name: after, holderId: event.data.agentId, action: 'reserve' },
      { kind: 'agent', name: before, holderId: event.data.agentId, action: 'release' },
    ];
  });
}
