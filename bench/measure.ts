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

/** Synchronous operations, one at a time: throughput and latency percentiles. */
export interface Timing {
  samples: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

/** Times `samples` calls of a synchronous operation after an untimed JIT warm-up of up to `warmUp` calls. */
export function timeSync(samples: number, op: (i: number) => unknown, warmUp = Math.min(samples, 500)): Timing {
  for (let i = 0; i < warmUp; i++) op(i);
  const latencies = new Float64Array(samples);
  const start = process.hrtime.bigint();
  for (let i = 0; i < samples; i++) {
    const t0 = process.hrtime.bigint();
    op(i);
    latencies[i] = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  latencies.sort();
  return { samples, opsPerSec: samples / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

/** One line of a synchronous bench, with its p50 as a multiple of the baseline's when one is given. */
export function formatTiming(name: string, r: Timing, baseline?: Timing, digits = 3): string {
  const ratio = baseline ? `  ${(r.p50Ms / baseline.p50Ms).toFixed(3).padStart(8)}× baseline p50` : '';
  const ms = (v: number) => v.toFixed(digits).padStart(digits + 5);
  return `  ${name.padEnd(52)} ${r.opsPerSec.toFixed(0).padStart(8)} ops/s   p50 ${ms(r.p50Ms)} ms   p99 ${ms(r.p99Ms)} ms  (${r.samples} decisions)${ratio}`;
}
