import {
  AGENT_CATEGORY,
  parseTaskEvent,
  RUN_CATEGORY,
  TASK_CATEGORY,
  taskIdOfRun,
  TaskPriority,
  TaskState as ProtoTaskState,
  toTaskStep,
  toTimestamp,
  type Task,
  type TaskEvent,
  type TaskEventType,
  type TaskStep,
} from '@aos/contracts';
import type { RecordedEvent } from '@aos/event-store';
import { CapabilityRouter } from '@aos/routing';
import { AgentRoster, type AgentInfo } from '../agent/agent.roster';
import { evolve, initialTaskState, LOADED_STATUSES, RUNNING_STATUSES, type ExistingTask } from './task.decider';

/** GetTask shows at most the last this many steps of a task. */
export const MAX_STEPS = 500;

export interface TaskRecord {
  readonly tenantId: string;
  task: ExistingTask;
  /** 0-based revision of the task's stream. */
  revision: number;
  /** Position of the task's newest event. */
  logPosition: number;
  /** Position of its TaskSubmitted: the list order and page token. */
  readonly createPosition: number;
  readonly createTime: string;
  updateTime: string;
  /** When the decision in `task.decision` was made: its event's time (the Task's decide_time). */
  decideTime: string;
  /** The task's and its runs' events in log order, the last MAX_STEPS. */
  readonly steps: TaskStep[];
}

/** What a request caused: its first event. */
export interface RequestReply {
  readonly eventType: TaskEventType;
  readonly taskId: string;
  readonly data: TaskEvent['data'];
  readonly position: number;
}

export interface AgentLoad {
  /** ASSIGNED + RUNNING + WAITING_APPROVAL: the router's queue length. */
  queued: number;
  /** RUNNING + WAITING_APPROVAL: what the concurrency limit counts. */
  running: number;
}

/** Thrown when an event cannot be applied: the log holds something routing would never write. */
export class TaskProjectionError extends Error {
  override name = 'TaskProjectionError';
  constructor(event: RecordedEvent, problem: string, options?: { cause?: unknown }) {
    super(`cannot apply ${event.type} at position ${event.position} (${event.stream}): ${problem}`, options);
  }
}

class TenantTasks {
  readonly byId = new Map<string, TaskRecord>();
  readonly order: string[] = [];
  readonly replies = new Map<string, RequestReply>();
  readonly loads = new Map<string, AgentLoad>();
  /** QUEUED and ASSIGNED tasks: the only ones a reconciliation may route again. */
  readonly unstarted = new Set<TaskRecord>();
  /** Lower-cased capability sets are not kept: the router indexes capabilities itself. */
  readonly router = new CapabilityRouter();
}

/** Something a live reaction may care about: an agent changed, or a task did. */
export type ProjectionChange =
  { kind: 'agent'; tenantId: string; agent: AgentInfo } | { kind: 'task'; tenantId: string; record: TaskRecord };

/**
 * Routing's write model and read model, fed the whole log in order (one
 * subscription, so agent and task changes are seen in the order they happened):
 * the tasks of every tenant with their steps (task and run events), the
 * tenants' agents, each agent's load, and one CapabilityRouter per tenant
 * holding the ACTIVE agents and what they learned from completed and
 * reassigned tasks.
 */
export class TaskProjection {
  readonly agents = new AgentRoster();
  private readonly tenants = new Map<string, TenantTasks>();
  /** run id → where its task lives; run ids are unique across tenants (task ids are UUIDs). */
  private readonly runs = new Map<string, { tenantId: string; taskId: string }>();
  /** Tasks whose attempt holds a lease (RUNNING or WAITING_APPROVAL), of every tenant: what the lease sweep walks. */
  private readonly running = new Set<TaskRecord>();
  private readonly runRevisions = new Map<string, number>();
  private appliedCount = 0;
  private refreshQueued = false;
  /** Called after an event changed something (set once the projection is live). */
  onChange: ((change: ProjectionChange) => void) | undefined;

