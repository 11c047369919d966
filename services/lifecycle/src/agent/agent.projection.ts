import {
  AGENT_CATEGORY,
  AgentState as ProtoAgentState,
  HealthStatus,
  parseAgentEvent,
  toTimestamp,
  type Agent,
  type AgentHealth,
} from '@aos/contracts';
import { applyRecorded, parseRecorded, ProjectionError, type RecordedEvent } from '@aos/event-store';
import { evolve, initialAgentState, type DefinitionField, type ExistingAgent } from './agent.decider';
import { foldName, type AgentDefinition, type AgentHealthSummary } from '@aos/domain';
import { matchesAgentFilter, type AgentFilterTerm } from './agent.filter';
import { AgentVersionHistory, type AgentVersionsState } from './agent-versions.history';
import { AgentHealthProjection, type AgentSessionsState } from './agent-health.projection';
import { replaceMap } from './snapshot-state';

/**
 * The lifecycle service's write model and read model in one, built ONLY from
 * the log (a catch-up subscription from position 0, then live). It holds, per
 * tenant, the agents and who carries each name.
 *
 * Records are immutable snapshots: applying an event replaces the record, so
 * the command pipeline's request index can keep a reference to the record as
 * it stood right after a request (for the reply of a retry), instead of a
 * copy. Everything lives in this process's memory, which is the design (see
 * ARCHITECTURE.md §1), and it is rebuilt from the log at every start (or
 * from a snapshot of it that the log confirms, and the log's tail).
 */
export interface AgentRecord {
  readonly tenantId: string;
  readonly agent: ExistingAgent;
  /** 0-based revision of the agent's stream after this change. */
  readonly revision: number;
  /** Global position of the newest event applied to this agent. */
  readonly logPosition: number;
  /** Global position of the AgentCreated event: the creation order of ListAgents. */
  readonly createPosition: number;
  readonly createTime: string;
  readonly updateTime: string;
}

export interface AgentPage {
  records: AgentRecord[];
  totalSize: number;
  /** Set when more matching agents follow the page: the createPosition of its last record. */
  nextAfterPosition: number | undefined;
}

/** A tenant's agents: plain data, so that a snapshot holds it as it is. */
interface TenantAgents {
  readonly byId: Map<string, AgentRecord>;
  /** Folded name → agent id. Retired agents keep their name: they stay readable under it. */
  readonly idByName: Map<string, string>;
  /** Agent ids in creation order (events are applied in position order). */
  readonly creationOrder: string[];
}

/**
 * What the agent subscription changes, as plain data (the lifecycle's agent
 * snapshot): the agents, their versions, the session part of their health
 * and the counters.
 */
export interface AgentProjectionState {
  tenants: Map<string, TenantAgents>;
  versions: AgentVersionsState;
  sessions: AgentSessionsState;
  appliedCount: number;
  lastPosition: number;
}

/**
 * A reply travels as one NATS message (1 MiB by default), and one agent's
 * instructions alone may be 80 KB, so a page also ends at this size; AIP-158
 * lets a page be shorter than page_size.
 */
export const MAX_PAGE_BYTES = 768 * 1024;
/** The fields of an Agent reply besides its definition, generously. */
const AGENT_OVERHEAD_BYTES = 512;

/** The size of a reply's entry for one agent or one version of it, generously. */
export function estimatedDefinitionBytes(definition: AgentDefinition): number {
  return AGENT_OVERHEAD_BYTES + Buffer.byteLength(JSON.stringify(definition));
}

export class AgentProjection {
  /** Every definition version; the current definition of each agent is its newest version's object. */
  readonly versions = new AgentVersionHistory();
  /** Each agent's health from its runs: the bootstrap feeds it the run-* streams. */
  readonly health = new AgentHealthProjection();
  private readonly tenants = new Map<string, TenantAgents>();
  private appliedCount = 0;
  private lastPosition = 0;

  /** Number of events applied so far. */
  get eventsApplied(): number {
    return this.appliedCount;
  }

  /** Position of the newest event applied. */
  get position(): number {
    return this.lastPosition;
  }

  apply(event: RecordedEvent): void {
    if (event.category !== AGENT_CATEGORY) return;
    const parsed = this.parse(event);
    if (!parsed) return;
    const tenant = this.tenant(event.metadata.tenantId);
    const previous = tenant.byId.get(event.streamId);
    // Redelivery after a reconnect must not apply a change twice.
    if (previous && event.revision <= previous.revision) return;
    if (parsed.data.agentId !== event.streamId) {
      throw new ProjectionError(event, `data.agentId ${parsed.data.agentId} does not match the stream`);
    }
    this.health.applyAgentEvent(event, parsed);
    const agent: ExistingAgent = applyRecorded(event, () => {
      const next = evolve(previous?.agent ?? initialAgentState, parsed);
      if (next.status === 'NONE') throw new Error('the agent does not exist after the event');
      if (parsed.type !== 'AgentCreated' && parsed.type !== 'AgentUpdated') return next;
      const definition = this.versions.add(event.metadata.tenantId, next.agentId, {
        definitionVersion: next.definitionVersion,
        definition: next.definition,
        time: event.time,
        actorId: event.metadata.actor.id,
        logPosition: event.position,
        changedFields: parsed.type === 'AgentUpdated' ? (parsed.data.changedFields as DefinitionField[]) : [],
        rolledBackTo: parsed.type === 'AgentUpdated' ? parsed.data.rolledBackTo : undefined,
      });
      return { ...next, definition };
    });
    const record: AgentRecord = Object.freeze({
      tenantId: event.metadata.tenantId,
      agent,
      revision: event.revision,
      logPosition: event.position,
      createPosition: previous?.createPosition ?? event.position,
      createTime: previous?.createTime ?? event.time,
      updateTime: event.time,
    });
    this.index(tenant, previous, record);
    this.appliedCount += 1;
    this.lastPosition = Math.max(this.lastPosition, event.position);
  }

