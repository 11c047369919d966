import {
  evolveTask,
  initialTaskState,
  isTerminal,
  parseRunEvent,
  parseTaskEvent,
  RUN_CATEGORY,
  runIdOf,
  RUNNING_STATUSES,
  TASK_CATEGORY,
  TERMINAL_STATUSES,
  taskIdOfRun,
  TaskPriority,
  TaskPrioritySchema,
  TaskState as ProtoTaskState,
  toTaskStep,
  toTimestamp,
  type ExistingTask,
  type Task,
  type TaskPriorityName,
  type TaskStatus,
  type StepEventLike,
  type TaskHistoryEvent,
} from '@aos/contracts';
import { DEFAULT_ROUTING_FINISHED_TASKS } from '@aos/config';
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
  /** The request ids whose events are in the task's own stream: forgotten by the request index when it is summarised. */
  readonly requestIds: string[];
}

/**
 * A finished task beyond the newest ones kept whole: what routing
 * decides and filters on (`task` holds no text, decision, result or
 * failure), never shown as it is: read the task back from the log
 * (TaskHistory) to show it.
 */
export interface TaskSummary {
  readonly summary: true;
  readonly tenantId: string;
  readonly task: ExistingTask;
  readonly revision: number;
  readonly logPosition: number;
  readonly createPosition: number;
  /** Its TaskSubmitted's time, in ms since the epoch (the list's filter). */
  readonly createMs: number;
}

/** A task as model.task() finds it: whole, or summarised (finished long ago). */
export type TaskView = TaskRecord | TaskSummary;

export function isSummary(view: TaskView): view is TaskSummary {
  return 'summary' in view;
}

/** A task that an event changed: as it was before (undefined when the event created it) and after. */
export interface TaskChange {
  readonly tenantId: string;
  readonly record: TaskRecord;
  readonly before: ExistingTask | undefined;
  readonly event: TaskHistoryEvent;
}

const STATUS_CODES: readonly TaskStatus[] = ['QUEUED', 'ASSIGNED', 'RUNNING', 'WAITING_APPROVAL', ...TERMINAL_STATUSES];
const PRIORITY_CODES: readonly TaskPriorityName[] = TaskPrioritySchema.options;
/** A summary's decision: it is not kept (shared by every summary: never change it). */
const NO_DECISION: ExistingTask['decision'] = { router: 'lexical', chosenAgentId: '', candidates: [], rationale: '' };

/**
 * The summarised tasks of a tenant as columns indexed by the task's slot
 * (its place in `order`): numbers, and strings that repeat (agents,
 * runners, submitters) as indexes into `strings`. About 60 bytes a task in
 * a snapshot, against some 2.5 KiB for a whole one.
 */
interface SummaryColumns {
  status: number[];
  priority: number[];
  attempt: number[];
  revision: number[];
  logPosition: number[];
  createPosition: number[];
  createMs: number[];
  assignedAgent: number[];
  requestedAgent: number[];
  runner: number[];
  submittedBy: number[];
  strings: string[];
}

interface TenantTasks {
  /** Every task id, in the order they were created (a task's slot is its index here). */
  readonly order: string[];
  /** The tasks kept whole: unfinished, and the newest finished. */
  readonly byId: Map<string, TaskRecord>;
  /** QUEUED and ASSIGNED tasks: the only ones a reconciliation may route again. */
  readonly unstarted: Set<TaskRecord>;
  readonly summaries: SummaryColumns;
  /**
   * The requests of summarised tasks, which the request index forgot: a
   * 31-bit hash of the request id → the slot of the task whose stream holds
   * its events (a request writes one task's stream), or the slots of every
   * such task when request ids share a hash. Tells a late retry, or a
   * request id reused for another request, where to read back what it
   * recorded: each task named is read until one holds events of the request.
   */
  readonly forgotten: Map<number, number | number[]>;
}

/** Lookups rebuilt from TenantTasks (never in a snapshot). */
interface TenantIndex {
  readonly slots: Map<string, number>;
  readonly strings: Map<string, number>;
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
  recent: Set<TaskRecord>;
}

/**
 * The tasks of every tenant, folded from their own streams and their runs'
 * with the one task fold (evolveTask), with their steps; and the indexes the
 * reactions walk: the running tasks of every tenant (the lease sweep) and each
 * tenant's unstarted ones (the reconciliation). A finished task stays whole
 * until `keepFinished` newer ones have finished, then it is summarised
 * (a finished task never changes again: evolveTask leaves a terminal state
 * alone), so memory grows by a few dozen bytes per finished task.
 */
export class TaskProjection {
  private readonly tenants = new Map<string, TenantTasks>();
  private readonly indexes = new Map<string, TenantIndex>();
  /** run id → where its task lives, for tasks kept whole; run ids are unique across tenants (task ids are UUIDs). */
  private readonly runs = new Map<string, { tenantId: string; taskId: string }>();
  /** Tasks whose attempt holds a lease (RUNNING or WAITING_APPROVAL), of every tenant. */
  private readonly running = new Set<TaskRecord>();
  private readonly runRevisions = new Map<string, number>();
  /** Finished tasks kept whole, the oldest finished first. */
  private readonly recent = new Set<TaskRecord>();
  /** Called with each task as it is summarised (routing forgets its requests). */
  onSummarised: ((record: TaskRecord) => void) | undefined;

