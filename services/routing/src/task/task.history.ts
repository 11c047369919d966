import { recordedStep, type RecordedStep } from '@aos/command-pipeline';
import { RUN_CATEGORY, TASK_CATEGORY } from '@aos/contracts';
import { AosError } from '@aos/errors';
import type { EventStore, RecordedEvent } from '@aos/event-store';
import type { RoutingModel } from '../routing.model';
import { isSummary, TaskProjection, type TaskRecord, type TaskView } from './task.projection';

/** Summarised tasks read back at once by one ListTasks page. */
export const READS_IN_FLIGHT = 8;

/**
 * Finished tasks read back from the log: the model keeps a task whole only
 * while it runs and for a while after it finished (AOS_ROUTING_FINISHED_TASKS);
 * to show an older one, its stream and its runs' streams are read and folded
 * by the same TaskProjection, up to the position the model has applied, so
 * the answer is the one the model would have given.
 */
export class TaskHistory {
  constructor(
    private readonly store: Pick<EventStore, 'readStream'>,
    private readonly model: RoutingModel,
  ) {}

  /**
   * The task whole: as the model holds it, or read back from the log when
   * summarised, up to `upTo` (default: the position the model has applied).
   */
  async whole(view: TaskView, upTo = this.model.position): Promise<TaskRecord> {
    if (!isSummary(view)) return view;
    const { tenantId } = view;
    const { taskId } = view.task;
    const own = await this.store.readStream({ tenantId, category: TASK_CATEGORY, id: taskId });
    const runIds = new Set(own.flatMap((e) => (e.type === 'TaskStarted' ? [(e.data as { runId: string }).runId] : [])));
    const runs = await Promise.all(
      [...runIds].map((runId) => this.store.readStream({ tenantId, category: RUN_CATEGORY, id: runId })),
    );
    const events = [...own, ...runs.flat()].filter((e) => e.position <= upTo).sort((a, b) => a.position - b.position);
    const projection = new TaskProjection(Infinity);
    for (const event of events) projection.apply(event);
    const record = projection.task(tenantId, taskId);
    if (!record || isSummary(record)) {
      throw new AosError('INTERNAL', `task ${taskId} is in the read model but its stream could not be read back`);
    }
    return record;
  }

  /**
   * What a request recorded, when the request index forgot it with its task
   * (the task was summarised): read back from that task's stream.
   * the task pipeline's recall (CommandPipelineOptions.recall); the pipeline then
   * answers a retry as a replay, and a request id reused for another target
   * with INVALID_ARGUMENT, as it did while the index held the request.
   */
  async recall(tenantId: string, requestId: string): Promise<RecordedStep[] | undefined> {
    for (const taskId of this.model.tasks.forgottenRequestTasks(tenantId, requestId)) {
      const events: RecordedEvent[] = await this.store.readStream({ tenantId, category: TASK_CATEGORY, id: taskId });
      const steps = events.filter((e) => e.metadata.requestId === requestId).map(recordedStep);
      if (steps.length > 0) return steps;
    }
    return undefined;
  }
}
