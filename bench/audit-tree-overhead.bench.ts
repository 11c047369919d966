/**
 * Bench (i): what maintaining the audit Merkle tree costs appends (issue 14):
 * CreateAgent through the gateway with the audit service hashing and signing
 * a checkpoint every second during the load, beside the same load with the
 * cadence off (no tree work until asked), in this run, ABAB so that warm-up
 * and a drifting machine favour neither.
 */
import { randomUUID } from 'node:crypto';
import { CHECKPOINT_CATEGORY } from '@aos/domain';
import { createEventStore } from '@aos/event-store';
import { startTestStack } from '@aos/testing';
import { closedLoop, formatRow, type LoadResult } from './measure';

const CONCURRENCY = 64;
const OPS = Number(process.env.AOS_BENCH_TREE_OPS ?? 10_000);
const WARMUP = Math.min(1_000, OPS / 10);
/** Rounds of one run each way, the order alternating (ABBA...). */
const ROUNDS = Number(process.env.AOS_BENCH_TREE_ROUNDS ?? 4);
const TENANT = 'default';

interface Run {
  load: LoadResult;
  /** CheckpointSigned events recorded during the measured load, and the leaves they signed. */
  checkpoints: number;
  leavesSigned: number;
  /** After the load: CreateCheckpoint's time to hash and sign whatever the cadence left. */
  createMs: number;
  createLeaves: number;
}

async function run(intervalMs: number): Promise<Run> {
  const t = await startTestStack({ env: { AOS_AUDIT_CHECKPOINT_INTERVAL_MS: String(intervalMs) } });
  const store = await createEventStore({ kind: 'jetstream', natsUrl: t.natsUrl });
  try {
    let n = 0;
    const create = () =>
      t.client.agents.createAgent({
        requestId: randomUUID(),
        agent: { name: `bench-${n++}-${randomUUID().slice(0, 8)}`, capabilities: ['billing'] },
      });
    await closedLoop(CONCURRENCY, WARMUP, create);
    const from = await store.headPosition();
    const load = await closedLoop(CONCURRENCY, OPS, create);
    const until = await store.headPosition();
    const signed = (await store.readStream({ tenantId: TENANT, category: CHECKPOINT_CATEGORY, id: TENANT })).filter(
      (e) => e.position > from && e.position <= until,
    );
    const leavesSigned = signed.reduce((sum, e) => sum + (e.data as { leaves: string[] }).leaves.length, 0);
    // The newest checkpoint (none yet when the cadence is off: GetCheckpoint answers NOT_FOUND).
    const before = await t.client.audit.getCheckpoint({}).then(
      (c) => Number(c.treeSize),
      () => 0,
    );
    const c0 = process.hrtime.bigint();
    const newest = await t.client.audit.createCheckpoint({});
    const createMs = Number(process.hrtime.bigint() - c0) / 1e6;
    return { load, checkpoints: signed.length, leavesSigned, createMs, createLeaves: Number(newest.treeSize) - before };
  } finally {
    await store.close();
    await t.stop();
  }
}

export async function benchAuditTree(): Promise<void> {
  process.stdout.write(
    `\n(i) CreateAgent through the gateway, ${OPS} calls at ${CONCURRENCY} in flight, with and without the audit tree maintained (${ROUNDS} rounds, ABBA...)\n`,
  );
  const withTree: Run[] = [];
  const without: Run[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // The with-run first in even rounds, the without-run first in odd ones.
    const order = round % 2 === 0 ? [1_000, 0] : [0, 1_000];
    for (const interval of order) {
      const r = await run(interval);
      (interval > 0 ? withTree : without).push(r);
      process.stdout.write(
        `  ${interval > 0 ? 'with the tree (checkpoint every 1 s)' : 'without (cadence off)            '}  ${r.load.opsPerSec.toFixed(0).padStart(6)} ops/s  ` +
          `p50 ${r.load.p50Ms.toFixed(1)} ms  p99 ${r.load.p99Ms.toFixed(1)} ms;  ${r.checkpoints} checkpoints signed during the load (${r.leavesSigned} leaves); ` +
          `then CreateCheckpoint ${r.createMs.toFixed(0)} ms for ${r.createLeaves} leaves\n`,
      );
    }
  }
  /** All runs of one kind pooled: total calls over total time; p50 and p99 the median run's. */
  const pooled = (rs: Run[]): LoadResult => {
    const ops = rs.reduce((sum, r) => sum + r.load.ops, 0);
    const seconds = rs.reduce((sum, r) => sum + r.load.seconds, 0);
    const median = (f: (r: Run) => number) => rs.map(f).sort((x, y) => x - y)[Math.floor(rs.length / 2)]!;
    return {
      ops,
      seconds,
      opsPerSec: ops / seconds,
      p50Ms: median((r) => r.load.p50Ms),
      p99Ms: median((r) => r.load.p99Ms),
    };
  };
  const spread = (rs: Run[]) => {
    const rates = rs.map((r) => r.load.opsPerSec);
    return `${Math.min(...rates).toFixed(0)}–${Math.max(...rates).toFixed(0)}`;
  };
  const a = pooled(without);
  const b = pooled(withTree);
  process.stdout.write('\n');
  process.stdout.write(formatRow('CreateAgent, audit cadence off (baseline)', a) + '\n');
  process.stdout.write(formatRow('CreateAgent, checkpoint every 1 s', b, a) + '\n');
  process.stdout.write(
    `  runs: without ${spread(without)} ops/s, with ${spread(withTree)} ops/s; ` +
      `the tree costs ${((1 - b.opsPerSec / a.opsPerSec) * 100).toFixed(1)}% of CreateAgent throughput (negative: the with-runs were faster); ` +
      `${withTree.reduce((sum, r) => sum + r.checkpoints, 0)} checkpoints (${withTree.reduce((sum, r) => sum + r.leavesSigned, 0)} leaves) signed during the ${withTree.length} with-loads\n`,
  );
  // The tree's work measured directly: what CreateCheckpoint took after each without-run (every leaf of the load and
  // its warm-up hashed, the checkpoints signed and appended), per leaf, at the rate the without-runs appended leaves
  // (one event per CreateAgent).
  const deferredMs = without.reduce((sum, r) => sum + r.createMs, 0);
  const deferredLeaves = without.reduce((sum, r) => sum + r.createLeaves, 0);
  const perLeafUs = (deferredMs * 1000) / deferredLeaves;
  process.stdout.write(
    `  the tree's work alone: CreateCheckpoint after the without-runs took ${deferredMs.toFixed(0)} ms for ${deferredLeaves} leaves ` +
      `(${perLeafUs.toFixed(1)} µs a leaf): ${((perLeafUs * a.opsPerSec) / 1e4).toFixed(1)}% of one core at ${a.opsPerSec.toFixed(0)} CreateAgent/s\n`,
  );
}
