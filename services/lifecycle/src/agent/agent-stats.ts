/**
 * Per-agent figures of ended runs (GetAgentStats), kept for the newest
 * STATS_RETENTION_MS of run ends. The health projection feeds it each run's
 * end with what it gathered while the run was in flight; this keeps the
 * ends, oldest first, and answers a window over them.
 */

import { replaceMap } from './snapshot-state';

/** The longest window GetAgentStats answers, and how long run ends are kept: 30 days. */
export const STATS_RETENTION_MS = 30 * 24 * 3600 * 1000;

export type RunEndKind = 'SUCCEEDED' | 'FAILED' | 'STOPPED';

/** One ended run as the figures count it. */
export interface EndedRun {
  readonly kind: RunEndKind;
  /** Epoch ms of the run's end (its ending event's time). */
  readonly endMs: number;
  /** From RunStarted to the end. */
  readonly durationMs: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costMicros: number;
}

export interface RunFigures {
  runsSucceeded: number;
  runsFailed: number;
  runsStopped: number;
  p50DurationMs: number;
  p95DurationMs: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
}

/** What AgentRunStats keeps, as plain data (a projection snapshot). */
export type AgentRunStatsState = Map<string, EndedRun[]>;

export class AgentRunStats {
  /** Per `<tenant>/<agent>`: its ended runs in log order (ends are recorded in time order per agent, nearly). */
  private readonly ends: AgentRunStatsState = new Map();

  /** Everything it holds (shared, not copied: serialize it before the next event). */
  capture(): AgentRunStatsState {
    return this.ends;
  }

  /** Puts a captured state in place of an empty one's. */
  restore(state: AgentRunStatsState): void {
    replaceMap(this.ends, state);
  }

  add(key: string, run: EndedRun): void {
    let list = this.ends.get(key);
    if (!list) {
      list = [];
      this.ends.set(key, list);
    }
    list.push(run);
    // Trimmed from the front, in batches so that a long list is not shifted at every end.
    const oldest = run.endMs - STATS_RETENTION_MS;
    if (list.length > 64 && list[0]!.endMs < oldest) {
      const keep = list.findIndex((r) => r.endMs >= oldest);
      list.splice(0, keep < 0 ? list.length : keep);
    }
  }

  /** The figures of the runs that ended within [startMs, endMs). */
  figures(key: string, startMs: number, endMs: number): RunFigures {
    const inWindow = (this.ends.get(key) ?? []).filter((r) => r.endMs >= startMs && r.endMs < endMs);
    const durations = inWindow
      .filter((r) => r.kind !== 'STOPPED')
      .map((r) => r.durationMs)
      .sort((a, b) => a - b);
    const count = (kind: RunEndKind) => inWindow.filter((r) => r.kind === kind).length;
    const sum = (field: 'inputTokens' | 'outputTokens' | 'costMicros') => inWindow.reduce((n, r) => n + r[field], 0);
    return {
      runsSucceeded: count('SUCCEEDED'),
      runsFailed: count('FAILED'),
      runsStopped: count('STOPPED'),
      p50DurationMs: nearestRank(durations, 0.5),
      p95DurationMs: nearestRank(durations, 0.95),
      inputTokens: sum('inputTokens'),
      outputTokens: sum('outputTokens'),
      costMicros: sum('costMicros'),
    };
  }
}

/** The nearest-rank percentile of sorted values; 0 for none. */
export function nearestRank(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}
