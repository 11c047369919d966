import {
  evolveTask,
  GovernanceCategories,
  initialTaskState,
  parseRunEvent,
  parseTaskEvent,
  RUN_CATEGORY,
  RUNNING_STATUSES,
  TASK_CATEGORY,
  taskIdOfRun,
  type ExistingTask,
  type TaskAggregateState,
  type TaskHistoryEvent,
} from '@aos/contracts';
import { FailedPreconditionError } from '@aos/errors';
import { parseRecorded, type RecordedEvent, type Subscription } from '@aos/event-store';
import type { RequestContext } from '@aos/messaging';
import type { GovernanceDeps } from '../governance.deps';
import type { ApprovalRecord } from '../governance.projection';
import { decideApproval, initialApprovalState } from './approval.decider';
import type { ExpiryLogger } from './approval.expiry';

/** The run events that move a task (see evolveTask); the rest (model and tool calls, steps) are not parsed here. */
const TASK_MOVING_RUN_EVENTS: ReadonlySet<string> = new Set([
  'ApprovalAwaited',
  'ApprovalReceived',
  'RunSucceeded',
  'RunFailed',
]);
/** Wait before trying again when withdrawing failed for another reason than a lost race. */
const RETRY_MS = 5_000;
/** How long a check waits for the task and run subscriptions to reach the approval's request. */
const CATCH_UP_MS = 10_000;

/**
 * Which attempt of each task runs, folded from routing's task-* and the
 * runtime's run-* events with the one task fold (evolveTask), so governance
 * agrees with every other follower on when a run stops counting. Only the
 * attempt is kept: the text, the result and the routing decision are blanked.
 */
export class TaskAttempts {
  private readonly tasks = new Map<string, ExistingTask>();
  /** Per category, the position last applied: a redelivery is applied once. */
  private readonly applied = new Map<string, number>();
  /** Told the task of every task-* or run-* event applied, once `live` is set. */
  onTaskChanged: ((tenantId: string, taskId: string) => void) | undefined;

  apply(event: RecordedEvent): void {
    if (event.position <= (this.applied.get(event.category) ?? 0)) return;
    this.applied.set(event.category, event.position);
    if (event.category === RUN_CATEGORY && !TASK_MOVING_RUN_EVENTS.has(event.type)) return;
    const parsed: TaskHistoryEvent | undefined =
      event.category === TASK_CATEGORY
        ? parseRecorded(event, parseTaskEvent)
        : event.category === RUN_CATEGORY
          ? parseRecorded(event, parseRunEvent)
          : undefined;
    if (!parsed) return;
    const taskId = event.category === TASK_CATEGORY ? event.streamId : taskIdOfRun(event.streamId);
    if (taskId === undefined) return;
    const key = keyOf(event.metadata.tenantId, taskId);
    const state = evolveTask(this.tasks.get(key) ?? initialTaskState, parsed);
    if (state.status === 'NONE') return;
    this.tasks.set(key, { ...state, text: '', result: '', decision: NO_DECISION });
    this.onTaskChanged?.(event.metadata.tenantId, taskId);
  }

  task(tenantId: string, taskId: string): TaskAggregateState {
    return this.tasks.get(keyOf(tenantId, taskId)) ?? initialTaskState;
  }
}

const NO_DECISION: ExistingTask['decision'] = { router: 'lexical', chosenAgentId: '', candidates: [], rationale: '' };

/**
 * Why a pending approval asked by `runId` must be withdrawn, or undefined
 * while that run may still receive the decision: it is its task's running
 * attempt, or its start has not been seen yet.
 */
export function withdrawalReason(task: TaskAggregateState, runId: string): string | undefined {
  if (task.status === 'NONE') return undefined;
  if (task.runId === runId && RUNNING_STATUSES.includes(task.status)) return undefined;
  const attempt = Number(/-(\d+)$/.exec(runId)?.[1] ?? 0);
  if (attempt > task.attempt) return undefined;
  if (task.status === 'CANCELLED') return `task ${task.taskId} was cancelled before anyone decided`;
  if (task.runId !== runId) return `run ${runId} was given up: attempt ${task.attempt} of the task runs now`;
  if (task.status === 'SUCCEEDED' || task.status === 'FAILED') {
    return `run ${runId} ended (task ${task.status}) before anyone decided`;
  }
  return `run ${runId} was given up (its attempt was abandoned) before anyone decided`;
}

/**
 * Appends ApprovalWithdrawn when the run that asked for a pending approval
 * is no longer its task's running attempt: the task was cancelled, the
 * attempt was abandoned (lease lost, runtime killed, agent retired) or ended.
 * It is a reaction to the state the log holds, not to a call in the asking
 * runtime's shutdown path, so it holds when that runtime was killed: every
 * pending approval is checked at start, and again whenever its task changes.
 * Every instance reacts; the append carries the stream's expected revision
 * and an id derived from the approval, so it is recorded once, and whoever
 * loses the race finds it no longer pending and does nothing.
 */
