import { GovernanceCategories } from '@aos/contracts';
import { FailedPreconditionError } from '@aos/errors';
import type { RequestContext } from '@aos/messaging';
import type { GovernanceDeps } from '../governance.deps';
import type { ApprovalRecord } from '../governance.projection';
import { decideApproval, initialApprovalState } from './approval.decider';

/** setTimeout's longest delay (about 24.8 days); longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Wait before trying again when expiring failed for another reason than a lost race. */
const RETRY_MS = 5_000;

export interface ExpiryLogger {
  error(message: string, context?: string): void;
}

/**
 * Appends ApprovalExpired when a pending approval passes its expire time.
 * Every instance schedules every pending approval; they cannot double-expire
 * one, because the append carries the stream's expected revision and an id
 * derived from the approval: whoever loses the race finds it no longer
 * pending (FailedPrecondition) and does nothing.
 */
export class ApprovalExpiry {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private running = false;

  constructor(
    private readonly deps: GovernanceDeps,
    private readonly logger: ExpiryLogger,
  ) {}

  /** Schedules every approval pending now; from then on `schedule` acts on each new one. */
  start(): void {
    this.running = true;
    for (const record of this.deps.projection.pendingApprovals()) this.schedule(record);
  }

  schedule(record: ApprovalRecord): void {
    if (!this.running || record.state.status !== 'PENDING') return;
    const key = keyOf(record.tenantId, record.state.approvalId);
    if (this.timers.has(key)) return;
    const delay = Date.parse(record.state.expireTime) - this.deps.now().getTime();
    this.arm(key, record.tenantId, record.state.approvalId, Math.max(0, delay));
  }

  stop(): void {
    this.running = false;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private arm(key: string, tenantId: string, approvalId: string, delayMs: number): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(key);
        void this.expire(tenantId, approvalId);
      },
      Math.min(delayMs, MAX_TIMER_MS),
    );
    // A pending expiry must not keep a closing process alive.
    timer.unref();
    this.timers.set(key, timer);
  }

  private async expire(tenantId: string, approvalId: string): Promise<void> {
    if (!this.running) return;
    const { projection } = this.deps;
    const record = projection.approval(tenantId, approvalId);
    if (!record || record.state.status !== 'PENDING') return;
    const remaining = Date.parse(record.state.expireTime) - this.deps.now().getTime();
    if (remaining > 0) {
      this.arm(keyOf(tenantId, approvalId), tenantId, approvalId, remaining);
      return;
    }
    const requestId = `expire-${approvalId}`;
    const ctx: RequestContext = {
      tenantId,
      actor: { kind: 'system', id: 'governance' },
      correlationId: record.correlationId,
    };
    try {
      await this.deps.pipeline.handle(ctx, {
        requestId,
        replays: ['ApprovalExpired'],
        stream: { category: GovernanceCategories.approval, id: approvalId },
        load: () => projection.approval(tenantId, approvalId),
        initial: initialApprovalState,
        decide: (state) =>
          decideApproval({ type: 'ExpireApproval', approvalId, now: this.deps.now().toISOString() }, state),
        reply: () => undefined,
      });
    } catch (err) {
      // Someone decided or expired it first: nothing left to do.
      if (err instanceof FailedPreconditionError) return;
      this.logger.error(
        `could not expire approval ${approvalId} of ${tenantId}: ${(err as Error).message}`,
        'governance',
      );
      if (this.running) this.arm(keyOf(tenantId, approvalId), tenantId, approvalId, RETRY_MS);
    }
  }
}

function keyOf(tenantId: string, approvalId: string): string {
  return `${tenantId}\u0000${approvalId}`;
}
