import {
  AGENT_HEALTH_RUN_EVENTS,
  agentHealthOf,
  evolveAgentHealth,
  evolveAgentSessions,
  parseRunEvent,
  RUN_CATEGORY,
  taskIdOfRun,
  type AgentEvent,
  type AgentHealthSummary,
  type AgentRunHistory,
  type AgentSessions,
  type RunEvent,
} from '@aos/domain';
import { applyRecorded, parseRecorded, type RecordedEvent } from '@aos/event-store';
import { AgentRunStats, type AgentRunStatsState, type RunEndKind, type RunFigures } from './agent-stats';
import { replaceMap } from './snapshot-state';

/** Runs, tasks and agents are kept per tenant: `<tenant>/<id>`. */
const keyOf = (tenantId: string, id: string) => `${tenantId}/${id}`;

/** The run events the fold parses: the starts and ends (health), and the usage (stats). */
const FOLDED_RUN_EVENTS: ReadonlySet<string> = new Set([...AGENT_HEALTH_RUN_EVENTS, 'ModelCalled', 'UsageCharged']);

export interface OpenSession {
  readonly tenantId: string;
  readonly agentId: string;
  readonly sessionId: string;
  /** When AgentSessionAttached was recorded. */
  readonly attachedMs: number;
}

interface RunInFlight {
  runId: string;
  agentId: string;
  startMs: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
}

/** What the agent subscription changes in the health (session events): its part of the agent snapshot. */
export interface AgentSessionsState {
  sessions: Map<string, AgentSessions>;
  openSessions: Map<string, OpenSession>;
  causes: Map<string, number>;
}

/** What the run subscription changes: the run snapshot. */
export interface AgentRunsState {
  running: Map<string, RunInFlight>;
  histories: Map<string, AgentRunHistory>;
  causes: Map<string, number>;
  stats: AgentRunStatsState;
  lastPosition: number;
  appliedCount: number;
}

/**
 * The agents' health and run figures, folded from the runtime's run-*
 * streams with evolveAgentHealth beside the agent projection (any service
 * may fold any category of the log; lifecycle writes none of these), and
 * from the session events of the agent-* streams (fed by the agent
 * projection). Built only from the log (replayed from position 0, or from a
 * snapshot of what an earlier replay built), so every replica and every
 * restart answers the same health. Of a run, only
 * RunStarted, the endings, ModelCalled and UsageCharged are parsed; the rest
 * (tool calls, steps) is skipped by its type. Memory: one run in flight per
 * task at most (keyed by the task), at most HEALTH_WINDOW_RUNS outcomes per
 * agent that ever ran, and 30 days of run ends for the figures.
 */
export class AgentHealthProjection {
  /** The run in flight of each task, its agent and what it used so far. */
  private readonly running = new Map<string, RunInFlight>();
  /** Each agent's counted runs. */
  private readonly histories = new Map<string, AgentRunHistory>();
  /** Each external agent's sessions. */
  private readonly sessions = new Map<string, AgentSessions>();
  /** The sessions the log holds open, per `<tenant>/<session>`, and when each attached. */
  private readonly openSessions = new Map<string, OpenSession>();
  /**
   * The position of the newest event that changed each agent's health (the
   * cause a recorded change names): of its runs, and of its sessions. Two
   * maps, as two subscriptions change them and each is snapshotted apart.
   */
  private readonly runCauses = new Map<string, number>();
  private readonly sessionCauses = new Map<string, number>();
  readonly stats = new AgentRunStats();
  private lastPosition = 0;
  private appliedCount = 0;
  /** Called after an event changed an agent's health (the health reactions listen). */
  onChange: ((tenantId: string, agentId: string) => void) | undefined;

  /** Number of run events folded so far (the others are skipped unparsed). */
  get eventsApplied(): number {
    return this.appliedCount;
  }

  /** How many runs are in flight: at most one per task. */
  get runsInFlight(): number {
    return this.running.size;
  }

  apply(event: RecordedEvent): void {
    if (event.category !== RUN_CATEGORY) return;
    // Redelivery after a reconnect must not count a run twice; the subscription delivers in log order.
    if (event.position <= this.lastPosition) return;
    this.lastPosition = event.position;
    if (!FOLDED_RUN_EVENTS.has(event.type)) return;
    const parsed = parseRecorded(event, parseRunEvent);
    if (!parsed) return;
    const tenantId = event.metadata.tenantId;
    // Keyed by the task the run id names (`<taskId>-<attempt>`): a task's next attempt takes its previous one's place.
    const taskKey = (runId: string) => keyOf(tenantId, taskIdOfRun(runId) ?? runId);
    const inFlight = (runId: string) => {
      const entry = this.running.get(taskKey(runId));
      return entry?.runId === runId ? entry : undefined;
    };
    this.appliedCount += 1;
    if (parsed.type === 'ModelCalled' || parsed.type === 'UsageCharged') {
      const run = inFlight(parsed.data.runId);
      if (run && parsed.type === 'ModelCalled') {
        run.inputTokens += parsed.data.promptTokens;
        run.outputTokens += parsed.data.completionTokens;
      } else if (run && parsed.type === 'UsageCharged') run.costMicros += parsed.data.costMicros;
      return;
    }
    const change = applyRecorded(event, () =>
      evolveAgentHealth(
        {
          agentOfRun: (runId) => inFlight(runId)?.agentId,
          runOfTask: (taskId) => this.running.get(keyOf(tenantId, taskId))?.runId,
          historyOf: (agentId) => this.histories.get(keyOf(tenantId, agentId)),
        },
        parsed,
        event.time,
      ),
    );
    const end = endOf(parsed);
    for (const runId of change.forget) {
      const run = inFlight(runId);
      if (!run) continue;
      if (end?.runId === runId) this.countEnd(tenantId, run, end.kind, Date.parse(event.time));
      this.running.delete(taskKey(runId));
    }
    if (change.remember) {
      const { runId, agentId } = change.remember;
      const startMs = Date.parse(event.time);
      this.running.set(taskKey(runId), { runId, agentId, startMs, inputTokens: 0, outputTokens: 0, costMicros: 0 });
    }
    if (change.agent) {
      this.histories.set(keyOf(tenantId, change.agent.agentId), change.agent.history);
      this.changed(this.runCauses, tenantId, change.agent.agentId, event.position);
    }
  }