  /**
   * Everything apply() changed, for a snapshot (shared with the model, not
   * copied: serialize it before the next event). The run part of the health
   * is the run subscription's (health.captureRuns()).
   */
  capture(): AgentProjectionState {
    return {
      tenants: this.tenants,
      versions: this.versions.capture(),
      sessions: this.health.captureSessions(),
      appliedCount: this.appliedCount,
      lastPosition: this.lastPosition,
    };
  }

  /** Puts a captured state in place of an empty model's; its records are frozen again, as apply() leaves them. */
  restore(state: AgentProjectionState): void {
    for (const tenant of state.tenants.values()) for (const record of tenant.byId.values()) Object.freeze(record);
    replaceMap(this.tenants, state.tenants);
    this.versions.restore(state.versions);
    this.health.restoreSessions(state.sessions);
    this.appliedCount = state.appliedCount;
    this.lastPosition = state.lastPosition;
  }

  get(tenantId: string, agentId: string): AgentRecord | undefined {
    return this.tenants.get(tenantId)?.byId.get(agentId);
  }

  /** The agent as the API shows it, with its health now. */
  toProto(record: AgentRecord): Agent {
    return toProtoAgent(record, this.health.health(record.tenantId, record.agent.agentId));
  }

  /** The agent as it stands right after `event` was applied: what a retried request's reply is built from. */
  recordAfter(event: RecordedEvent): AgentRecord | undefined {
    return this.get(event.metadata.tenantId, event.streamId);
  }

  /** The id of the tenant's agent with this name (compared case-insensitively). */
  agentIdByName(tenantId: string, name: string): string | undefined {
    return this.tenants.get(tenantId)?.idByName.get(foldName(name));
  }

  /** One page of the tenant's agents matching the filter, in creation order, after `afterPosition`. */
  list(tenantId: string, filter: readonly AgentFilterTerm[], afterPosition: number, pageSize: number): AgentPage {
    const tenant = this.tenants.get(tenantId);
    const page: AgentRecord[] = [];
    let totalSize = 0;
    let more = false;
    let pageBytes = 0;
    for (const id of tenant?.creationOrder ?? []) {
      const record = tenant!.byId.get(id)!;
      const health = this.health.health(tenantId, id).status;
      if (!matchesAgentFilter(filter, { ...record.agent, health })) continue;
      totalSize += 1;
      if (record.createPosition <= afterPosition || more) continue;
      const bytes = estimatedDefinitionBytes(record.agent.definition);
      if (page.length < pageSize && (page.length === 0 || pageBytes + bytes <= MAX_PAGE_BYTES)) {
        page.push(record);
        pageBytes += bytes;
      } else more = true;
    }
    return { records: page, totalSize, nextAfterPosition: more ? page.at(-1)?.createPosition : undefined };
  }

  private parse(event: RecordedEvent) {
    // An event type this version does not know (written by a newer one) is skipped, not fatal.
    return parseRecorded(event, parseAgentEvent);
  }

  private tenant(tenantId: string): TenantAgents {
    let tenant = this.tenants.get(tenantId);
    if (!tenant) {
      tenant = { byId: new Map(), idByName: new Map(), creationOrder: [] };
      this.tenants.set(tenantId, tenant);
    }
    return tenant;
  }

  private index(tenant: TenantAgents, previous: AgentRecord | undefined, record: AgentRecord): void {
    const id = record.agent.agentId;
    if (!previous) tenant.creationOrder.push(id);
    const oldName = previous ? foldName(previous.agent.definition.name) : undefined;
    const newName = foldName(record.agent.definition.name);
    if (oldName !== undefined && oldName !== newName && tenant.idByName.get(oldName) === id) {
      tenant.idByName.delete(oldName);
    }
    tenant.idByName.set(newName, id);
    tenant.byId.set(id, record);
  }
}

/** The agent as the API shows it (ts-proto `Agent`, as proto-loader encodes it). */
export function toProtoAgent(record: AgentRecord, health: AgentHealthSummary): Agent {
  const { agent } = record;
  return {
    id: agent.agentId,
    tenantId: record.tenantId,
    ...protoDefinition(agent.definition),
    state: ProtoAgentState[agent.status],
    definitionVersion: agent.definitionVersion,
    revision: record.revision,
    createdBy: agent.createdBy,
    createTime: toTimestamp(record.createTime),
    updateTime: toTimestamp(record.updateTime),
    health: toProtoHealth(health),
    logPosition: record.logPosition,
  };
}

/** AgentHealth as the API shows it. */
export function toProtoHealth(health: AgentHealthSummary): AgentHealth {
  return {
    status: HealthStatus[health.status],
    lastHeartbeatTime: health.lastHeartbeatTime ? toTimestamp(health.lastHeartbeatTime) : undefined,
    recentRuns: health.recentRuns,
    recentFailures: health.recentFailures,
    lastFailure: health.lastFailure,
    reason: health.reason,
    consecutiveFailures: health.consecutiveFailures,
    lastSuccessTime: health.lastSuccessTime ? toTimestamp(health.lastSuccessTime) : undefined,
    openSessions: health.openSessions,
  };
}

/** A definition's fields as Agent and AgentVersion both carry them, copied (the model's are shared). */
export function protoDefinition(definition: AgentDefinition) {
  return {
    name: definition.name,
    description: definition.description,
    capabilities: [...definition.capabilities],
    instructions: definition.instructions,
    model: definition.model,
    toolIds: [...definition.toolIds],
    knowledgeBaseIds: [...definition.knowledgeBaseIds],
    labels: { ...definition.labels },
  };
}
