import type { ExistingTask, TaskHistoryEvent } from '@aos/contracts';
import { CapabilityRouter, type CapabilityRouterState } from '@aos/capability-router';
import type { AgentInfo } from '../agent/agent.roster';

/**
 * One CapabilityRouter per tenant: its ACTIVE agents, their queue lengths,
 * and what it learned from completed and reassigned tasks. Learning only
 * records a text; the agents it concerns are indexed once after the replay
 * (so an agent with many completions is indexed once, not per completion),
 * then soon after each live completion or correction, off the path of the
 * next decision.
 */
export class TenantRouters {
  private readonly routers = new Map<string, CapabilityRouter>();
  private refreshQueued = false;
  /** Set once the model is live: from then on learning schedules a refresh. */
  live = false;

  of(tenantId: string): CapabilityRouter {
    let router = this.routers.get(tenantId);
    if (!router) this.routers.set(tenantId, (router = new CapabilityRouter()));
    return router;
  }

  /** Each tenant's router as plain data (a projection snapshot): its indexes as computed. */
  capture(): Map<string, CapabilityRouterState> {
    return new Map([...this.routers].map(([tenantId, router]) => [tenantId, router.capture()]));
  }

  /** Puts captured routers in place of none; no text is analysed again. */
  restore(state: ReadonlyMap<string, CapabilityRouterState>): void {
    state.forEach((captured, tenantId) => this.of(tenantId).restore(captured));
  }

  agentChanged(tenantId: string, agent: AgentInfo, queueLength: number): void {
    const router = this.of(tenantId);
    if (agent.status !== 'ACTIVE') return router.removeAgent(agent.agentId);
    router.upsertAgent({
      id: agent.agentId,
      name: agent.name,
      description: agent.description,
      capabilities: [...agent.capabilities],
      queueLength,
    });
  }

  queueLength(tenantId: string, agentId: string, queued: number): void {
    this.of(tenantId).setQueueLength(agentId, queued);
  }

  /** A completion teaches its agent the task's text; a person's reassignment corrects the router. */
  learn(tenantId: string, event: TaskHistoryEvent, task: ExistingTask, before: ExistingTask | undefined): void {
    const router = this.of(tenantId);
    const completed = task.status === 'SUCCEEDED' && before?.status !== 'SUCCEEDED';
    if (completed && task.assignedAgentId) router.learnFromCompletion(task.assignedAgentId, task.text);
    if (event.type === 'TaskReassigned') {
      router.learnFromCorrection(task.text, event.data.fromAgentId || undefined, event.data.toAgentId);
    }
    if (this.live && router.hasStaleAgents && !this.refreshQueued) {
      this.refreshQueued = true;
      setImmediate(() => this.refresh());
    }
  }

  /** Indexes what every tenant's router learned and has not indexed yet. */
  refresh(): void {
    this.refreshQueued = false;
    for (const router of this.routers.values()) router.refresh();
  }
}
