import {
  evolveTask,
  initialTaskState,
  parseRunEvent,
  parseTaskEvent,
  RUN_CATEGORY,
  RUNNING_STATUSES,
  TASK_CATEGORY,
  taskIdOfRun,
  TaskPriority,
  TaskState as ProtoTaskState,
  toTaskStep,
  toTimestamp,
  type ExistingTask,
  type Task,
  type StepEventLike,
  type TaskHistoryEvent,
} from '@aos/contracts';
import { applyRecorded, parseRecorded, ProjectionError, type RecordedEvent } from '@aos/event-store';

/** GetTask shows at most the last this many steps of a task. */
export const MAX_STEPS = 500;

export interface TaskRecord {
  readonly tenantId: string;
  task: ExistingTask;
  /** 0-based revision of the task's own stream: what its next append expects. */
  revision: number;
  /** Position of the newest event that changed the task (its own, or one of its runs'). */
  logPosition: number;
  /** Position of its TaskSubmitted: the list order and page token. */
  readonly createPosition: number;
  readonly createTime: string;
  updateTime: string;
  /** When the decision in `task.decision` was made: its event's time (the Task's decide_time). */
  decideTime: string;
  /**
   * The task's and its runs' events in log order, the last MAX_STEPS, as
   * toTaskStep needs them: made TaskSteps only when GetTask asks (a TaskStep
   * holds its data as JSON text, which cost most of a task's memory), the data
   * shared with the request index.
   */
  readonly steps: StepEventLike[];
}

/** A task that an event changed: as it was before (undefined when the event created it) and after. */
export interface TaskChange {
  readonly tenantId: string;
  readonly record: TaskRecord;
  readonly before: ExistingTask | undefined;
  readonly event: TaskHistoryEvent;
}

interface TenantTasks {
  readonly byId: Map<string, TaskRecord>;
  readonly order: string[];
  /** QUEUED and ASSIGNED tasks: the only ones a reconciliation may route again. */
  readonly unstarted: Set<TaskRecord>;
}

/**
 * TaskProjection.capture(): plain data whose Sets hold the very records of
 * `tenants` (v8.serialize keeps that sharing within one call).
 */
export interface TaskProjectionState {
  tenants: Map<string, TenantTasks>;
  runs: Map<string, { tenantId: string; taskId: string }>;
  running: Set<TaskRecord>;
  runRevisions: Map<string, number>;
}

/**
 * The tasks of every tenant, folded from their own streams and their runs'
 * with the one task fold (evolveTask), with their steps; and the indexes the
 * reactions walk: the running tasks of every tenant (the lease sweep) and each
 * tenant's unstarted ones (the reconciliation).
 */
export class TaskProjection {
  private readonly tenants = new Map<string, TenantTasks>();
  /** run id → where its task lives; run ids are unique across tenants (task ids are UUIDs). */
  private readonly runs = new Map<string, { tenantId: string; taskId: string }>();
  /** Tasks whose attempt holds a lease (RUNNING or WAITING_APPROVAL), of every tenant. */
  private readonly running = new Set<TaskRecord>();
  private readonly runRevisions = new Map<string, number>();

  /** The tasks of every tenant as plain data (a projection snapshot); serialize before the next event. */
  capture(): TaskProjectionState {
    return { tenants: this.tenants, runs: this.runs, running: this.running, runRevisions: this.runRevisions };
  }

  /** Puts a captured state in place of an empty projection's. */
  restore(state: TaskProjectionState): void {
    state.tenants.forEach((tenant, tenantId) => this.tenants.set(tenantId, tenant));
    state.runs.forEach((owner, runId) => this.runs.set(runId, owner));
    state.running.forEach((record) => this.running.add(record));
    state.runRevisions.forEach((revision, key) => this.runRevisions.set(key, revision));
  }

  /** Applies a task or run event; the change it made, or undefined when it changed nothing (other events too). */
  apply(event: RecordedEvent): TaskChange | undefined {
    if (event.category === TASK_CATEGORY) return this.applyTask(event);
    if (event.category === RUN_CATEGORY) return this.applyRun(event);
    return undefined;
  }

  task(tenantId: string, taskId: string): TaskRecord | undefined {
    return this.tenants.get(tenantId)?.byId.get(taskId);
  }

  /** Where a run's task lives, whichever tenant. */
  runOwner(runId: string): { tenantId: string; taskId: string } | undefined {
    return this.runs.get(runId);
  }

  tenantIds(): Iterable<string> {
    return this.tenants.keys();
  }

  /** The tenant's tasks, newest first. */
  *tasksOf(tenantId: string): Iterable<TaskRecord> {
    const tenant = this.tenants.get(tenantId);
    if (!tenant) return;
    for (let i = tenant.order.length - 1; i >= 0; i--) yield tenant.byId.get(tenant.order[i]!)!;
  }

  /** Every task of every tenant whose attempt holds a lease (RUNNING or WAITING_APPROVAL). */
  runningTasks(): Iterable<TaskRecord> {
    return this.running;
  }

  /** The tenant's QUEUED and ASSIGNED tasks, in no particular order. */
  unstartedTasksOf(tenantId: string): Iterable<TaskRecord> {
    return this.tenants.get(tenantId)?.unstarted ?? [];
  }

