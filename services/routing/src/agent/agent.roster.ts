import { parseAgentEvent } from '@aos/contracts';
import type { RecordedEvent } from '@aos/event-store';

export type AgentStatus = 'DRAFT' | 'ACTIVE' | 'PAUSED' | 'RETIRED';

/** What routing needs of an agent: who may take tasks, and what it can do. */
export interface AgentInfo {
  readonly agentId: string;
  readonly status: AgentStatus;
  readonly name: string;
  readonly description: string;
  readonly capabilities: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

/** Label that limits how many tasks one agent runs at once (a positive integer). */
export const MAX_CONCURRENT_LABEL = 'aos.max_concurrent_tasks';

/**
 * The tenants' agents as routing sees them, fed the `agent-*` events (owned by
 * lifecycle) in log order. Routing never writes here; it only reads who is
 * ACTIVE, PAUSED or RETIRED and what each agent can do.
 */
export class AgentRoster {
  private readonly tenants = new Map<string, Map<string, { info: AgentInfo; revision: number }>>();

  /** Applies an agent event; returns the agent as it is after it, or undefined when nothing changed. */
  apply(event: RecordedEvent): AgentInfo | undefined {
    const parsed = parseAgentEvent(event.type, event.data);
    if (!parsed) return undefined;
    let agents = this.tenants.get(event.metadata.tenantId);
    if (!agents) this.tenants.set(event.metadata.tenantId, (agents = new Map()));
    const previous = agents.get(event.streamId);
    if (previous && event.revision <= previous.revision) return undefined;
    let info: AgentInfo;
    switch (parsed.type) {
      case 'AgentCreated':
      case 'AgentUpdated': {
        const d = parsed.data.definition;
        info = {
          agentId: parsed.data.agentId,
          status: previous?.info.status ?? 'DRAFT',
          name: d.name,
          description: d.description,
          capabilities: [...d.capabilities],
          labels: { ...d.labels },
        };
        break;
      }
      case 'AgentDeployed':
      case 'AgentResumed':
        info = { ...this.require(event, previous), status: 'ACTIVE' };
        break;
      case 'AgentPaused':
        info = { ...this.require(event, previous), status: 'PAUSED' };
        break;
      case 'AgentRetired':
        info = { ...this.require(event, previous), status: 'RETIRED' };
        break;
    }
    agents.set(event.streamId, { info, revision: event.revision });
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

  private require(event: RecordedEvent, previous: { info: AgentInfo } | undefined): AgentInfo {
    if (!previous)
      throw new Error(`${event.type} at position ${event.position} for agent ${event.streamId} before AgentCreated`);
    return previous.info;
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
