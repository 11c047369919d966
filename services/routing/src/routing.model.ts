import type { CapabilityRouter, CapabilityRouterState } from '@aos/capability-router';
import type { RequestIndex, RequestIndexState } from '@aos/command-pipeline';
import type { RecordedEvent } from '@aos/event-store';
import type { ProjectionSnapshot } from '@aos/service-host';
import { AgentLoads, type AgentLoad, type AgentLoadsState } from './agent/agent.loads';
import { AgentRoster, type AgentInfo, type AgentRosterState } from './agent/agent.roster';
import { TaskProjection, type TaskChange, type TaskProjectionState, type TaskView } from './task/task.projection';
import { TenantRouters } from './task/tenant-routers';

/** Something a live reaction may care about: an agent changed, or a task did. */
export type ModelChange = { kind: 'agent'; tenantId: string; agent: AgentInfo } | ({ kind: 'task' } & TaskChange);

/** The whole model as plain data (RoutingModel.capture()), for a projection snapshot. */
export interface RoutingModelState {
  agents: AgentRosterState;
  tasks: TaskProjectionState;
  loads: AgentLoadsState;
  routers: Map<string, CapabilityRouterState>;
  applied: number;
  position: number;
}

/**
 * Routing's memory of the log, fed the whole log in order by one
 * subscription, so agent, task and run events are seen in the order they
 * happened: the tenants' agents (lifecycle's), their tasks with their runs'
 * steps, each agent's load, and each tenant's capability router. Each part
 * is its own file; this only applies an event to the parts it concerns, in
 * that order, and tells the reactions what changed.
 */
export class RoutingModel {
  readonly agents = new AgentRoster();
  readonly tasks: TaskProjection;
  private readonly loads = new AgentLoads();
  private readonly routers = new TenantRouters();
  private applied = 0;
  private lastPosition = 0;
  /** Called after an event changed something, once the model is live (see goLive). */
  onChange: ((change: ModelChange) => void) | undefined;

  private readonly requests: Pick<RequestIndex, 'apply' | 'forget'> | undefined;

  /**
   * `requests`: the task pipeline's request index, fed by apply() after the
   * model, which forgets the requests of a task when the task is summarised
   * (and is not fed them again by a redelivery); `finishedKeptWhole`: how
   * many finished tasks stay whole (see TaskProjection).
   */
  constructor(options: { requests?: Pick<RequestIndex, 'apply' | 'forget'>; finishedKeptWhole?: number } = {}) {
    const { requests } = options;
    this.requests = requests;
    this.tasks = new TaskProjection(options.finishedKeptWhole);
    if (requests) {
      this.tasks.onSummarised = (record) => {
        for (const requestId of record.requestIds) requests.forget(record.tenantId, requestId);
      };
    }
  }

  get eventsApplied(): number {
    return this.applied;
  }

  /** Position of the last event applied (0 before any): what a read of the log back must not go past. */
  get position(): number {
    return this.lastPosition;
  }

  /**
   * Everything apply() has built, as plain data for v8.serialize (not a
   * copy: serialize it before the next event). The routers' indexes are
   * captured as computed, so restore() analyses no text again.
   */
  capture(): RoutingModelState {
    return {
      agents: this.agents.capture(),
      tasks: this.tasks.capture(),
      loads: this.loads.capture(),
      routers: this.routers.capture(),
      applied: this.applied,
      position: this.lastPosition,
    };
  }

  /** Puts a captured state in place of a new model's, before any event is applied. */
  restore(state: RoutingModelState): void {
    if (this.applied !== 0) throw new Error('RoutingModel.restore needs a new model');
    this.agents.restore(state.agents);
    this.tasks.restore(state.tasks);
    this.loads.restore(state.loads);
    this.routers.restore(state.routers);
    this.applied = state.applied;
    this.lastPosition = state.position;
  }

  /** Applies the event to the model, then to the request index (unless it is of a summarised task). */
  apply(event: RecordedEvent): void {
    this.applyToModel(event);
    if (this.requests && !this.tasks.isOfSummary(event)) this.requests.apply(event);
  }

  private applyToModel(event: RecordedEvent): void {
    this.lastPosition = Math.max(this.lastPosition, event.position);
    const agent = this.agents.apply(event);
    if (agent) {
      const tenantId = event.metadata.tenantId;
      this.routers.agentChanged(tenantId, agent, this.loads.of(tenantId, agent.agentId).queued);
      this.applied += 1;
      this.onChange?.({ kind: 'agent', tenantId, agent });
      return;
    }
    const change = this.tasks.apply(event);
    if (!change) return;
    const { tenantId, record, before } = change;
    for (const agentId of this.loads.track(tenantId, before, record.task)) {
      this.routers.queueLength(tenantId, agentId, this.loads.of(tenantId, agentId).queued);
    }
    this.routers.learn(tenantId, change.event, record.task, before);
    this.applied += 1;
    this.onChange?.({ kind: 'task', ...change });
  }

  /** After the replay: the routers index what they learned, and from now on changes are reported. */
  goLive(onChange: (change: ModelChange) => void): void {
    this.routers.refresh();
    this.routers.live = true;
    this.onChange = onChange;
  }

  /** Indexes what the routers learned and have not indexed yet (once after the replay; then it happens by itself). */
  refreshRouters(): void {
    this.routers.refresh();
  }

  /** The task whole, or its summary when it finished long ago (TaskHistory reads it back). */
  task(tenantId: string, taskId: string): TaskView | undefined {
    return this.tasks.task(tenantId, taskId);
  }

  loadOf(tenantId: string, agentId: string): AgentLoad {
    return this.loads.of(tenantId, agentId);
  }

  router(tenantId: string): CapabilityRouter {
    return this.routers.of(tenantId);
  }

  tenantIds(): string[] {
    return [...new Set([...this.tasks.tenantIds(), ...this.agents.tenantIds()])];
  }
}

/**
 * Routing's projection snapshot: the model and the task pipeline's request
 * index, both fed by the one subscription to the log. Raise the version with
 * any change to what either keeps or to how an event is applied.
 */
export function routingSnapshot(
  model: RoutingModel,
  requests: RequestIndex,
): ProjectionSnapshot<{ model: RoutingModelState; requests: RequestIndexState }> {
  return {
    version: 7,
    capture: () => ({ model: model.capture(), requests: requests.capture() }),
    restore: (state) => {
      // The requests first: the model may summarise tasks as it restores, and forget their requests.
      requests.restore(state.requests);
      model.restore(state.model);
    },
  };
}