  private applyTask(event: RecordedEvent): TaskChange | undefined {
    const parsed = this.parse(event, parseTaskEvent);
    if (!parsed) return undefined;
    const tenantId = event.metadata.tenantId;
    const tenant = this.tenant(tenantId);
    const previous = tenant.byId.get(event.streamId);
    // Redelivery after a reconnect must not apply a change twice.
    if (previous && event.revision <= previous.revision) return undefined;
    if (parsed.data.taskId !== event.streamId) {
      throw new ProjectionError(event, `data.taskId ${parsed.data.taskId} does not match the stream`);
    }
    const next = this.fold(event, previous?.task, parsed);
    let record = previous;
    if (!record) {
      record = {
        tenantId,
        task: next,
        revision: event.revision,
        logPosition: event.position,
        createPosition: event.position,
        createTime: event.time,
        updateTime: event.time,
        decideTime: event.time,
        steps: [],
      };
      tenant.byId.set(next.taskId, record);
      tenant.order.push(next.taskId);
    }
    record.revision = event.revision;
    if (parsed.type === 'TaskRouted' || parsed.type === 'TaskQueued' || parsed.type === 'TaskReassigned') {
      record.decideTime = event.time;
    }
    if (parsed.type === 'TaskStarted') this.runs.set(parsed.data.runId, { tenantId, taskId: next.taskId });
    return this.changed(tenant, record, previous?.task, next, event, parsed);
  }

  /** Run events are the runtime's: each is a step of its task, and may move it (see evolveTask). */
  private applyRun(event: RecordedEvent): TaskChange | undefined {
    const taskId = taskIdOfRun(event.streamId);
    const tenant = this.tenants.get(event.metadata.tenantId);
    const record = taskId === undefined ? undefined : tenant?.byId.get(taskId);
    if (!tenant || !record) return undefined;
    const key = `${event.metadata.tenantId}/${event.streamId}`;
    if (event.revision <= (this.runRevisions.get(key) ?? -1)) return undefined;
    const parsed = this.parse(event, parseRunEvent);
    if (!parsed) return undefined;
    this.runRevisions.set(key, event.revision);
    const before = record.task;
    const next = this.fold(event, before, parsed);
    return this.changed(tenant, record, before, next, event, parsed);
  }

  private changed(
    tenant: TenantTasks,
    record: TaskRecord,
    before: ExistingTask | undefined,
    next: ExistingTask,
    event: RecordedEvent,
    parsed: TaskHistoryEvent,
  ): TaskChange {
    if (next !== before) {
      record.task = next;
      record.logPosition = event.position;
      record.updateTime = event.time;
    }
    const { status } = next;
    if (RUNNING_STATUSES.includes(status)) this.running.add(record);
    else this.running.delete(record);
    if (status === 'QUEUED' || status === 'ASSIGNED') tenant.unstarted.add(record);
    else tenant.unstarted.delete(record);
    const { type, time, position, category, streamId, data } = event;
    record.steps.push({ type, time, position, category, streamId, data });
    if (record.steps.length > MAX_STEPS) record.steps.splice(0, record.steps.length - MAX_STEPS);
    return { tenantId: record.tenantId, record, before, event: parsed };
  }

  private fold(event: RecordedEvent, before: ExistingTask | undefined, parsed: TaskHistoryEvent): ExistingTask {
    return applyRecorded(event, () => {
      const next = evolveTask(before ?? initialTaskState, parsed);
      if (next.status === 'NONE') throw new Error('the task does not exist after the event');
      return next;
    });
  }

  private parse<E>(event: RecordedEvent, parse: (type: string, data: unknown) => E | undefined): E | undefined {
    // An event type this version does not know (written by a newer one) is skipped, not fatal.
    return parseRecorded(event, parse);
  }

  private tenant(tenantId: string): TenantTasks {
    let tenant = this.tenants.get(tenantId);
    if (!tenant) this.tenants.set(tenantId, (tenant = { byId: new Map(), order: [], unstarted: new Set() }));
    return tenant;
  }
}

/** The task as the API shows it; steps only when asked (GetTask). */
export function toProtoTask(record: TaskRecord, withSteps: boolean): Task {
  const { task } = record;
  return {
    id: task.taskId,
    tenantId: record.tenantId,
    text: task.text,
    requiredCapabilities: [...task.requiredCapabilities],
    // The proto's agent_id is the agent the submitter asked for; the one routing chose is assigned_agent_id.
    agentId: task.requestedAgentId,
    priority: TaskPriority[task.priority],
    state: ProtoTaskState[task.status],
    assignedAgentId: task.status === 'QUEUED' ? '' : task.assignedAgentId,
    routing: {
      router: task.decision.router,
      chosenAgentId: task.decision.chosenAgentId,
      candidates: task.decision.candidates.map((c) => ({ ...c })),
      rationale: task.decision.rationale,
      decideTime: toTimestamp(record.decideTime),
    },
    result: task.result,
    failureReason: task.failureReason,
    failureCode: task.failureCode,
    attempt: task.attempt,
    approvalId: task.approvalId,
    steps: withSteps ? record.steps.map(toTaskStep) : [],
    revision: record.revision,
    createdBy: task.submittedBy,
    createTime: toTimestamp(record.createTime),
    updateTime: toTimestamp(record.updateTime),
    logPosition: record.logPosition,
  };
}