  /**
   * Indexes what every tenant's router learned and has not indexed yet: once
   * after the replay (which only records learned texts, so an agent with many
   * completions is indexed once, not per completion), then soon after each
   * live completion or reassignment, off the path of the next decision.
   */
  refreshRouters(): void {
    this.refreshQueued = false;
    for (const tenant of this.tenants.values()) tenant.router.refresh();
  }

  get eventsApplied(): number {
    return this.appliedCount;
  }

  apply(event: RecordedEvent): void {
    switch (event.category) {
      case AGENT_CATEGORY:
        return this.applyAgent(event);
      case TASK_CATEGORY:
        return this.applyTask(event);
      case RUN_CATEGORY:
        return this.applyRun(event);
      default:
        return;
    }
  }

  task(tenantId: string, taskId: string): TaskRecord | undefined {
    return this.tenants.get(tenantId)?.byId.get(taskId);
  }

  reply(tenantId: string, requestId: string): RequestReply | undefined {
    return this.tenants.get(tenantId)?.replies.get(requestId);
  }

  /** Where a run's task lives, whichever tenant. */
  runOwner(runId: string): { tenantId: string; taskId: string } | undefined {
    return this.runs.get(runId);
  }

  loadOf(tenantId: string, agentId: string): AgentLoad {
    return this.tenants.get(tenantId)?.loads.get(agentId) ?? { queued: 0, running: 0 };
  }

  router(tenantId: string): CapabilityRouter {
    return this.tenant(tenantId).router;
  }

  tenantIds(): string[] {
    return [...new Set([...this.tenants.keys(), ...this.agents.tenantIds()])];
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

  private applyAgent(event: RecordedEvent): void {
    const agent = this.agents.apply(event);
    if (!agent) return;
    const tenant = this.tenant(event.metadata.tenantId);
    if (agent.status === 'ACTIVE') {
      tenant.router.upsertAgent({
        id: agent.agentId,
        name: agent.name,
        description: agent.description,
        capabilities: [...agent.capabilities],
        queueLength: tenant.loads.get(agent.agentId)?.queued ?? 0,
      });
    } else tenant.router.removeAgent(agent.agentId);
    this.appliedCount += 1;
    this.onChange?.({ kind: 'agent', tenantId: event.metadata.tenantId, agent });
  }

  private applyTask(event: RecordedEvent): void {
    const parsed = this.parse(event);
    if (!parsed) return;
    const tenantId = event.metadata.tenantId;
    const tenant = this.tenant(tenantId);
    const previous = tenant.byId.get(event.streamId);
    // Redelivery after a reconnect must not apply a change twice.
    if (previous && event.revision <= previous.revision) return;
    if (parsed.data.taskId !== event.streamId) {
      throw new TaskProjectionError(event, `data.taskId ${parsed.data.taskId} does not match the stream`);
    }
    let next: ExistingTask;
    try {
      const state = evolve(previous?.task ?? initialTaskState, parsed);
      if (state.status === 'NONE') throw new Error('the task does not exist after the event');
      next = state;
    } catch (err) {
      throw new TaskProjectionError(event, (err as Error).message, { cause: err });
    }
    const before = previous?.task;
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
    } else {
      record.task = next;
      record.revision = event.revision;
      record.logPosition = event.position;
      record.updateTime = event.time;
    }
    if (parsed.type === 'TaskRouted' || parsed.type === 'TaskQueued' || parsed.type === 'TaskReassigned') {
      record.decideTime = event.time;
    }
    if (parsed.type === 'TaskStarted') this.runs.set(parsed.data.runId, { tenantId, taskId: next.taskId });
    const { status } = record.task;
    if (RUNNING_STATUSES.includes(status)) this.running.add(record);
    else this.running.delete(record);
    if (status === 'QUEUED' || status === 'ASSIGNED') tenant.unstarted.add(record);
    else tenant.unstarted.delete(record);
    this.addStep(record, event);
    this.adjustLoad(tenant, before, next);
    this.learn(tenant, parsed, next);
    if (!tenant.replies.has(event.metadata.requestId)) {
      tenant.replies.set(event.metadata.requestId, {
        eventType: parsed.type,
        taskId: next.taskId,
        data: parsed.data,
        position: event.position,
      });
    }
    this.appliedCount += 1;
    this.onChange?.({ kind: 'task', tenantId, record });
  }

