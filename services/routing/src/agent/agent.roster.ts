import { evolveAgentSnapshot, parseAgentEvent, type AgentSnapshot, type AgentStatusName } from '@aos/contracts';
import type { RecordedEvent } from '@aos/event-store';

export type AgentStatus = AgentStatusName;

/** What routing needs of an agent: who may take tasks, and what it can do. */
export interface AgentInfo {
  readonly agentId: string;
  readonly status: AgentStatus;
  readonly name: string;
  readonly description: string;
  readonly capabilities: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

/** Tenant → agent stream id → the agent, its fold and its stream's revision (AgentRoster.capture()). */
export type AgentRosterState = Map<string, Map<string, { info: AgentInfo; snapshot: AgentSnapshot; revision: number }>>;

/** Label that limits how many tasks one agent runs at once (a positive integer). */
export const MAX_CONCURRENT_LABEL = 'aos.max_concurrent_tasks';

/**
 * The tenants' agents as routing sees them, fed the `agent-*` events (owned by
 * lifecycle) in log order. Routing never writes here; it only reads who is
 * ACTIVE, PAUSED or RETIRED and what each agent can do.
 */
export class AgentRoster {
  private readonly tenants: AgentRosterState = new Map();

  /** Every tenant's agents as plain data (a projection snapshot); serialize before the next event. */
  capture(): AgentRosterState {
    return this.tenants;
  }

  /** Puts a captured state in place of an empty roster's. */
  restore(state: AgentRosterState): void {
    state.forEach((agents, tenantId) => this.tenants.set(tenantId, agents));
  }

  /** Applies an agent event; returns the agent as it is after it, or undefined when nothing changed. */
  apply(event: RecordedEvent): AgentInfo | undefined {
    const parsed = parseAgentEvent(event.type, event.data);
    if (!parsed) return undefined;
    let agents = this.tenants.get(event.metadata.tenantId);
    if (!agents) this.tenants.set(event.metadata.tenantId, (agents = new Map()));
    const previous = agents.get(event.streamId);
    if (previous && event.revision <= previous.revision) return undefined;
    const snapshot = evolveAgentSnapshot(previous?.snapshot, parsed);
    const { definition: d } = snapshot;
    const info: AgentInfo = {
      agentId: snapshot.agentId,
      status: snapshot.status,
      name: d.name,
      description: d.description,
      capabilities: d.capabilities,
      labels: d.labels,
    };
    agents.set(event.streamId, { info, snapshot, revision: event.revision });
    return info;
  }

  get(tenantId: string, agentId: string): AgentInfo | undefined {
    return this.tenants.get(tenantId)?.get(agentId)?.info;
  }

  *agentsOf(tenantId: string): Iterable<AgentInfo> {
    for (const { info } of this.tenants.get(tenantId)?.values() ?? []) yield info;
  }

  tenantIds(): string[] {
    return [...this.tenants.keys()];
  }
}

/** Whether the agent has every one of the capabilities, compared case-insensitively. */
export function hasCapabilities(agent: AgentInfo, required: readonly string[]): boolean {
  const own = new Set(agent.capabilities.map((c) => c.toLowerCase()));
  return required.every((c) => own.has(c.toLowerCase()));
}

/** The agent's concurrency limit: its `aos.max_concurrent_tasks` label when that is a positive integer, else the default. */
export function concurrencyLimitOf(agent: AgentInfo, defaultLimit: number): number {
  const raw = agent.labels[MAX_CONCURRENT_LABEL];
  if (raw !== undefined && /^\d{1,6}$/.test(raw.trim())) {
    const n = Number(raw.trim());
    if (n > 0) return n;
  }
  return defaultLimit;
}