  /** `keepFinished`: how many finished tasks stay whole (Infinity: every one, as TaskHistory reads one task). */
  constructor(private readonly keepFinished = DEFAULT_ROUTING_FINISHED_TASKS) {}

  /** The tasks of every tenant as plain data (a projection snapshot); serialize before the next event. */
  capture(): TaskProjectionState {
    return {
      tenants: this.tenants,
      runs: this.runs,
      running: this.running,
      runRevisions: this.runRevisions,
      recent: this.recent,
    };
  }

  /** Puts a captured state in place of an empty projection's. */
  restore(state: TaskProjectionState): void {
    state.tenants.forEach((tenant, tenantId) => {
      this.tenants.set(tenantId, tenant);
      this.indexes.set(tenantId, {
        slots: new Map(tenant.order.map((id, slot) => [id, slot])),
        strings: new Map(tenant.summaries.strings.map((text, i) => [text, i])),
      });
    });
    state.runs.forEach((owner, runId) => this.runs.set(runId, owner));
    state.running.forEach((record) => this.running.add(record));
    state.runRevisions.forEach((revision, key) => this.runRevisions.set(key, revision));
    state.recent.forEach((record) => this.recent.add(record));
    // Captured by a process that kept more finished tasks whole than this one does.
    while (this.recent.size > this.keepFinished) this.summarise(this.recent.values().next().value!);
  }

  /** Applies a task or run event; the change it made, or undefined when it changed nothing (other events too). */
  apply(event: RecordedEvent): TaskChange | undefined {
    if (event.category === TASK_CATEGORY) return this.applyTask(event);
    if (event.category === RUN_CATEGORY) return this.applyRun(event);
    return undefined;
  }

  /** The task kept whole, or its summary; undefined when the tenant has no such task. */
  task(tenantId: string, taskId: string): TaskView | undefined {
    const tenant = this.tenants.get(tenantId);
    if (!tenant) return undefined;
    const record = tenant.byId.get(taskId);
    if (record) return record;
    const slot = this.indexes.get(tenantId)!.slots.get(taskId);
    return slot === undefined ? undefined : this.summary(tenantId, tenant, slot);
  }

  /** The tasks whose streams may hold the events of a request the request index forgot (see TenantTasks.forgotten). */
  forgottenRequestTasks(tenantId: string, requestId: string): string[] {
    const tenant = this.tenants.get(tenantId);
    const slots = tenant?.forgotten.get(requestHash(requestId));
    if (slots === undefined) return [];
    return (typeof slots === 'number' ? [slots] : slots).map((slot) => tenant!.order[slot]!);
  }

  /** Whether the event is of a task kept as a summary (its request is not recorded again: see forgotten). */
  isOfSummary(event: RecordedEvent): boolean {
    const tenant = this.tenants.get(event.metadata.tenantId);
    if (!tenant) return false;
    const taskId = event.category === TASK_CATEGORY ? event.streamId : taskIdOfRun(event.streamId);
    if (taskId === undefined || tenant.byId.has(taskId)) return false;
    return this.indexes.get(event.metadata.tenantId)!.slots.has(taskId);
  }

  /** Where a run's task lives, whichever tenant (tasks kept whole only). */
  runOwner(runId: string): { tenantId: string; taskId: string } | undefined {
    return this.runs.get(runId);
  }

  tenantIds(): Iterable<string> {
    return this.tenants.keys();
  }

  /** The tenant's tasks, newest first: whole, or summarised. */
  *tasksOf(tenantId: string): Iterable<TaskView> {
    const tenant = this.tenants.get(tenantId);
    if (!tenant) return;
    for (let slot = tenant.order.length - 1; slot >= 0; slot--) {
      yield tenant.byId.get(tenant.order[slot]!) ?? this.summary(tenantId, tenant, slot);
    }
  }

