import type { ProjectionChange, TaskProjection } from './task.projection';
import type { TaskHandler } from './task.handler';

/**
 * Runs routing's reactions once the projection is live, never while it
 * replays history: each is a reconciliation of the current state (see
 * TaskHandler.reconcileTenant and sweepLeases), so the first run after a
 * start catches up on whatever happened while routing was down, and a
 * reaction run twice changes nothing more.
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
    private readonly projection: TaskProjection,
    private readonly handler: TaskHandler,
    private readonly sweepEveryMs: number,
  ) {}

  /** Reconciles every tenant, then reacts to live changes and sweeps the leases periodically. */
  start(): void {
    this.projection.onChange = (change) => this.onChange(change);
    for (const tenantId of this.projection.tenantIds()) this.schedule(tenantId);
    const sweep = () => {
      if (this.stopped) return;
      this.sweeping = this.handler
        .sweepLeases()
        .catch(() => undefined)
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(sweep, this.sweepEveryMs);
        });
    };
    sweep();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.projection.onChange = undefined;
    if (this.timer) clearTimeout(this.timer);
    await this.sweeping;
    await Promise.all(this.running.values());
  }

  /** Resolves once no reconciliation is running or asked for (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  private onChange(change: ProjectionChange): void {
    if (change.kind === 'agent') {
      // Available: queued tasks may go to it. Retired: its assigned tasks go elsewhere.
      if (change.agent.status === 'ACTIVE' || change.agent.status === 'RETIRED') this.schedule(change.tenantId);
      return;
    }
    const { task } = change.record;
    if (task.status === 'QUEUED') this.schedule(change.tenantId);
    else if (task.status === 'ASSIGNED') {
      // Routed to an agent that was retired meanwhile (the decision raced the retirement).
      const agent = this.projection.agents.get(change.tenantId, task.agentId);
      if (!agent || agent.status === 'RETIRED') this.schedule(change.tenantId);
    }
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
        await this.handler.reconcileTenant(tenantId);
      } while (this.again.has(tenantId) && !this.stopped);
    })().finally(() => this.running.delete(tenantId));
    this.running.set(tenantId, run);
  }
}
