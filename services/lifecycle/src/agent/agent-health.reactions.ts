import { describeError } from '@aos/errors';
import type { RequestContext } from '@aos/messaging';
import type { RecordHealth } from './agent.decider';
import type { AgentProjection } from './agent.projection';

/** How long a proposal that failed (lifecycle's log unavailable, a lost race five times) waits before the next try. */
const RETRY_MS = 1_000;

export interface AgentHealthReactionDeps {
  projection: AgentProjection;
  /** AgentHandler.recordHealth: the command pipeline, which decides against the recorded status. */
  record: (ctx: RequestContext, command: RecordHealth) => Promise<unknown>;
  log: (message: string) => void;
}

/**
 * Records each change of an agent's health status as AgentHealthChanged.
 * A reconciliation, not a reaction to one event: for an agent whose health
 * some event changed, it compares the status the projection computes now
 * with the status recorded on the agent's stream and proposes the computed
 * one when they differ. It runs once the projections are live (never while
 * they replay history): the first run after a start catches up on what
 * happened while lifecycle was down, and a run repeated changes nothing.
 *
 * Every replica runs it. The proposal's request id derives from the agent,
 * the status and the log position the status was computed at, and the
 * decider records nothing for a status the stream already holds or one
 * computed from an older position, so a change is recorded once however
 * many replicas propose it (the append's expected revision settles a race).
 *
 * Per agent, reconciliations run one at a time; a change arriving while one
 * runs asks for one more run afterwards, so none is lost and bursts collapse.
 */
export class AgentHealthReactions {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly retries = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly deps: AgentHealthReactionDeps) {}

  /** Reconciles every agent whose health was seen to change, then follows live changes. */
  start(): void {
    const { health } = this.deps.projection;
    health.onChange = (tenantId, agentId) => this.schedule(tenantId, agentId);
    for (const [tenantId, agentId] of health.agentsSeen()) this.schedule(tenantId, agentId);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.projection.health.onChange = undefined;
    for (const timer of this.retries) clearTimeout(timer);
    await this.idle();
  }

  /** Resolves once no reconciliation is running or asked for (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  private schedule(tenantId: string, agentId: string): void {
    if (this.stopped) return;
    const key = `${tenantId}\u0000${agentId}`;
    if (this.running.has(key)) {
      this.again.add(key);
      return;
    }
    const run = (async () => {
      // Let the event that triggered this finish applying (and its siblings arrive) first.
      await new Promise((resolve) => setImmediate(resolve));
      do {
        this.again.delete(key);
        try {
          await this.reconcile(tenantId, agentId);
        } catch (err) {
          this.deps.log(`recording the health of agent ${agentId} failed (retried): ${describeError(err)}`);
          this.retryLater(tenantId, agentId);
        }
      } while (this.again.has(key) && !this.stopped);
    })().finally(() => this.running.delete(key));
    this.running.set(key, run);
  }

  private retryLater(tenantId: string, agentId: string): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.retries.delete(timer);
      this.schedule(tenantId, agentId);
    }, RETRY_MS);
    timer.unref();
    this.retries.add(timer);
  }

  private async reconcile(tenantId: string, agentId: string): Promise<void> {
    const { projection } = this.deps;
    const record = projection.get(tenantId, agentId);
    // Not created in this replica's model yet (its agent subscription lags): its creation is not a health change,
    // so the next run end or session event of the agent brings it here again.
    if (!record || record.agent.status === 'RETIRED') return;
    const health = projection.health.health(tenantId, agentId);
    if (health.status === (record.agent.recordedHealth?.status ?? 'UNKNOWN')) return;
    const causePosition = projection.health.causeOf(tenantId, agentId);
    const ctx: RequestContext = {
      tenantId,
      actor: { kind: 'service', id: 'lifecycle' },
      correlationId: `health:${agentId}:${causePosition}`,
    };
    await this.deps.record(ctx, {
      type: 'RecordHealth',
      agentId,
      status: health.status,
      reason: health.reason,
      causePosition,
    });
  }
}
