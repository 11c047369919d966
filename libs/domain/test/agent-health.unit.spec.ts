import { describe, expect, it } from 'vitest';
import {
  agentHealthOf,
  evolveAgentHealth,
  failureText,
  healthInWords,
  HEALTH_WINDOW_RUNS,
  LAST_FAILURE_MAX_CHARS,
  taskIdOfRun,
  evolveAgentSessions,
  type AgentRunHistory,
  type RunEvent,
} from '../src';

const T0 = Date.parse('2026-12-05T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

/** A follower of the run-* streams: the maps the fold's changes are applied to. */
class Fold {
  /** The agent of each run in flight. */
  readonly running = new Map<string, string>();
  /** The run in flight of each task, and back. */
  readonly runOfTask = new Map<string, string>();
  private readonly taskOfRun = new Map<string, string>();
  readonly outcomes = new Map<string, AgentRunHistory>();
  private clock = 0;

  apply(event: RunEvent): this {
    const change = evolveAgentHealth(
      {
        agentOfRun: (id) => this.running.get(id),
        runOfTask: (id) => this.runOfTask.get(id),
        historyOf: (id) => this.outcomes.get(id),
      },
      event,
      at(++this.clock),
    );
    for (const runId of change.forget) {
      this.running.delete(runId);
      const taskId = this.taskOfRun.get(runId);
      this.taskOfRun.delete(runId);
      if (taskId !== undefined && this.runOfTask.get(taskId) === runId) this.runOfTask.delete(taskId);
    }
    if (change.remember) {
      const { runId, taskId, agentId } = change.remember;
      this.running.set(runId, agentId);
      this.runOfTask.set(taskId, runId);
      this.taskOfRun.set(runId, taskId);
    }
    if (change.agent) this.outcomes.set(change.agent.agentId, change.agent.history);
    return this;
  }

  health(agentId: string) {
    return agentHealthOf(this.outcomes.get(agentId));
  }
}

/** Run `<task>-<attempt>` is an attempt of that task, as the runtime names them; any other run id is a task's only run. */
const started = (runId: string, agentId = 'a1', previousRunId = ''): RunEvent => ({
  type: 'RunStarted',
  data: {
    runId,
    taskId: taskIdOfRun(runId) ?? runId,
    attempt: Number(/-(\d+)$/.exec(runId)?.[1] ?? 1),
    agentId,
    definitionVersion: 1,
    model: 'm',
    runner: 'r',
    previousRunId,
  },
});
const succeeded = (runId: string): RunEvent => ({ type: 'RunSucceeded', data: { runId, result: 'done' } });
const failed = (runId: string, code = 'INTERNAL', reason = 'boom'): RunEvent => ({
  type: 'RunFailed',
  data: { runId, code, reason },
});
const stopped = (runId: string): RunEvent => ({ type: 'RunStopped', data: { runId, reason: 'lease lost' } });

/** Runs r<from>..r<to> of agent a1, each started then ended by `end`. */
function runs(fold: Fold, from: number, to: number, end: (runId: string) => RunEvent): Fold {
  for (let i = from; i <= to; i++) fold.apply(started(`r${i}`)).apply(end(`r${i}`));
  return fold;
}

describe('evolveAgentHealth', () => {
  it('an agent none of whose runs has ended is UNKNOWN, with no heartbeat', () => {
    const fold = new Fold().apply(started('r1'));
    expect(fold.health('a1')).toEqual({
      status: 'UNKNOWN',
      reason: 'no run ended and no external session attached yet',
      lastHeartbeatTime: '',
      recentRuns: 0,
      recentFailures: 0,
      lastFailure: '',
      consecutiveFailures: 0,
      lastSuccessTime: '',
      openSessions: 0,
    });
    expect(fold.health('never-ran').status).toBe('UNKNOWN');
  });

  it('succeeded runs make it HEALTHY; the heartbeat is the newest end', () => {
    const fold = runs(new Fold(), 1, 3, succeeded);
    expect(fold.health('a1')).toEqual({
      status: 'HEALTHY',
      reason: 'the newest run succeeded',
      lastHeartbeatTime: at(6),
      recentRuns: 3,
      recentFailures: 0,
      lastFailure: '',
      consecutiveFailures: 0,
      lastSuccessTime: at(6),
      openSessions: 0,
    });
    expect(fold.running.size).toBe(0);
  });

  it('3 failures in a row are DEGRADED, 10 UNHEALTHY; a success makes it HEALTHY again', () => {
    const fold = runs(new Fold(), 1, 3, succeeded)
      .apply(started('r4'))
      .apply(failed('r4', 'INTERNAL', 'first'));
    expect(fold.health('a1')).toMatchObject({
      status: 'HEALTHY',
      reason: '1 run failed in a row; last: INTERNAL: first',
      recentRuns: 4,
      recentFailures: 1,
      consecutiveFailures: 1,
      lastSuccessTime: at(6),
    });
    fold.apply(started('r5')).apply(failed('r5', 'FAILED_PRECONDITION', 'no model server is configured'));
    expect(fold.health('a1')).toMatchObject({ status: 'HEALTHY', consecutiveFailures: 2 });
    fold.apply(started('r6')).apply(failed('r6', 'DEADLINE_EXCEEDED', 'slow'));
    expect(fold.health('a1')).toMatchObject({
      status: 'DEGRADED',
      reason: '3 runs failed in a row; last: DEADLINE_EXCEEDED: slow',
      recentRuns: 6,
      recentFailures: 3,
      consecutiveFailures: 3,
    });
    runs(fold, 7, 12, (id) => failed(id));
    expect(fold.health('a1')).toMatchObject({ status: 'DEGRADED', consecutiveFailures: 9 });
    runs(fold, 13, 13, (id) => failed(id));
    expect(fold.health('a1')).toMatchObject({
      status: 'UNHEALTHY',
      reason: '10 runs failed in a row; last: INTERNAL: boom',
      consecutiveFailures: 10,
      recentFailures: 10,
      lastSuccessTime: at(6),
    });
    // A success after the failures keeps the newest failure's text; 9 of the window still failed.
    fold.apply(started('r14')).apply(succeeded('r14'));
    expect(fold.health('a1')).toMatchObject({ status: 'DEGRADED', recentFailures: 9, consecutiveFailures: 0 });
    expect(fold.health('a1').reason).toBe('9 of the newest 10 runs failed; last: INTERNAL: boom');
  });

  it('5 failures of the newest 10, not in a row, are DEGRADED', () => {
    const fold = new Fold();
    for (let i = 1; i <= 10; i++) runs(fold, i, i, i % 2 === 0 ? (id) => failed(id) : succeeded);
    expect(fold.health('a1')).toMatchObject({ status: 'DEGRADED', recentFailures: 5, consecutiveFailures: 1 });
    // r2 leaves the window: r4, r6, r8, r10 are 4 of 10.
    runs(fold, 11, 12, succeeded);
    expect(fold.health('a1')).toMatchObject({ status: 'HEALTHY', recentFailures: 4 });
  });

  it('only the newest 10 counted runs count: old failures age out', () => {
    const fold = runs(new Fold(), 1, 5, (id) => failed(id));
    expect(fold.health('a1').status).toBe('DEGRADED');
    runs(fold, 6, 14, succeeded);
    expect(fold.health('a1')).toMatchObject({ status: 'HEALTHY', recentRuns: HEALTH_WINDOW_RUNS, recentFailures: 1 });
    runs(fold, 15, 15, succeeded);
    expect(fold.health('a1')).toMatchObject({ status: 'HEALTHY', recentRuns: 10, recentFailures: 0, lastFailure: '' });
    expect(fold.outcomes.get('a1')!.outcomes).toHaveLength(HEALTH_WINDOW_RUNS);
  });

  it('a run ended from outside the agent is not counted: rejection, budget, cancellation, stop', () => {
    const fold = runs(new Fold(), 1, 1, succeeded);
    fold.apply(started('r2')).apply(failed('r2', 'PERMISSION_DENIED', 'alice rejected the approval'));
    fold.apply(started('r3')).apply(failed('r3', 'RESOURCE_EXHAUSTED', 'the budget is exhausted'));
    fold.apply(started('r4')).apply(failed('r4', 'CANCELLED', 'cancelled'));
    fold.apply(started('r5')).apply(stopped('r5'));
    expect(fold.health('a1')).toMatchObject({
      status: 'HEALTHY',
      lastHeartbeatTime: at(2),
      recentRuns: 1,
      recentFailures: 0,
      lastFailure: '',
      consecutiveFailures: 0,
    });
    // Each of them is forgotten all the same.
    expect(fold.running.size).toBe(0);
    const onlyRejected = new Fold().apply(started('x1', 'a2')).apply(failed('x1', 'PERMISSION_DENIED', 'no'));
    expect(onlyRejected.health('a2').status).toBe('UNKNOWN');
  });

  it('keeps agents apart and ignores endings of runs it never saw start', () => {
    const fold = new Fold()
      .apply(started('r1', 'a1'))
      .apply(started('r2', 'a2'))
      .apply(failed('r2'))
      .apply(succeeded('r1'))
      .apply(failed('unknown-run'))
      .apply(failed('r2'));
    expect(fold.health('a1')).toMatchObject({ status: 'HEALTHY', recentRuns: 1 });
    expect(fold.health('a2')).toMatchObject({
      status: 'HEALTHY',
      recentRuns: 1,
      recentFailures: 1,
      consecutiveFailures: 1,
    });
  });

  it('forgets an abandoned attempt when the next one starts in its place', () => {
    const fold = new Fold().apply(started('t-1')).apply(started('t-2', 'a1', 't-1'));
    expect([...fold.running.keys()]).toEqual(['t-2']);
    // A late end of the abandoned attempt counts nothing.
    fold.apply(failed('t-1')).apply(succeeded('t-2'));
    expect(fold.health('a1')).toMatchObject({ status: 'HEALTHY', recentRuns: 1 });
  });

  it('keeps one run in flight per task: attempts whose runtime was killed (no end, no previousRunId) do not pile up', () => {
    const fold = new Fold();
    // 200 tasks, each with 5 attempts that never end in the log (their runtimes were killed -9).
    for (let task = 0; task < 200; task++) {
      for (let attempt = 1; attempt <= 5; attempt++) fold.apply(started(`t${task}-${attempt}`, `a${task % 7}`));
      expect(fold.running.size).toBe(task + 1);
    }
    expect(fold.runOfTask.size).toBe(200);
    expect(fold.running.get('t0-5')).toBe('a0');
    expect(fold.running.has('t0-4')).toBe(false);
    // The newest attempt still counts when it ends; an older one's late end counts nothing.
    fold.apply(failed('t0-4')).apply(succeeded('t0-5'));
    expect(fold.health('a0')).toMatchObject({ status: 'HEALTHY', recentRuns: 1 });
    expect(fold.running.size).toBe(199);
    // Every task ends: nothing is left in flight.
    for (let task = 1; task < 200; task++) fold.apply(stopped(`t${task}-5`));
    expect(fold.running.size).toBe(0);
    expect(fold.runOfTask.size).toBe(0);
  });

  it('steps between start and end change nothing', () => {
    const fold = new Fold().apply(started('r1'));
    const before = fold.health('a1');
    fold.apply({ type: 'UsageCharged', data: { runId: 'r1', tokens: 5, costMicros: 0 } });
    fold.apply({
      type: 'ApprovalReceived',
      data: { runId: 'r1', approvalId: 'ap', approved: false, decidedBy: 'alice', reason: '' },
    });
    expect(fold.health('a1')).toEqual(before);
    expect(fold.running.get('r1')).toBe('a1');
  });
});

describe("an external agent's sessions", () => {
  const attached = (sessionId: string) => ({ type: 'AgentSessionAttached', data: { sessionId } }) as const;
  const ended = (sessionId: string, reason: string) =>
    ({ type: 'AgentSessionEnded', data: { sessionId, reason } }) as const;

  it('an open session is HEALTHY; none open after one ended is UNHEALTHY, whatever the runs; reattaching heals', () => {
    let sessions = evolveAgentSessions(undefined, attached('s1'), at(1));
    expect(agentHealthOf(undefined, sessions)).toMatchObject({
      status: 'HEALTHY',
      reason: 'no run ended yet; 1 external session open',
      openSessions: 1,
    });
    sessions = evolveAgentSessions(sessions, attached('s2'), at(2));
    sessions = evolveAgentSessions(sessions, ended('s1', 'the stream ended'), at(3));
    // Another process of the agent is still attached.
    expect(agentHealthOf(undefined, sessions)).toMatchObject({ status: 'HEALTHY', openSessions: 1 });
    sessions = evolveAgentSessions(sessions, ended('s2', 'the stream ended'), at(4));
    const history = runs(new Fold(), 1, 2, succeeded).outcomes.get('a1');
    expect(agentHealthOf(history, sessions)).toMatchObject({
      status: 'UNHEALTHY',
      reason: `external session s2 lost at ${at(4)} (the stream ended); no session is open`,
      openSessions: 0,
      recentRuns: 2,
    });
    sessions = evolveAgentSessions(sessions, attached('s3'), at(5));
    expect(agentHealthOf(history, sessions)).toMatchObject({
      status: 'HEALTHY',
      reason: 'the newest run succeeded; 1 external session open',
    });
  });
});

describe('failureText', () => {
  it('is "CODE: reason", at most 500 characters, never splitting a character', () => {
    expect(failureText('INTERNAL', 'boom')).toBe('INTERNAL: boom');
    const long = failureText('INTERNAL', 'x'.repeat(1000));
    expect(long).toHaveLength(LAST_FAILURE_MAX_CHARS);
    expect(long.endsWith('…')).toBe(true);
    const emoji = failureText('INTERNAL', '😀'.repeat(600));
    expect(Array.from(emoji)).toHaveLength(LAST_FAILURE_MAX_CHARS);
    expect(emoji).not.toMatch(/[\ud800-\udbff]…$/);
  });
});

describe('healthInWords', () => {
  it('says what the counts mean', () => {
    expect(healthInWords(agentHealthOf(undefined))).toBe('no run ended yet');
    const fold = runs(new Fold(), 1, 3, succeeded);
    expect(healthInWords(fold.health('a1'))).toBe('3 of 3 recent runs succeeded');
    fold.apply(started('r4')).apply(failed('r4', 'FAILED_PRECONDITION', 'no model server is configured'));
    expect(healthInWords(fold.health('a1'))).toBe(
      '1 of 4 recent runs failed: FAILED_PRECONDITION: no model server is configured',
    );
  });
});
