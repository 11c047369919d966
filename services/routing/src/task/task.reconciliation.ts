import type { CommandPipeline } from '@aos/command-pipeline';
import type { RoutingModel } from '../routing.model';
import { decide, routingNeededFor, type AgentStatusFact } from './task.decider';
import { reactionRequestId } from './task.ids';
import type { TaskRecord, TaskView } from './task.projection';
import type { TaskRouting } from './task.routing';
import { systemCtx, taskStream } from './task.streams';

const PRIORITY_RANK = { HIGH: 0, NORMAL: 1, LOW: 2 } as const;

export interface TaskReconciliationDeps {
  model: RoutingModel;
  pipeline: CommandPipeline;
  routing: TaskRouting;
  /** Reports a reaction that failed (it is retried at the next reconciliation). */
  onError?: (message: string, err: unknown) => void;
}

/**
 * Brings a tenant's tasks in line with its agents: every QUEUED task is
 * routed again (cause agent-available), every ASSIGNED task whose agent is
 * RETIRED or gone is routed again without it (cause agent-retired). It
 * decides against the current state only, so running it twice, or again after
 * a restart, changes nothing more; each routing carries the revision it was
 * decided on, so a task changed meanwhile is left to the next run.
 */
export class TaskReconciliation {
  constructor(private readonly deps: TaskReconciliationDeps) {}

  /** Whether a reconciliation of the tenant may change the task (the reactions schedule one then). */
  needsRouting(record: TaskRecord): boolean {
    return routingNeededFor(record.task, this.assignedAgentStatus(record)) !== undefined;
  }

  async reconcileTenant(tenantId: string): Promise<void> {
    const { model, pipeline, routing } = this.deps;
    if (!pipeline.isFollowingLog()) return;
    // A submit appends TaskSubmitted and its routing together, and the model applies them one by one:
    // seen in between, the task would look unrouted and be routed (the model router asked) a second
    // time. So decide on the log as it is now, applied whole, and leave tasks created after it to
    // their submitter (the next reconciliation sees them whole).
    let reached: number;
    try {
      reached = await pipeline.catchUp();
    } catch (err) {
      // The log out of reach for a while (or this process too busy to hear it): not fatal, the next reconciliation retries.
      this.deps.onError?.(`reconciliation of tenant ${tenantId} could not read the log's head`, err);
      return;
    }
    const pending = [...model.tasks.unstartedTasksOf(tenantId)]
      .filter((r) => r.createPosition <= reached && this.needsRouting(r))
      .sort(
        (a, b) =>
          PRIORITY_RANK[a.task.priority] - PRIORITY_RANK[b.task.priority] || a.createPosition - b.createPosition,
      );
    for (const candidate of pending) {
      const { taskId } = candidate.task;
      const record = model.task(tenantId, taskId)!;
      const cause = routingNeededFor(record.task, this.assignedAgentStatus(record));
      if (cause === undefined) continue;
      try {
        const outcome = await routing.route(tenantId, {
          text: record.task.text,
          requiredCapabilities: record.task.requiredCapabilities,
          requestedAgentId: record.task.requestedAgentId,
          cause,
          ...(cause === 'agent-retired' ? { excludeAgentId: record.task.assignedAgentId } : {}),
        });
        const requestId = reactionRequestId('route', taskId, record.revision);
        await pipeline.handle(systemCtx(tenantId, requestId), {
          requestId,
          replays: ['TaskRouted', 'TaskQueued'],
          ...taskStream(model, systemCtx(tenantId, requestId), taskId),
          // Decided on this revision: a task changed meanwhile is the next reconciliation's.
          expectedRevision: record.revision,
          decide: (state) => decide({ type: 'RouteTask', taskId, routing: outcome }, state),
          reply: () => undefined,
        });
      } catch (err) {
        // A lost race or a slow log: the next reconciliation decides again against the newer state.
        this.deps.onError?.(`could not route task ${taskId} again`, err);
      }
    }
  }

  private assignedAgentStatus(record: TaskView): AgentStatusFact {
    return this.deps.model.agents.get(record.tenantId, record.task.assignedAgentId)?.status ?? 'NONE';
  }
}
