import { assertNever } from '@aos/errors';
import type { RunEvent, RunEventType } from './run.events';

/**
 * An agent's health, folded from what the OS sees of it: the run-* streams
 * (the runtime's: the outcomes of its newest ended runs) and, for an
 * external agent, its sessions (AgentSessionAttached / AgentSessionEnded on
 * its own agent-* stream). Every follower folds the same log with these
 * functions, so every replica of lifecycle answers the same health.
 *
 * RunStarted names the agent; the endings (RunSucceeded, RunFailed,
 * RunStopped) name only the run, so the fold remembers the agent of each run
 * in flight and forgets it at the run's end, or when a later attempt of the
 * same task starts in its place (an abandoned attempt never ends in the log):
 * at most one run per task is in flight, however many attempts were killed.
 * Per agent it keeps a ring of its newest HEALTH_WINDOW_RUNS counted
 * outcomes, the failures in a row since its newest success and when that
 * success was. A task whose last attempt's runtime was killed and that then
 * ended (cancelled, failed before another attempt) keeps that one entry, as
 * nothing in run-* says the run is over.
 *
 * A run ended by something outside the agent says nothing about it and is
 * not counted: a person rejected an approval (PERMISSION_DENIED), a budget
 * was used up (RESOURCE_EXHAUSTED), the task was cancelled (CANCELLED), or
 * the run was stopped (RunStopped: lease lost, cancellation, shutdown).
 *
 * The status (agentHealthOf), first match wins: UNHEALTHY when an external
 * agent has no session open and its newest one ended, or its newest
 * UNHEALTHY_FAILURES_IN_A_ROW counted runs failed; DEGRADED at
 * DEGRADED_FAILURES_IN_A_ROW failures in a row, or DEGRADED_WINDOW_FAILURES
 * of the window; HEALTHY once anything was seen; UNKNOWN before.
 */

