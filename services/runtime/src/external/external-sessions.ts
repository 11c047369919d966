import {
  AgentState,
  LifecycleSubjects,
  ResourcesSubjects,
  ToolState,
  type OpenSessionBody,
  type OpenSessionReply,
  type RecordSessionBody,
  type Tool,
} from '@aos/contracts';
import { AlreadyExistsError, AosError, describeError, FailedPreconditionError, UnavailableError } from '@aos/errors';
import type { RequestContext, ServiceClient } from '@aos/messaging';
import { requireBody, validateId } from '@aos/request-fields';
import { EXTERNAL_RUNTIME, RUNTIME_LABEL } from '../model/views';
import { ExternalSession, type ExternalSessionDeps } from './external-session';
import { validateAttach } from './session-messages';

/** The ping interval the gateway is told: a third of the lease, so a dead stream is noticed well within it. */
export function sessionPingIntervalMs(leaseMs: number): number {
  return Math.max(200, Math.min(5_000, Math.floor(leaseMs / 3)));
}

/** How often, and how long each time, the start or end of a session is sent to lifecycle to be recorded. */
const RECORD_ATTEMPTS = 3;
const RECORD_TIMEOUT_MS = 2_000;
const RECORD_RETRY_MS = 500;

/**
 * The external agents' sessions this runtime instance hosts. Any instance
 * may take an openSession (queue group runtime); the one that does checks
 * the agent with its owners (lifecycle for the agent, resources for its
 * tools) and hosts the session until the stream ends, the gateway goes
 * silent, or the instance shuts down.
 *
 * Lifecycle (the owner of agent-*) records the start and the end of each
 * session on the agent's stream when this instance tells it (the agent's
 * health reads them): the end whatever its cause — the process closed the
 * stream or died (the gateway sees its connection close and says so), the
 * gateway stopped pinging (3 ping intervals, a lease period), the instance
 * shuts down. A runtime instance that dies itself records no end.
 */
export class ExternalSessions {
  private readonly sessions = new Map<string, ExternalSession>();
  /** The records sent to lifecycle and not answered yet (waited for on close). */
  private readonly recording = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly deps: ExternalSessionDeps & {
      /** Asks lifecycle and resources. */
      services: Pick<ServiceClient, 'request'>;
      /** The agent's state in the runtime's model of the log, undefined when unknown. */
      agentState: (tenantId: string, agentId: string) => string | undefined;
    },
  ) {}

  async open(ctx: RequestContext, raw: OpenSessionBody | undefined): Promise<OpenSessionReply> {
    const body = requireBody(raw);
    const sessionId = validateId('sessionId', body.sessionId);
    const { agentId, maxConcurrentTasks: max } = validateAttach(body);
    if (this.closed) throw new UnavailableError('the runtime instance is shutting down');
    if (this.sessions.has(sessionId)) throw new AlreadyExistsError('session', 'session_id', sessionId);

    // Lifecycle answers NOT_FOUND for an unknown agent and for one of another tenant alike.
    const agent = await this.deps.services.request(LifecycleSubjects.get, ctx, { id: agentId, minPosition: 0 });
    if (agent.labels?.[RUNTIME_LABEL] !== EXTERNAL_RUNTIME) {
      throw new FailedPreconditionError(
        `agent ${agentId} is not labelled ${RUNTIME_LABEL}=${EXTERNAL_RUNTIME}: the built-in runtime runs its tasks`,
      );
    }
    if (agent.state === AgentState.RETIRED) throw new FailedPreconditionError(`agent ${agentId} is retired`);
    const tools = await this.enabledTools(ctx, agent.toolIds ?? []);
    // close() may have begun while lifecycle and resources answered: it would not see this session.
    if (this.closed) throw new UnavailableError('the runtime instance is shutting down');

    const session = new ExternalSession(
      { sessionId, tenantId: ctx.tenantId, agentId, maxConcurrentTasks: max, correlationId: ctx.correlationId },
      this.deps,
    );
    const record = (body: Omit<RecordSessionBody, 'agentId' | 'sessionId'>) =>
      this.record(ctx.tenantId, ctx.correlationId, { agentId, sessionId, ...body });
    let attached: Promise<void> = Promise.resolve();
    session.onClosed = (s, reason) => {
      if (this.sessions.get(s.id) === s) this.sessions.delete(s.id);
      // After the start's record, so that the end never comes first in the agent's stream.
      this.track(attached.then(() => record({ event: 'ended', maxConcurrentTasks: 0, reason })));
    };
    this.sessions.set(sessionId, session);
    try {
      await session.listen();
    } catch (err) {
      this.sessions.delete(sessionId);
      throw new UnavailableError('cannot subscribe to the session subject', { cause: err });
    }
    session.start({ sessionId, agent, tools });
    attached = this.track(record({ event: 'attached', maxConcurrentTasks: max, reason: '' }));
    return { sessionId, agent, pingIntervalMs: this.deps.pingIntervalMs };
  }

  /**
   * Something changed in the log: every session looks for work soon, and the
   * session of an agent retired since it attached ends with FAILED_PRECONDITION
   * (as attaching would now), so the process stops instead of idling. A paused
   * agent keeps its session: its tasks wait and flow again on resume.
   */
  scheduleScans(): void {
    for (const session of this.sessions.values()) {
      if (this.deps.agentState(session.tenantId, session.agentId) === 'RETIRED') {
        void session.close(`agent ${session.agentId} was retired`, true, 'FAILED_PRECONDITION');
      } else session.scheduleScan();
    }
  }

  /** Closes every session, telling the gateways to end their streams (the agents reconnect to another instance). */
  async close(reason: string): Promise<void> {
    this.closed = true;
    await Promise.all([...this.sessions.values()].map((s) => s.close(reason, true)));
    await Promise.all(this.recording);
  }

  /** Asks lifecycle to record a session's start or end; a few tries, then the failure is only logged. */
  private async record(tenantId: string, correlationId: string, body: RecordSessionBody): Promise<void> {
    const ctx: RequestContext = { tenantId, actor: { kind: 'service', id: 'runtime' }, correlationId };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.deps.services.request(LifecycleSubjects.recordSession, ctx, body, RECORD_TIMEOUT_MS);
        return;
      } catch (err) {
        // NOT_FOUND and the like will not change by asking again.
        const retriable =
          !(err instanceof AosError) || ['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'ABORTED'].includes(err.code);
        if (!retriable || attempt >= RECORD_ATTEMPTS) {
          this.deps.log(`session ${body.sessionId}: lifecycle did not record it ${body.event}: ${describeError(err)}`);
          return;
        }
        // Lifecycle restarting, or a replica taking over: give it a moment.
        await new Promise((resolve) => setTimeout(resolve, RECORD_RETRY_MS * attempt));
      }
    }
  }

  private track(promise: Promise<void>): Promise<void> {
    this.recording.add(promise);
    void promise.finally(() => this.recording.delete(promise));
    return promise;
  }

  /** The ENABLED tools among the agent's tool_ids, as resources shows them. */
  private async enabledTools(ctx: RequestContext, toolIds: readonly string[]): Promise<Tool[]> {
    const tools = await Promise.all(
      toolIds.map((id) =>
        this.deps.services.request(ResourcesSubjects.getTool, ctx, { id, minPosition: 0 }).catch((err: unknown) => {
          // A tool id the registry does not know is simply not offered (a call of it would be refused).
          if (err instanceof AosError && err.code === 'NOT_FOUND') return undefined;
          throw err;
        }),
      ),
    );
    return tools.filter((t): t is Tool => t !== undefined && t.state === ToolState.ENABLED);
  }
}
