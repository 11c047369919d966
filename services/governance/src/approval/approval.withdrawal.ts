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
  type TaskAggregateState,
} from '@aos/contracts';
import { AosError, FailedPreconditionError } from '@aos/errors';
import { applyRecorded, parseRecorded, type EventStore, type RecordedEvent } from '@aos/event-store';
import type { RequestContext } from '@aos/messaging';
import type { GovernanceDeps } from '../governance.deps';
import type { ApprovalRecord } from '../governance.projection';
import { decideApproval, initialApprovalState } from './approval.decider';
import type { ExpiryLogger } from './approval.expiry';

/** The run events that move a task (see evolveTask); the rest (model and tool calls, steps) are never parsed here. */
const TASK_MOVING_RUN_EVENTS: ReadonlySet<string> = new Set([
  'ApprovalAwaited',
  'ApprovalReceived',
  'RunSucceeded',
  'RunFailed',
]);
/** Wait before trying again when withdrawing failed for another reason than a lost race. */
const RETRY_MS = 5_000;

/** Whether a task-* or run-* event may move its task (every task event; a run's start, end or approval wait). */
export function movesTask(event: Pick<RecordedEvent, 'category' | 'type'>): boolean {
  return (
    event.category === TASK_CATEGORY || (event.category === RUN_CATEGORY && TASK_MOVING_RUN_EVENTS.has(event.type))
  );
}

/**
 * The task `runId` belongs to, as the log holds it now: its task-* stream and
 * the run-* streams of its attempts, folded in log order with the one task
 * fold (evolveTask), so governance agrees with every other follower on when a
 * run stops counting. Read on demand, for one pending approval at a time:
 * governance keeps no task in memory and replays no task-* or run-* category.
 */
export async function readTaskOfRun(
  store: Pick<EventStore, 'readStream'>,
  tenantId: string,
  runId: string,
): Promise<TaskAggregateState> {
  const taskId = taskIdOfRun(runId);
  if (taskId === undefined) return initialTaskState;
  const taskEvents = await store.readStream({ tenantId, category: TASK_CATEGORY, id: taskId });
  const runIds = new Set([runId]);
  for (const event of taskEvents) {
    const started = event.type === 'TaskStarted' ? (event.data as { runId?: unknown }).runId : undefined;
    if (typeof started === 'string' && started !== '') runIds.add(started);
  }
  const runEvents = await Promise.all(
    [...runIds].map((id) => store.readStream({ tenantId, category: RUN_CATEGORY, id })),
  );
  const events = [...taskEvents, ...runEvents.flat().filter(movesTask)].sort((a, b) => a.position - b.position);
  let state: TaskAggregateState = initialTaskState;
  for (const event of events) {
    const parsed =
      event.category === TASK_CATEGORY ? parseRecorded(event, parseTaskEvent) : parseRecorded(event, parseRunEvent);
    if (parsed) state = applyRecorded(event, () => evolveTask(state, parsed));
  }
  return state;
}

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
 * pending approval is checked at start, and again whenever an event that may
 * move its task arrives (`seen`). Each check reads the task's and its runs'
 * streams (readTaskOfRun); memory holds only the pending approvals by task.
 * Every instance reacts; the append carries the stream's expected revision
 * and an id derived from the approval, so it is recorded once, and whoever
 * loses the race (FAILED_PRECONDITION or ABORTED) reads the approval again
 * and stops: nothing is logged as an error or retried.
 */
export class ApprovalWithdrawal {
  /** Pending approvals by the task whose run asked (tenant + task id → approval ids). */
  private readonly byTask = new Map<string, Set<string>>();
  private readonly checking = new Set<string>();
  /** Approvals whose task moved while they were being checked: checked once more after. */
  private readonly again = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = false;

  constructor(
    private readonly deps: GovernanceDeps,
    /** Where the task-* and run-* streams are read from. */
    private readonly store: Pick<EventStore, 'readStream'>,
    private readonly logger: ExpiryLogger,
  ) {}

  /** Checks every approval pending now; from then on `consider` and `seen` act. */
  start(): void {
    this.running = true;
    for (const record of this.deps.projection.pendingApprovals()) this.consider(record);
  }

  stop(): void {
    this.running = false;
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

  /** A task-* or run-* event (from the live subscription): the pending approvals of its task are checked again. */
  seen(event: RecordedEvent): void {
    if (!this.running || !movesTask(event)) return;
    const taskId = event.category === TASK_CATEGORY ? event.streamId : taskIdOfRun(event.streamId);
    if (taskId === undefined) return;
    const tenantId = event.metadata.tenantId;
    for (const approvalId of this.byTask.get(keyOf(tenantId, taskId)) ?? []) void this.check(tenantId, approvalId);
  }

  private async check(tenantId: string, approvalId: string): Promise<void> {
    const key = keyOf(tenantId, approvalId);
    if (!this.running) return;
    if (this.checking.has(key)) {
      // The check under way may have read the streams before this change: it looks again when done.
      this.again.add(key);
      return;
    }
    this.checking.add(key);
    try {
      do {
        this.again.delete(key);
        await this.withdrawIfOrphaned(tenantId, approvalId);
      } while (this.running && this.again.has(key));
    } finally {
      this.checking.delete(key);
      this.again.delete(key);
    }
  }

  private async withdrawIfOrphaned(tenantId: string, approvalId: string): Promise<void> {
    const { projection, pipeline } = this.deps;
    const pending = () => {
      const record = projection.approval(tenantId, approvalId);
      return record?.state.status === 'PENDING' ? record : undefined;
    };
    const asked = pending();
    if (!asked) return this.forget(tenantId, approvalId);
    try {
      // Read after the request was recorded, so the run's start (which comes before it) is in what is read.
      const reason = withdrawalReason(await readTaskOfRun(this.store, tenantId, asked.runId), asked.runId);
      const record = pending();
      if (!record) return this.forget(tenantId, approvalId);
      if (reason === undefined) return;
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
      if (lostRace(err)) {
        // Decided, expired or withdrawn by another instance first: read the approval again and stop.
        await pipeline.catchUp().catch(() => undefined);
        if (!pending()) return this.forget(tenantId, approvalId);
        return this.retryLater(tenantId, approvalId);
      }
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

/** What another instance's append makes of this one's: the approval is no longer pending, or its stream moved on. */
function lostRace(err: unknown): boolean {
  return err instanceof FailedPreconditionError || (err instanceof AosError && err.code === 'ABORTED');
}

function keyOf(tenantId: string, id: string): string {
  return `${tenantId}\u0000${id}`;
}