  /** Run events are the runtime's; routing keeps them only as steps of their task. */
  private applyRun(event: RecordedEvent): void {
    const taskId = taskIdOfRun(event.streamId);
    const record = taskId === undefined ? undefined : this.task(event.metadata.tenantId, taskId);
    if (!record) return;
    const key = `${event.metadata.tenantId}/${event.streamId}`;
    if (event.revision <= (this.runRevisions.get(key) ?? -1)) return;
    this.runRevisions.set(key, event.revision);
    this.addStep(record, event);
    this.appliedCount += 1;
  }

  private addStep(record: TaskRecord, event: RecordedEvent): void {
    record.steps.push(toTaskStep(event));
    if (record.steps.length > MAX_STEPS) record.steps.splice(0, record.steps.length - MAX_STEPS);
  }

  private adjustLoad(tenant: TenantTasks, before: ExistingTask | undefined, after: ExistingTask): void {
    const change = (task: ExistingTask | undefined, sign: 1 | -1) => {
      if (!task || !task.agentId) return;
      const queued = LOADED_STATUSES.includes(task.status);
      const running = RUNNING_STATUSES.includes(task.status);
      if (!queued && !running) return;
      const load = tenant.loads.get(task.agentId) ?? { queued: 0, running: 0 };
      if (queued) load.queued += sign;
      if (running) load.running += sign;
      tenant.loads.set(task.agentId, load);
    };
    change(before, -1);
    change(after, 1);
    const touched = new Set([before?.agentId, after.agentId].filter((id): id is string => !!id));
    for (const agentId of touched) tenant.router.setQueueLength(agentId, tenant.loads.get(agentId)?.queued ?? 0);
  }

  private learn(tenant: TenantTasks, event: TaskEvent, task: ExistingTask): void {
    if (event.type === 'TaskSucceeded' && task.agentId) tenant.router.learnFromCompletion(task.agentId, task.text);
    if (event.type === 'TaskReassigned') {
      tenant.router.learnFromCorrection(task.text, event.data.fromAgentId || undefined, event.data.toAgentId);
    }
    if (this.onChange && tenant.router.hasStaleAgents && !this.refreshQueued) {
      this.refreshQueued = true;
      setImmediate(() => this.refreshRouters());
    }
  }

  private parse(event: RecordedEvent): TaskEvent | undefined {
    try {
      // An event type this version does not know (written by a newer one) is skipped, not fatal.
      return parseTaskEvent(event.type, event.data);
    } catch (err) {
      throw new TaskProjectionError(event, 'its data does not match the schema', { cause: err });
    }
  }

  private tenant(tenantId: string): TenantTasks {
    let tenant = this.tenants.get(tenantId);
    if (!tenant) this.tenants.set(tenantId, (tenant = new TenantTasks()));
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
    agentId: task.requestedAgentId,
    priority: TaskPriority[task.priority],
    state: ProtoTaskState[task.status],
    assignedAgentId: task.status === 'QUEUED' ? '' : task.agentId,
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
    steps: withSteps ? record.steps.map((s) => ({ ...s })) : [],
    revision: record.revision,
    createdBy: task.submittedBy,
    createTime: toTimestamp(record.createTime),
    updateTime: toTimestamp(record.updateTime),
    logPosition: record.logPosition,
  };
}
