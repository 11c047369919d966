import { encodePageToken } from '@aos/request-fields';
import {
  AGENT_CATEGORY,
  AGENT_EVENTS_SCHEMA_VERSION,
  type Agent,
  type AgentEvent,
  type AgentEventType,
  type ListAgentsResponse,
} from '@aos/contracts';
import { AlreadyExistsError, AosError, InvalidArgumentError, NotFoundError, RevisionMismatchError } from '@aos/errors';
import {
  ConcurrencyError,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type Subscription,
} from '@aos/event-store';
import type { RequestContext } from '@aos/messaging';
import { CommandLog } from '@aos/command-log';
import { KeyedMutex } from '@aos/keyed-mutex';
import { decide, initialAgentState, type AgentCommand, type ExistingAgent } from './agent.decider';
import { agentIdFor, eventIdFor } from './agent.ids';
import { foldName } from './agent.filter';
import { toProtoAgent, type AgentProjection, type AgentRecord } from './agent.projection';
import {
  type AgentMutation,
  type CreateAgentMutation,
  type GetAgentQuery,
  type ListAgentsQuery,
  type TransitionMutation,
  type UpdateAgentMutation,
} from './agent.validation';

export interface AgentHandlerDeps {
  store: Pick<EventStore, 'append' | 'headPosition'>;
  /** Built from the log by `subscription`; the only state commands are decided against. */
  projection: AgentProjection;
  subscription: Pick<Subscription, 'waitFor'>;
  /** False once the subscription has stopped for good: the projection would answer from stale state. */
  isFollowing: () => boolean;
}

/** How long a query waits for `min_position` (the proto promises 5 s). */
export const READ_WAIT_MS = 5_000;
/** How long a command waits for its own events to reach the projection. */
const WRITE_WAIT_MS = 10_000;
/** How long to wait for the projection when the caller has seen a newer revision than we have. */
const CATCH_UP_WAIT_MS = 2_000;

/** The event each mutation records; a request_id reused for another kind of request is refused. */
const EVENT_OF: Record<AgentMutation['type'], AgentEventType> = {
  CreateAgent: 'AgentCreated',
  UpdateAgent: 'AgentUpdated',
  DeployAgent: 'AgentDeployed',
  PauseAgent: 'AgentPaused',
  ResumeAgent: 'AgentResumed',
  RetireAgent: 'AgentRetired',
};

/**
 * The lifecycle application service: idempotency, deciding against the
 * in-memory state, optimistic appends, read-your-writes replies. No framework:
 * the Nest controller only forwards to it.
 */
export class AgentHandler {
  /** Serialises the requests that share a request_id, so a quick retry waits for the first attempt's reply. */
  private readonly requests = new KeyedMutex();
  /**
   * Serialises creates and renames per tenant and name (case-folded), so that
   * two concurrent requests for one name cannot both find it free, while
   * requests for different names go ahead in parallel. This holds within one lifecycle
   * instance only: uniqueness across several instances would need a name
   * reservation stream (append `agent-name-<tenant>/<name>` with `no_stream`
   * first), which is a known limitation of this version.
   */
  private readonly names = new KeyedMutex();

  private readonly log: CommandLog;

  constructor(private readonly deps: AgentHandlerDeps) {
    this.log = new CommandLog({
      store: deps.store,
      followers: [deps.subscription],
      isFollowing: deps.isFollowing,
      model: 'agent',
      schemaVersion: AGENT_EVENTS_SCHEMA_VERSION,
      eventIdFor,
      waits: { readMs: READ_WAIT_MS, writeMs: WRITE_WAIT_MS, catchUpMs: CATCH_UP_WAIT_MS },
    });
  }

  async handle(ctx: RequestContext, mutation: AgentMutation): Promise<Agent> {
    this.log.requireFollowing();
    return this.requests.run(`${ctx.tenantId}\u0000${mutation.requestId}`, async () => {
      const replayed = this.replay(ctx.tenantId, mutation);
      if (replayed) return replayed;
      return mutation.type === 'CreateAgent' ? this.create(ctx, mutation) : this.change(ctx, mutation);
    });
  }

  async get(ctx: RequestContext, query: GetAgentQuery): Promise<Agent> {
    this.log.requireFollowing();
    await this.log.reach(query.minPosition);
    return toProtoAgent(this.requireAgent(ctx.tenantId, query.agentId));
  }

  async list(ctx: RequestContext, query: ListAgentsQuery): Promise<ListAgentsResponse> {
    this.log.requireFollowing();
    await this.log.reach(query.minPosition);
    const page = this.deps.projection.list(ctx.tenantId, query.filter, query.afterPosition, query.pageSize);
    return {
      agents: page.records.map(toProtoAgent),
      nextPageToken:
        page.nextAfterPosition === undefined
          ? ''
          : encodePageToken('ListAgents', page.nextAfterPosition, query.filterText),
      totalSize: page.totalSize,
    };
  }

  /** The reply recorded for this request_id, so a retry gets the same answer however late it comes. */
  private replay(tenantId: string, mutation: AgentMutation): Agent | undefined {
    const reply = this.deps.projection.reply(tenantId, mutation.requestId);
    if (!reply) return undefined;
    const sameTarget = mutation.type === 'CreateAgent' || reply.record.agent.agentId === mutation.agentId;
    if (reply.eventType !== EVENT_OF[mutation.type] || !sameTarget) {
      throw new InvalidArgumentError('request_id', 'was already used for a different request');
    }
    return toProtoAgent(reply.record);
  }

