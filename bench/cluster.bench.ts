/**
 * Bench (e): CreateAgent at 64 in flight with two instances of every service
 * (so two lifecycle instances) on a 3-node JetStream cluster, the log and the
 * name registers replicated three times, beside raw JetStream publishes to an
 * R3 stream on the same cluster, measured in this run on this machine.
 */
import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { startNatsCluster, startTestStack } from '@aos/testing';
import { closedLoop, formatRow, type LoadResult } from './measure';

const CONCURRENCY = 64;
const OPS = Number(process.env.AOS_BENCH_CLUSTER_OPS ?? 5_000);
const WARMUP = Math.min(1_000, OPS / 10);

async function measure(name: string, op: (i: number) => Promise<unknown>): Promise<LoadResult> {
  await closedLoop(CONCURRENCY, WARMUP, op);
  const r = await closedLoop(CONCURRENCY, OPS, op);
  process.stdout.write(`  measured ${name}\n`);
  return r;
}

export async function benchCluster(): Promise<void> {
  process.stdout.write(
    `\n(e) a 3-node JetStream cluster, two instances of every service: ${OPS} operations, ${CONCURRENCY} in flight\n`,
  );
  const cluster = await startNatsCluster({ nodes: 3 });
  const t = await startTestStack({ natsUrl: cluster.url, replicas: 2, env: { AOS_JETSTREAM_REPLICAS: '3' } });
  const nc = await connect({ servers: [...cluster.urls] });
  try {
    const payload = Buffer.from(
      JSON.stringify({ agent: { name: 'x'.repeat(24), capabilities: ['billing'] }, requestId: randomUUID() }),
    );
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'BENCH_RAW_R3', subjects: ['bench.r3.>'], num_replicas: 3 });
    const js = jetstream(nc);
    const raw = await measure('raw JetStream publish, R3', (i) => js.publish(`bench.r3.${i % 1000}`, payload));
    await jsm.streams.delete('BENCH_RAW_R3');

    // Through both gateways, each to both lifecycle instances (NATS queue group).
    const gateways = [t.clientOf(0), t.clientOf(1)];
    let n = 0;
    const create = await measure('CreateAgent through two gateways', (i) =>
      gateways[i % 2]!.agents.createAgent({
        requestId: randomUUID(),
        agent: { name: `bench-r3-${n++}-${randomUUID().slice(0, 8)}`, capabilities: ['billing'] },
      }),
    );

    process.stdout.write('\n');
    process.stdout.write(formatRow('raw JetStream publish (R3, file storage)', raw) + '\n');
    process.stdout.write(formatRow('CreateAgent, 2 instances, R3 (vs raw R3)', create, raw) + '\n');
  } finally {
    await nc.close();
    await t.stop();
    await cluster.stop();
  }
}
