import { LOADED_STATUSES, RUNNING_STATUSES, type ExistingTask } from '@aos/contracts';

export interface AgentLoad {
  /** ASSIGNED + RUNNING + WAITING_APPROVAL: the router's queue length. */
  queued: number;
  /** RUNNING + WAITING_APPROVAL: what the concurrency limit counts. */
  running: number;
}

/** Tenant → agent → its load (AgentLoads.capture()). */
export type AgentLoadsState = Map<string, Map<string, AgentLoad>>;

const IDLE: AgentLoad = Object.freeze({ queued: 0, running: 0 });

/** Each agent's load, per tenant, kept by every change of a task's state. */
export class AgentLoads {
  private readonly tenants = new Map<string, Map<string, AgentLoad>>();

  of(tenantId: string, agentId: string): AgentLoad {
    return this.tenants.get(tenantId)?.get(agentId) ?? IDLE;
  }

  /** Every tenant's loads as plain data (a projection snapshot); serialize before the next change. */
  capture(): AgentLoadsState {
    return this.tenants;
  }

  /** Puts a captured state in place of an empty one's. */
  restore(state: AgentLoadsState): void {
    state.forEach((agents, tenantId) => this.tenants.set(tenantId, agents));
  }

  /** Moves the task's weight from the agent it had to the one it has; the agents whose load changed. */
  track(tenantId: string, before: ExistingTask | undefined, after: ExistingTask): string[] {
    this.count(tenantId, before, -1);
    this.count(tenantId, after, 1);
    return [...new Set([before?.assignedAgentId, after.assignedAgentId].filter((id): id is string => !!id))];
  }

  private count(tenantId: string, task: ExistingTask | undefined, sign: 1 | -1): void {
    if (!task?.assignedAgentId) return;
    const queued = LOADED_STATUSES.includes(task.status);
    const running = RUNNING_STATUSES.includes(task.status);
    if (!queued && !running) return;
    let agents = this.tenants.get(tenantId);
    if (!agents) this.tenants.set(tenantId, (agents = new Map()));
    const load = agents.get(task.assignedAgentId) ?? { queued: 0, running: 0 };
    if (queued) load.queued += sign;
    if (running) load.running += sign;
    agents.set(task.assignedAgentId, load);
  }
}