  private create(ctx: RequestContext, mutation: CreateAgentMutation): Promise<Agent> {
    // Derived from the request, so a retry after a lost reply targets the same stream.
    const agentId = agentIdFor(ctx.tenantId, mutation.requestId);
    return this.names.run(nameKey(ctx.tenantId, mutation.definition.name), async () => {
      this.requireNameFree(ctx.tenantId, mutation.definition.name, agentId);
      const command: AgentCommand = {
        type: 'CreateAgent',
        agentId,
        definition: mutation.definition,
        createdBy: ctx.actor.id,
      };
      const events = decide(command, this.deps.projection.get(ctx.tenantId, agentId)?.agent ?? initialAgentState);
      try {
        const result = await this.append(ctx, mutation.requestId, agentId, events, 'no_stream');
        return await this.replyAfter(ctx, mutation.requestId, result.position);
      } catch (err) {
        if (!(err instanceof ConcurrencyError)) throw err;
        // The stream exists: another instance handled this very request. Answer as it did.
        await this.log.catchUp();
        const replayed = this.replay(ctx.tenantId, mutation);
        if (replayed) return replayed;
        throw new AlreadyExistsError('agent', 'id', agentId);
      }
    });
  }

  private change(ctx: RequestContext, mutation: UpdateAgentMutation | TransitionMutation): Promise<Agent> {
    return this.log.decideUntilAppended(
      `agent ${mutation.agentId}`,
      mutation.expectedRevision,
      () => this.deps.projection.get(ctx.tenantId, mutation.agentId)?.revision ?? -1,
      async () => {
        const record = await this.atRevision(ctx.tenantId, mutation.agentId, mutation.expectedRevision);
        const events = decide(toCommand(mutation), record.agent);
        // An update that changes nothing records nothing; the agent is the answer.
        if (events.length === 0) return toProtoAgent(record);
        return this.write(ctx, mutation.requestId, record.agent, events, mutation.expectedRevision ?? record.revision);
      },
    );
  }

  /** Appends and waits for the projection; a rename also holds the new name's lock until the name is indexed. */
  private async write(
    ctx: RequestContext,
    requestId: string,
    agent: ExistingAgent,
    events: AgentEvent[],
    expected: number,
  ): Promise<Agent> {
    const appendAndReply = async () => {
      const result = await this.append(ctx, requestId, agent.agentId, events, expected);
      return this.replyAfter(ctx, requestId, result.position);
    };
    const renamed = events.find((e) => e.type === 'AgentUpdated' && e.data.changedFields.includes('name'));
    if (renamed?.type !== 'AgentUpdated') return appendAndReply();
    return this.names.run(nameKey(ctx.tenantId, renamed.data.definition.name), async () => {
      this.requireNameFree(ctx.tenantId, renamed.data.definition.name, agent.agentId);
      return appendAndReply();
    });
  }

  /**
   * The agent as the projection has it, checked against the caller's
   * expected_revision. A caller who has seen a newer revision than ours (from
   * another instance) gets a brief wait for the projection before ABORTED.
   */
  private async atRevision(tenantId: string, agentId: string, expected: number | undefined): Promise<AgentRecord> {
    let record = this.deps.projection.get(tenantId, agentId);
    if (!record || (expected !== undefined && expected > record.revision)) {
      await this.log.catchUp();
      record = this.requireAgent(tenantId, agentId);
    }
    if (expected !== undefined && expected !== record.revision)
      throw new RevisionMismatchError(expected, record.revision);
    return record;
  }

  private requireAgent(tenantId: string, agentId: string): AgentRecord {
    const record = this.deps.projection.get(tenantId, agentId);
    if (!record) throw new NotFoundError('agent', agentId);
    return record;
  }

  private requireNameFree(tenantId: string, name: string, agentId: string): void {
    const holder = this.deps.projection.agentIdByName(tenantId, name);
    if (holder !== undefined && holder !== agentId) throw new AlreadyExistsError('agent', 'agent.name', name);
  }

  private append(
    ctx: RequestContext,
    requestId: string,
    agentId: string,
    events: AgentEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult> {
    const stream = { tenantId: ctx.tenantId, category: AGENT_CATEGORY, id: agentId };
    return this.log.append(ctx, requestId, stream, events, expectedRevision);
  }

  /** Read-your-writes: the reply is the agent as the projection has it right after this request's events. */
  private async replyAfter(ctx: RequestContext, requestId: string, position: number): Promise<Agent> {
    await this.log.written(position);
    const reply = this.deps.projection.reply(ctx.tenantId, requestId);
    if (!reply)
      throw new AosError('INTERNAL', `request ${requestId} was recorded at ${position} but is not in the read model`);
    return toProtoAgent(reply.record);
  }
}

function toCommand(mutation: UpdateAgentMutation | TransitionMutation): AgentCommand {
  if (mutation.type === 'UpdateAgent') {
    return { type: 'UpdateAgent', agentId: mutation.agentId, changes: mutation.changes };
  }
  return { type: mutation.type, agentId: mutation.agentId, reason: mutation.reason };
}

function nameKey(tenantId: string, name: string): string {
  return `${tenantId}\u0000${foldName(name)}`;
}