export class ApprovalWithdrawal {
  /** Pending approvals by the task whose run asked (tenant + task id → approval ids). */
  private readonly byTask = new Map<string, Set<string>>();
  private readonly checking = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = false;

  constructor(
    private readonly deps: GovernanceDeps,
    private readonly attempts: TaskAttempts,
    /** The task-* and run-* subscriptions feeding `attempts`. */
    private readonly follows: readonly Pick<Subscription, 'waitFor'>[],
    private readonly logger: ExpiryLogger,
  ) {}

  /** Checks every approval pending now; from then on `consider` and task changes act. */
  start(): void {
    this.running = true;
    this.attempts.onTaskChanged = (tenantId, taskId) => this.taskChanged(tenantId, taskId);
    for (const record of this.deps.projection.pendingApprovals()) this.consider(record);
  }

  stop(): void {
    this.running = false;
    this.attempts.onTaskChanged = undefined;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  consider(record: ApprovalRecord): void {
    if (!this.running || record.state.status !== 'PENDING' || record.runId === '') return;
    const taskId = taskIdOfRun(record.runId);
    if (taskId === undefined) return;
    const key = keyOf(record.tenantId, taskId);
    const ids = this.byTask.get(key) ?? new Set<string>();
    ids.add(record.state.approvalId);
    this.byTask.set(key, ids);
    void this.check(record.tenantId, record.state.approvalId);
  }

  private taskChanged(tenantId: string, taskId: string): void {
    for (const approvalId of this.byTask.get(keyOf(tenantId, taskId)) ?? []) void this.check(tenantId, approvalId);
  }

  private async check(tenantId: string, approvalId: string): Promise<void> {
    const key = keyOf(tenantId, approvalId);
    if (!this.running || this.checking.has(key)) return;
    this.checking.add(key);
    try {
      await this.withdrawIfOrphaned(tenantId, approvalId);
    } finally {
      this.checking.delete(key);
    }
  }

  private async withdrawIfOrphaned(tenantId: string, approvalId: string): Promise<void> {
    const { projection, pipeline } = this.deps;
    const pending = () => {
      const record = projection.approval(tenantId, approvalId);
      return record?.state.status === 'PENDING' ? record : undefined;
    };
    let record = pending();
    if (!record) return this.forget(tenantId, approvalId);
    const taskId = taskIdOfRun(record.runId)!;
    if (withdrawalReason(this.attempts.task(tenantId, taskId), record.runId) === undefined) return;
    try {
      // The task events are followed apart from the approvals: judge on a fold that has seen
      // everything up to the request (the run's start comes before it), never on an older one.
      await Promise.all(this.follows.map((s) => s.waitFor(record!.createPosition, CATCH_UP_MS)));
      record = pending();
      const reason = record && withdrawalReason(this.attempts.task(tenantId, taskId), record.runId);
      if (!record || reason === undefined) return;
      const ctx: RequestContext = {
        tenantId,
        actor: { kind: 'system', id: 'governance' },
        correlationId: record.correlationId,
      };
      await pipeline.handle(ctx, {
        requestId: `withdraw-${approvalId}`,
        replays: ['ApprovalWithdrawn'],
        stream: { category: GovernanceCategories.approval, id: approvalId },
        load: () => projection.approval(tenantId, approvalId),
        initial: initialApprovalState,
        decide: (state) => decideApproval({ type: 'WithdrawApproval', approvalId, reason }, state),
        reply: () => undefined,
      });
      this.forget(tenantId, approvalId);
    } catch (err) {
      // Decided, expired or withdrawn by another instance first: nothing left to do.
      if (err instanceof FailedPreconditionError) return this.forget(tenantId, approvalId);
      this.logger.error(
        `could not withdraw approval ${approvalId} of ${tenantId}: ${(err as Error).message}`,
        'governance',
      );
      this.retryLater(tenantId, approvalId);
    }
  }

  private retryLater(tenantId: string, approvalId: string): void {
    if (!this.running) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.check(tenantId, approvalId);
    }, RETRY_MS);
    // A retry must not keep a closing process alive.
    timer.unref();
    this.timers.add(timer);
  }

  private forget(tenantId: string, approvalId: string): void {
    const taskId = taskIdOfRun(this.deps.projection.approval(tenantId, approvalId)?.runId ?? '');
    if (taskId === undefined) return;
    const key = keyOf(tenantId, taskId);
    const ids = this.byTask.get(key);
    ids?.delete(approvalId);
    if (ids?.size === 0) this.byTask.delete(key);
  }
}

function keyOf(tenantId: string, id: string): string {
  return `${tenantId}\u0000${id}`;
}