  /** An agent event of the agent projection: a session's start or end changes the agent's health. */
  applyAgentEvent(event: RecordedEvent, parsed: AgentEvent): void {
    if (parsed.type !== 'AgentSessionAttached' && parsed.type !== 'AgentSessionEnded') return;
    const tenantId = event.metadata.tenantId;
    const key = keyOf(tenantId, parsed.data.agentId);
    this.sessions.set(key, evolveAgentSessions(this.sessions.get(key), parsed, event.time));
    const sessionKey = keyOf(tenantId, parsed.data.sessionId);
    if (parsed.type === 'AgentSessionEnded') this.openSessions.delete(sessionKey);
    else {
      const { agentId, sessionId } = parsed.data;
      this.openSessions.set(sessionKey, { tenantId, agentId, sessionId, attachedMs: Date.parse(event.time) });
    }
    this.changed(this.sessionCauses, tenantId, parsed.data.agentId, event.position);
  }

  /** What applyAgentEvent() changed, for the agent subscription's snapshot (shared: serialize it before the next event). */
  captureSessions(): AgentSessionsState {
    return { sessions: this.sessions, openSessions: this.openSessions, causes: this.sessionCauses };
  }

  restoreSessions(state: AgentSessionsState): void {
    replaceMap(this.sessions, state.sessions);
    replaceMap(this.openSessions, state.openSessions);
    replaceMap(this.sessionCauses, state.causes);
  }

  /** What apply() changed, for the run subscription's snapshot (shared: serialize it before the next event). */
  captureRuns(): AgentRunsState {
    return {
      running: this.running,
      histories: this.histories,
      causes: this.runCauses,
      stats: this.stats.capture(),
      lastPosition: this.lastPosition,
      appliedCount: this.appliedCount,
    };
  }

  restoreRuns(state: AgentRunsState): void {
    replaceMap(this.running, state.running);
    replaceMap(this.histories, state.histories);
    replaceMap(this.runCauses, state.causes);
    this.stats.restore(state.stats);
    this.lastPosition = state.lastPosition;
    this.appliedCount = state.appliedCount;
  }

  /** The agent's health now (UNKNOWN until one of its runs ended and counted, or it attached). */
  health(tenantId: string, agentId: string): AgentHealthSummary {
    const key = keyOf(tenantId, agentId);
    return agentHealthOf(this.histories.get(key), this.sessions.get(key));
  }

  /** The position of the newest event that changed the agent's health; 0 when none did. */
  causeOf(tenantId: string, agentId: string): number {
    const key = keyOf(tenantId, agentId);
    return Math.max(this.runCauses.get(key) ?? 0, this.sessionCauses.get(key) ?? 0);
  }

  /** Every agent whose health some event changed, as [tenantId, agentId]. */
  *agentsSeen(): Iterable<[string, string]> {
    const keys = new Set([...this.runCauses.keys(), ...this.sessionCauses.keys()]);
    for (const key of keys) {
      const slash = key.indexOf('/');
      yield [key.slice(0, slash), key.slice(slash + 1)];
    }
  }

  /** The external sessions the log holds open (attached, no end recorded). */
  sessionsOpen(): Iterable<OpenSession> {
    return this.openSessions.values();
  }

  /** The figures of the agent's runs that ended within [startMs, endMs). */
  figures(tenantId: string, agentId: string, startMs: number, endMs: number): RunFigures {
    return this.stats.figures(keyOf(tenantId, agentId), startMs, endMs);
  }

  private countEnd(tenantId: string, run: RunInFlight, kind: RunEndKind, endMs: number): void {
    this.stats.add(keyOf(tenantId, run.agentId), {
      kind,
      endMs,
      durationMs: Math.max(0, endMs - run.startMs),
      inputTokens: run.inputTokens,
      outputTokens: run.outputTokens,
      costMicros: run.costMicros,
    });
  }

  private changed(causes: Map<string, number>, tenantId: string, agentId: string, position: number): void {
    const key = keyOf(tenantId, agentId);
    causes.set(key, Math.max(causes.get(key) ?? 0, position));
    this.onChange?.(tenantId, agentId);
  }
}

/** The run an ending event ends, and how. */
function endOf(event: RunEvent): { runId: string; kind: RunEndKind } | undefined {
  if (event.type === 'RunSucceeded') return { runId: event.data.runId, kind: 'SUCCEEDED' };
  if (event.type === 'RunFailed') return { runId: event.data.runId, kind: 'FAILED' };
  if (event.type === 'RunStopped') return { runId: event.data.runId, kind: 'STOPPED' };
  return undefined;
}
