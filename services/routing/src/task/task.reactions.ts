import type { ModelChange, RoutingModel } from '../routing.model';
import type { LeaseSweep } from './lease.sweep';
import type { TaskReconciliation } from './task.reconciliation';

/**
 * Runs routing's reactions once the model is live, never while it replays
 * history: each is a reconciliation of the current state (see
 * TaskReconciliation and LeaseSweep), so the first run after a start catches
 * up on whatever happened while routing was down, and a reaction run twice
 * changes nothing more.
 *
 * Per tenant, reconciliations run one at a time; a change arriving while one
 * runs asks for one more run afterwards, so none is lost and bursts collapse.
 */
export class TaskReactions {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly model: RoutingModel,
    private readonly reconciliation: TaskReconciliation,
    private readonly leases: LeaseSweep,
    private readonly sweepEveryMs: number,
  ) {}

  /** Reconciles every tenant, then reacts to live changes and sweeps the leases periodically. */
  start(): void {
    this.model.goLive((change) => this.onChange(change));
    for (const tenantId of this.model.tenantIds()) this.schedule(tenantId);
    const sweep = () => {
      if (this.stopped) return;
      this.sweeping = this.leases
        .sweep()
        .catch(() => undefined)
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(sweep, this.sweepEveryMs);
        });
    };
    sweep();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.model.onChange = undefined;
    if (this.timer) clearTimeout(this.timer);
    await this.sweeping;
    await Promise.all(this.running.values());
  }

  /** Resolves once no reconciliation is running or asked for (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  private onChange(change: ModelChange): void {
    if (change.kind === 'agent') {
      // Available: queued tasks may go to it. Retired: its assigned tasks go elsewhere.
      if (change.agent.status === 'ACTIVE' || change.agent.status === 'RETIRED') this.schedule(change.tenantId);
      return;
    }
    // Queued, or routed to an agent that was retired meanwhile (the decision raced the retirement).
    if (this.reconciliation.needsRouting(change.record)) this.schedule(change.tenantId);
  }

  private schedule(tenantId: string): void {
    if (this.stopped) return;
    if (this.running.has(tenantId)) {
      this.again.add(tenantId);
      return;
    }
    const run = (async () => {
      // Let the event that triggered this finish applying (and its siblings arrive) first.
      await new Promise((r) => setImmediate(r));
      do {
        this.again.delete(tenantId);
        await this.reconciliation.reconcileTenant(tenantId);
      } while (this.again.has(tenantId) && !this.stopped);
    })().finally(() => this.running.delete(tenantId));
    this.running.set(tenantId, run);
  }
}
