import { describe, expect, it } from 'vitest';
import { AgentRunStats, nearestRank, STATS_RETENTION_MS, type EndedRun } from './agent-stats';

const run = (endMs: number, kind: EndedRun['kind'], durationMs: number, tokens = 0): EndedRun => ({
  kind,
  endMs,
  durationMs,
  inputTokens: tokens,
  outputTokens: tokens / 10,
  costMicros: tokens * 2,
});

describe('AgentRunStats', () => {
  it('counts the runs that ended within [start, end), durations of succeeded and failed runs only', () => {
    const stats = new AgentRunStats();
    const durations = [50, 10, 40, 20, 30];
    durations.forEach((d, i) => stats.add('t/a', run(1000 + i, i === 1 ? 'FAILED' : 'SUCCEEDED', d, 100)));
    stats.add('t/a', run(1005, 'STOPPED', 9_999, 10));
    stats.add('t/other', run(1002, 'SUCCEEDED', 1));
    expect(stats.figures('t/a', 1000, 2000)).toEqual({
      runsSucceeded: 4,
      runsFailed: 1,
      runsStopped: 1,
      p50DurationMs: 30,
      p95DurationMs: 50,
      inputTokens: 510,
      outputTokens: 51,
      costMicros: 1020,
    });
    // The end is excluded, the start included.
    expect(stats.figures('t/a', 1001, 1003)).toMatchObject({ runsSucceeded: 1, runsFailed: 1, p50DurationMs: 10 });
    expect(stats.figures('t/nobody', 0, 5000)).toMatchObject({ runsSucceeded: 0, p50DurationMs: 0, p95DurationMs: 0 });
  });

  it('forgets run ends older than the retention', () => {
    const stats = new AgentRunStats();
    for (let i = 0; i < 100; i++) stats.add('t/a', run(i, 'SUCCEEDED', 1));
    stats.add('t/a', run(STATS_RETENTION_MS + 50, 'SUCCEEDED', 1));
    expect(stats.figures('t/a', 0, Number.MAX_SAFE_INTEGER).runsSucceeded).toBe(51);
  });
});

describe('nearestRank', () => {
  it('is the smallest value with at least p of the values at or below it', () => {
    expect(nearestRank([], 0.5)).toBe(0);
    expect(nearestRank([7], 0.95)).toBe(7);
    expect(nearestRank([1, 2, 3, 4], 0.5)).toBe(2);
    expect(
      nearestRank(
        [...Array(100).keys()].map((i) => i + 1),
        0.95,
      ),
    ).toBe(95);
  });
});
