/**
 * Closed-loop load: `concurrency` callers each issue the next operation as soon
 * as the previous one completes, until `total` operations are done. Reports
 * throughput and latency percentiles (nearest-rank over every operation).
 */
export interface LoadResult {
  ops: number;
  seconds: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

export async function closedLoop(
  concurrency: number,
  total: number,
  op: (i: number) => Promise<unknown>,
): Promise<LoadResult> {
  const latencies = new Float64Array(total);
  let next = 0;
  const start = process.hrtime.bigint();
  const worker = async () => {
    for (let i = next++; i < total; i = next++) {
      const t0 = process.hrtime.bigint();
      await op(i);
      latencies[i] = Number(process.hrtime.bigint() - t0) / 1e6;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  return {
    ops: total,
    seconds,
    opsPerSec: total / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
  };
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function formatRow(name: string, r: LoadResult, baseline?: LoadResult): string {
  const ratio = baseline ? `  ${((r.opsPerSec / baseline.opsPerSec) * 100).toFixed(1).padStart(6)}% of baseline` : '';
  return `${name.padEnd(44)} ${r.opsPerSec.toFixed(0).padStart(8)} ops/s   p50 ${r.p50Ms.toFixed(2).padStart(7)} ms   p99 ${r.p99Ms.toFixed(2).padStart(7)} ms${ratio}`;
}
