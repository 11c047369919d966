import { describeError } from '@aos/errors';
import { sessionAliveSubject } from '@aos/contracts';
import type { DirectNats, RequestContext } from '@aos/messaging';
import type { AgentProjection } from './agent.projection';
import type { SessionRecord } from './agent.validation';

/** What a probe of a session's liveness subject learnt. */
export type SessionProbe = 'hosted' | 'gone' | 'unknown';

/** Probes in a row that found no host before the session's end is recorded (one could race a new subscription). */
const GONE_PROBES = 2;

export interface AgentSessionSweepDeps {
  projection: AgentProjection;
  /** Asks the session's liveness subject: 'gone' only for NATS's "no responders". */
  probe: (sessionId: string) => Promise<SessionProbe>;
  /** AgentHandler.recordSession: the same request id as the runtime's own record of the end, so it is recorded once. */
  record: (ctx: RequestContext, record: SessionRecord) => Promise<unknown>;
  /** AOS_RUN_LEASE_MS: how often the sweep runs, and how old a session must be to be probed. */
  leaseMs: number;
  log: (message: string) => void;
  now?: () => number;
}

/**
 * Finds the sessions the log holds open but no runtime instance hosts: the
 * runtime records a session's end itself, except when the instance hosting
 * it dies (kill -9, a lost node). Every lease period each session attached
 * more than a lease ago is probed on its liveness subject, which only its
 * host serves; two probes in a row answered "no responders" record its end
 * (AgentSessionEnded, by lifecycle, the owner of agent-*), so the agent's
 * health sees the session lost within about three lease periods of the
 * instance's death. Every replica sweeps; the end's request id derives from
 * the session, as the runtime's does, so it is recorded once.
 */
export class AgentSessionSweep {
  private readonly strikes = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly deps: AgentSessionSweepDeps) {}

  start(): void {
    const next = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.sweeping = this.sweep()
          .catch((err: unknown) => this.deps.log(`the session sweep failed: ${describeError(err)}`))
          .finally(next);
      }, this.deps.leaseMs);
      this.timer.unref();
    };
    next();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.sweeping;
  }

  /** One pass over the open sessions. */
  async sweep(): Promise<void> {
    const now = this.deps.now?.() ?? Date.now();
    const open = [...this.deps.projection.health.sessionsOpen()];
    const seen = new Set(open.map((s) => s.sessionId));
    for (const id of this.strikes.keys()) if (!seen.has(id)) this.strikes.delete(id);
    await Promise.all(
      open
        .filter((s) => now - s.attachedMs >= this.deps.leaseMs)
        .map(async ({ tenantId, agentId, sessionId }) => {
          const probe = await this.deps.probe(sessionId);
          if (probe !== 'gone') {
            if (probe === 'hosted') this.strikes.delete(sessionId);
            return;
          }
          const strikes = (this.strikes.get(sessionId) ?? 0) + 1;
          this.strikes.set(sessionId, strikes);
          if (strikes < GONE_PROBES) return;
          const ctx: RequestContext = {
            tenantId,
            actor: { kind: 'service', id: 'lifecycle' },
            correlationId: `session-sweep:${sessionId}`,
          };
          const reason = 'no runtime instance hosts it any more (its runtime stopped without ending it)';
          await this.deps.record(ctx, { type: 'RecordSessionEnded', agentId, sessionId, reason });
          this.strikes.delete(sessionId);
        }),
    );
  }
}

/** Whether a runtime instance still hosts the session: only NATS's "no responders" says none does. */
export async function probeSessionHost(direct: DirectNats, sessionId: string): Promise<SessionProbe> {
  const ctx = {
    tenantId: '',
    actor: { kind: 'service' as const, id: 'lifecycle' },
    correlationId: `probe:${sessionId}`,
  };
  try {
    await direct.request(sessionAliveSubject(sessionId), ctx, {}, 2_000);
    return 'hosted';
  } catch (err) {
    return err instanceof Error && /no responders/i.test(err.message) ? 'gone' : 'unknown';
  }
}