/** How many of an agent's newest counted runs its health is computed from. */
export const HEALTH_WINDOW_RUNS = 10;
/** Counted failures in a row that make an agent DEGRADED. */
export const DEGRADED_FAILURES_IN_A_ROW = 3;
/** Failures among the window's HEALTH_WINDOW_RUNS that make an agent DEGRADED, in a row or not. */
export const DEGRADED_WINDOW_FAILURES = 5;
/** Counted failures in a row that make an agent UNHEALTHY. */
export const UNHEALTHY_FAILURES_IN_A_ROW = 10;
/** The longest `last_failure` ("CODE: reason"). */
export const LAST_FAILURE_MAX_CHARS = 500;
/** Failure codes that mean something outside the agent ended its run. */
export const UNCOUNTED_FAILURE_CODES: readonly string[] = ['PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'CANCELLED'];

export type HealthStatusName = 'UNKNOWN' | 'HEALTHY' | 'DEGRADED' | 'UNHEALTHY';

/** One counted run's end. */
export interface RunOutcome {
  readonly failed: boolean;
  /** When the run ended (its ending event's time). */
  readonly endTime: string;
  /** "CODE: reason" (at most LAST_FAILURE_MAX_CHARS) when failed; '' otherwise. */
  readonly failure: string;
}

/** An agent's newest counted outcomes, oldest first, at most HEALTH_WINDOW_RUNS. */
export type AgentRunOutcomes = readonly RunOutcome[];

/** What the fold keeps of an agent's counted runs. */
export interface AgentRunHistory {
  readonly outcomes: AgentRunOutcomes;
  /** Counted failures since the newest counted success (not capped at the window). */
  readonly consecutiveFailures: number;
  /** When the newest counted success ended; '' when none has. */
  readonly lastSuccessTime: string;
}

/** An external agent's sessions, from AgentSessionAttached / AgentSessionEnded. */
export interface AgentSessions {
  /** The sessions attached and not ended. */
  readonly open: readonly string[];
  /** The newest session end; undefined before any ended. */
  readonly lastEnd?: { readonly sessionId: string; readonly time: string; readonly reason: string };
}

/** The health the API shows (AgentHealth), by name. */
export interface AgentHealthSummary {
  status: HealthStatusName;
  /** Why, in plain language. */
  reason: string;
  /** The end of the newest counted run; '' while none ended. */
  lastHeartbeatTime: string;
  recentRuns: number;
  recentFailures: number;
  /** The newest counted failure of the window; '' when none failed. */
  lastFailure: string;
  consecutiveFailures: number;
  /** '' when no counted run succeeded. */
  lastSuccessTime: string;
  openSessions: number;
}

/**
 * The only run events the fold reads: a follower skips every other type
 * before parsing it (model and tool calls, with payloads up to 8 KiB, are
 * most of the run-* streams).
 */
export const AGENT_HEALTH_RUN_EVENTS: ReadonlySet<string> = new Set<RunEventType>([
  'RunStarted',
  'RunSucceeded',
  'RunFailed',
  'RunStopped',
]);

/** What the fold reads of what it folded before. */
export interface AgentHealthLookup {
  /** The agent of a run that started and has not ended; undefined for any other run. */
  agentOfRun(runId: string): string | undefined;
  /** The run of the task that is in flight (at most one per task); undefined when none is. */
  runOfTask(taskId: string): string | undefined;
  historyOf(agentId: string): AgentRunHistory | undefined;
}

/** What one run event changes; the follower applies it to its maps. */
export interface AgentHealthChange {
  /** Runs no longer in flight. */
  forget: string[];
  /** A run now in flight, its task and its agent (the task's earlier run, if any, is in `forget`). */
  remember?: { runId: string; taskId: string; agentId: string };
  /** An agent's counted runs after the event. */
  agent?: { agentId: string; history: AgentRunHistory };
}

const NO_CHANGE: AgentHealthChange = Object.freeze({ forget: [] }) as AgentHealthChange;

/** The change `event` (recorded at `time`) makes to the agents' health. */
export function evolveAgentHealth(lookup: AgentHealthLookup, event: RunEvent, time: string): AgentHealthChange {
  switch (event.type) {
    case 'RunStarted': {
      const { runId, taskId, agentId, previousRunId } = event.data;
      // The attempt this one replaces, named or not: a task has one run in flight at most.
      const replaced = new Set([previousRunId, lookup.runOfTask(taskId) ?? '']);
      const forget = [...replaced].filter((id) => id !== '' && id !== runId);
      return { forget, remember: { runId, taskId, agentId } };
    }
    case 'RunSucceeded':
      return ended(lookup, event.data.runId, { failed: false, endTime: time, failure: '' });
    case 'RunFailed': {
      const { runId, code, reason } = event.data;
      if (UNCOUNTED_FAILURE_CODES.includes(code)) return ended(lookup, runId, undefined);
      return ended(lookup, runId, { failed: true, endTime: time, failure: failureText(code, reason) });
    }
    case 'RunStopped':
      return ended(lookup, event.data.runId, undefined);
    case 'ModelCalled':
    case 'ToolCalled':
    case 'ApprovalAwaited':
    case 'ApprovalReceived':
    case 'StepReported':
    case 'UsageCharged':
    case 'KnowledgeSearched':
    case 'DirectToolCalled':
      return NO_CHANGE;
    default:
      return assertNever(event);
  }
}

/** The run is no longer in flight; a counted outcome joins its agent's ring. */
function ended(lookup: AgentHealthLookup, runId: string, outcome: RunOutcome | undefined): AgentHealthChange {
  const agentId = lookup.agentOfRun(runId);
  // A run whose start this follower never saw (or that ended already) changes no agent.
  if (agentId === undefined) return NO_CHANGE;
  if (!outcome) return { forget: [runId] };
  const before = lookup.historyOf(agentId);
  const history: AgentRunHistory = {
    outcomes: [...(before?.outcomes ?? []), outcome].slice(-HEALTH_WINDOW_RUNS),
    consecutiveFailures: outcome.failed ? (before?.consecutiveFailures ?? 0) + 1 : 0,
    lastSuccessTime: outcome.failed ? (before?.lastSuccessTime ?? '') : outcome.endTime,
  };
  return { forget: [runId], agent: { agentId, history } };
}

/** "CODE: reason", cut to LAST_FAILURE_MAX_CHARS characters (code points, never half a pair). */
export function failureText(code: string, reason: string): string {
  const text = `${code}: ${reason}`;
  if (text.length <= LAST_FAILURE_MAX_CHARS) return text;
  const chars = Array.from(text);
  return chars.length <= LAST_FAILURE_MAX_CHARS ? text : `${chars.slice(0, LAST_FAILURE_MAX_CHARS - 1).join('')}…`;
}

/** The sessions after a session event of the agent's stream (`time`: when it was recorded). */
export function evolveAgentSessions(
  sessions: AgentSessions | undefined,
  event: { type: 'AgentSessionAttached' | 'AgentSessionEnded'; data: { sessionId: string; reason?: string } },
  time: string,
): AgentSessions {
  const open = (sessions?.open ?? []).filter((id) => id !== event.data.sessionId);
  if (event.type === 'AgentSessionAttached') return { ...sessions, open: [...open, event.data.sessionId] };
  return { open, lastEnd: { sessionId: event.data.sessionId, time, reason: event.data.reason ?? '' } };
}

/** The health of an agent with these runs and sessions (nothing seen: UNKNOWN). */
export function agentHealthOf(history: AgentRunHistory | undefined, sessions?: AgentSessions): AgentHealthSummary {
  const recent = history?.outcomes ?? [];
  const failures = recent.filter((o) => o.failed);
  const figures = {
    lastHeartbeatTime: recent.at(-1)?.endTime ?? '',
    recentRuns: recent.length,
    recentFailures: failures.length,
    lastFailure: failures.at(-1)?.failure ?? '',
    consecutiveFailures: history?.consecutiveFailures ?? 0,
    lastSuccessTime: history?.lastSuccessTime ?? '',
    openSessions: sessions?.open.length ?? 0,
  };
  return { ...statusOf(figures, sessions), ...figures };
}

function statusOf(
  f: Pick<AgentHealthSummary, 'recentRuns' | 'recentFailures' | 'lastFailure' | 'consecutiveFailures' | 'openSessions'>,
  sessions: AgentSessions | undefined,
): { status: HealthStatusName; reason: string } {
  const inARow = `${f.consecutiveFailures} ${plural(f.consecutiveFailures, 'run')} failed in a row; last: ${f.lastFailure}`;
  const attached = f.openSessions > 0 ? `; ${f.openSessions} external ${plural(f.openSessions, 'session')} open` : '';
  const lost = sessions?.lastEnd;
  if (f.openSessions === 0 && lost) {
    return {
      status: 'UNHEALTHY',
      reason: `external session ${lost.sessionId} lost at ${lost.time} (${lost.reason}); no session is open`,
    };
  }
  if (f.consecutiveFailures >= UNHEALTHY_FAILURES_IN_A_ROW) return { status: 'UNHEALTHY', reason: inARow };
  if (f.consecutiveFailures >= DEGRADED_FAILURES_IN_A_ROW) return { status: 'DEGRADED', reason: inARow + attached };
  if (f.recentFailures >= DEGRADED_WINDOW_FAILURES) {
    const reason = `${f.recentFailures} of the newest ${f.recentRuns} runs failed; last: ${f.lastFailure}`;
    return { status: 'DEGRADED', reason: reason + attached };
  }
  if (f.recentRuns > 0) {
    const newest = f.consecutiveFailures === 0 ? 'the newest run succeeded' : inARow;
    return { status: 'HEALTHY', reason: newest + attached };
  }
  if (f.openSessions > 0) return { status: 'HEALTHY', reason: `no run ended yet${attached}` };
  return { status: 'UNKNOWN', reason: 'no run ended and no external session attached yet' };
}

const plural = (n: number, word: string) => (n === 1 ? word : `${word}s`);

/**
 * The health's counts in words, as the CLI and the console say them: "no run
 * ended yet", "3 of 3 recent runs succeeded", or "1 of 4 recent runs failed:
 * FAILED_PRECONDITION: …".
 */
export function healthInWords(health: { recentRuns: number; recentFailures: number; lastFailure: string }): string {
  const { recentRuns, recentFailures, lastFailure } = health;
  if (recentRuns === 0) return 'no run ended yet';
  if (recentFailures === 0) return `${recentRuns} of ${recentRuns} recent runs succeeded`;
  return `${recentFailures} of ${recentRuns} recent runs failed: ${lastFailure}`;
}
