import { assertNever } from '@aos/errors';
import type { RunEvent, RunEventType } from './run.events';

/**
 * An agent's health, folded from the run-* streams (the runtime's): the
 * outcomes of its newest ended runs. Every follower folds the same log with
 * this function, so every replica of lifecycle answers the same health.
 *
 * RunStarted names the agent; the endings (RunSucceeded, RunFailed,
 * RunStopped) name only the run, so the fold remembers the agent of each run
 * in flight and forgets it at the run's end, or when a later attempt of the
 * same task starts in its place (an abandoned attempt never ends in the log):
 * at most one run per task is in flight, however many attempts were killed.
 * Per agent it keeps a ring of its newest HEALTH_WINDOW_RUNS counted
 * outcomes. Only the run-* streams are folded (one subscription, in log
 * order, so every follower gets the same answer): a task whose last attempt's
 * runtime was killed and that then ended (cancelled, failed before another
 * attempt) keeps that one entry, as nothing in run-* says the run is over.
 *
 * A run ended by something outside the agent says nothing about it and is
 * not counted: a person rejected an approval (PERMISSION_DENIED), a budget
 * was used up (RESOURCE_EXHAUSTED), the task was cancelled (CANCELLED), or
 * the run was stopped (RunStopped: lease lost, cancellation, shutdown).
 */

/** How many of an agent's newest counted runs its health is computed from. */
export const HEALTH_WINDOW_RUNS = 10;
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

/** The health the API shows (AgentHealth), by name. */
export interface AgentHealthSummary {
  status: HealthStatusName;
  /** The end of the newest counted run; '' while UNKNOWN. */
  lastHeartbeatTime: string;
  recentRuns: number;
  recentFailures: number;
  /** The newest counted failure of the window; '' when none failed. */
  lastFailure: string;
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
  outcomesOf(agentId: string): AgentRunOutcomes | undefined;
}

/** What one run event changes; the follower applies it to its maps. */
export interface AgentHealthChange {
  /** Runs no longer in flight. */
  forget: string[];
  /** A run now in flight, its task and its agent (the task's earlier run, if any, is in `forget`). */
  remember?: { runId: string; taskId: string; agentId: string };
  /** An agent's outcomes after the event. */
  agent?: { agentId: string; outcomes: AgentRunOutcomes };
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
  const outcomes = [...(lookup.outcomesOf(agentId) ?? []), outcome].slice(-HEALTH_WINDOW_RUNS);
  return { forget: [runId], agent: { agentId, outcomes } };
}

/** "CODE: reason", cut to LAST_FAILURE_MAX_CHARS characters (code points, never half a pair). */
export function failureText(code: string, reason: string): string {
  const text = `${code}: ${reason}`;
  if (text.length <= LAST_FAILURE_MAX_CHARS) return text;
  const chars = Array.from(text);
  return chars.length <= LAST_FAILURE_MAX_CHARS ? text : `${chars.slice(0, LAST_FAILURE_MAX_CHARS - 1).join('')}…`;
}

/** The health of an agent with these outcomes (none: UNKNOWN). */
export function agentHealthOf(outcomes: AgentRunOutcomes | undefined): AgentHealthSummary {
  const recent = outcomes ?? [];
  const failures = recent.filter((o) => o.failed);
  return {
    status: statusOf(recent.length, failures.length),
    lastHeartbeatTime: recent.at(-1)?.endTime ?? '',
    recentRuns: recent.length,
    recentFailures: failures.length,
    lastFailure: failures.at(-1)?.failure ?? '',
  };
}

function statusOf(runs: number, failures: number): HealthStatusName {
  if (runs === 0) return 'UNKNOWN';
  if (failures === 0) return 'HEALTHY';
  return failures * 2 >= runs ? 'UNHEALTHY' : 'DEGRADED';
}

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