  /** How many tasks the tenant has, and how many of them are kept whole. */
  countsOf(tenantId: string): { tasks: number; whole: number } {
    const tenant = this.tenants.get(tenantId);
    return { tasks: tenant?.order.length ?? 0, whole: tenant?.byId.size ?? 0 };
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
    if (!previous) {
      const slot = this.indexes.get(tenantId)!.slots.get(event.streamId);
      // A summarised task is finished: an event of its stream changes nothing but the revision.
      if (slot !== undefined) {
        const { revision } = tenant.summaries;
        if (event.revision > revision[slot]!) revision[slot] = event.revision;
        return undefined;
      }
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
        requestIds: [],
      };
      tenant.byId.set(next.taskId, record);
      this.indexes.get(tenantId)!.slots.set(next.taskId, tenant.order.length);
      tenant.order.push(next.taskId);
    }
    record.revision = event.revision;
    const { requestId } = event.metadata;
    if (!record.requestIds.includes(requestId)) record.requestIds.push(requestId);
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
    // A summarised task's run changes nothing (its task is finished); its step is in the log.
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
    const change = { tenantId: record.tenantId, record, before, event: parsed };
    if (isTerminal(status) && !this.recent.has(record)) {
      this.recent.add(record);
      if (this.recent.size > this.keepFinished) this.summarise(this.recent.values().next().value!);
    }
    return change;
  }

  /** Keeps a finished task as columns only: its record, steps and runs leave memory. */
  private summarise(record: TaskRecord): void {
    this.recent.delete(record);
    const { task, tenantId } = record;
    // A run id not of the `<taskId>-<attempt>` form could not be told again: such a task stays whole.
    if (task.runId !== (task.attempt > 0 ? runIdOf(task.taskId, task.attempt) : '')) return;
    const tenant = this.tenants.get(tenantId)!;
    const index = this.indexes.get(tenantId)!;
    const slot = index.slots.get(task.taskId)!;
    const columns = tenant.summaries;
    const text = (value: string) => {
      let i = index.strings.get(value);
      if (i === undefined) index.strings.set(value, (i = columns.strings.push(value) - 1));
      return i;
    };
    // Columns are filled up to the slot (slots of tasks kept whole hold zeros).
    const set = (column: number[], value: number) => {
      while (column.length < slot) column.push(0);
      column[slot] = value;
    };
    set(columns.status, STATUS_CODES.indexOf(task.status));
    set(columns.priority, Math.max(0, PRIORITY_CODES.indexOf(task.priority)));
    set(columns.attempt, task.attempt);
    set(columns.revision, record.revision);
    set(columns.logPosition, record.logPosition);
    set(columns.createPosition, record.createPosition);
    set(columns.createMs, Date.parse(record.createTime));
    set(columns.assignedAgent, text(task.assignedAgentId));
    set(columns.requestedAgent, text(task.requestedAgentId));
    set(columns.runner, text(task.runner));
    set(columns.submittedBy, text(task.submittedBy));
    tenant.byId.delete(task.taskId);
    for (const requestId of record.requestIds) {
      const hash = requestHash(requestId);
      const known = tenant.forgotten.get(hash);
      if (known === undefined) tenant.forgotten.set(hash, slot);
      else if (typeof known === 'number') tenant.forgotten.set(hash, known === slot ? slot : [known, slot]);
      else if (!known.includes(slot)) known.push(slot);
    }
    for (let attempt = 1; attempt <= task.attempt; attempt++) {
      const runId = runIdOf(task.taskId, attempt);
      this.runs.delete(runId);
      this.runRevisions.delete(`${tenantId}/${runId}`);
    }
    this.onSummarised?.(record);
  }

  private summary(tenantId: string, tenant: TenantTasks, slot: number): TaskSummary {
    const c = tenant.summaries;
    const taskId = tenant.order[slot]!;
    const attempt = c.attempt[slot]!;
    return {
      summary: true,
      tenantId,
      revision: c.revision[slot]!,
      logPosition: c.logPosition[slot]!,
      createPosition: c.createPosition[slot]!,
      createMs: c.createMs[slot]!,
      task: {
        status: STATUS_CODES[c.status[slot]!]!,
        taskId,
        text: '',
        requiredCapabilities: [],
        requestedAgentId: c.strings[c.requestedAgent[slot]!]!,
        priority: PRIORITY_CODES[c.priority[slot]!]!,
        submittedBy: c.strings[c.submittedBy[slot]!]!,
        assignedAgentId: c.strings[c.assignedAgent[slot]!]!,
        decision: NO_DECISION,
        attempt,
        runId: attempt > 0 ? runIdOf(taskId, attempt) : '',
        runner: c.strings[c.runner[slot]!]!,
        approvalId: '',
        result: '',
        failureReason: '',
        failureCode: '',
      },
    };
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
    if (!tenant) {
      const summaries: SummaryColumns = {
        status: [],
        priority: [],
        attempt: [],
        revision: [],
        logPosition: [],
        createPosition: [],
        createMs: [],
        assignedAgent: [],
        requestedAgent: [],
        runner: [],
        submittedBy: [],
        strings: [],
      };
      this.tenants.set(
        tenantId,
        (tenant = { order: [], byId: new Map(), unstarted: new Set(), summaries, forgotten: new Map() }),
      );
      this.indexes.set(tenantId, { slots: new Map(), strings: new Map() });
    }
    return tenant;
  }
}

/** FNV-1a of the request id, to 31 bits (a small integer in V8: compact in memory and in a snapshot). */
export function requestHash(requestId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < requestId.length; i++) hash = Math.imul(hash ^ requestId.charCodeAt(i), 0x01000193);
  return hash >>> 1;
}

/** The task as the API shows it; steps only when asked (GetTask). */
export function toProtoTask(record: TaskRecord, withSteps: boolean): Task {
  if (isSummary(record))
    throw new Error(`task ${(record as TaskSummary).task.taskId} is summarised: read it back first`);
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
