import type { AgentStats } from '@aos/contracts';
import { renderKeyValues } from './table';
import { formatMicros, formatTimestamp } from './values';

/** `1234` → `1.23 s`; under a second in ms. */
export function formatDurationMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** One agent's figures over the window, then its health now and why. */
export function renderAgentStats(stats: AgentStats): string {
  const health = stats.health;
  const ran = stats.runsSucceeded + stats.runsFailed;
  return renderKeyValues([
    ['AGENT', stats.agentId],
    ['WINDOW', `${formatTimestamp(stats.startTime)} to ${formatTimestamp(stats.endTime)}`],
    ['SUCCEEDED', String(stats.runsSucceeded)],
    ['FAILED', String(stats.runsFailed)],
    ['STOPPED', String(stats.runsStopped)],
    ['DURATION P50', ran > 0 ? formatDurationMs(stats.p50DurationMs) : '-'],
    ['DURATION P95', ran > 0 ? formatDurationMs(stats.p95DurationMs) : '-'],
    ['INPUT TOKENS', String(stats.inputTokens)],
    ['OUTPUT TOKENS', String(stats.outputTokens)],
    ['COST', formatMicros(stats.costMicros)],
    ['HEALTH', health ? `${health.status}: ${health.reason}` : ''],
    ['FAILURES IN A ROW', String(health?.consecutiveFailures ?? 0)],
    ['LAST SUCCESS', formatTimestamp(health?.lastSuccessTime) || '-'],
  ]);
}
