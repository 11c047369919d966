import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsCluster, startNatsServer, type NatsClusterHandle, type NatsServerHandle } from '@aos/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamKvRegisters, type Registers } from '../src/index';

/**
 * Compare-and-set registers on one server and on a 3-node cluster with the
 * bucket replicated three times, each writer on its own connection (to its
 * own node on the cluster): of several concurrent writes after one revision,
 * exactly one is stored — also where nats-server 2.9's clustered
 * expected-sequence check alone would let several through.
 */
interface Setup {
  name: string;
  start(): Promise<{ urls: string[]; replicas: number; stop(): Promise<void> }>;
}

const setups: Setup[] = [
  {
    name: 'one server',
    start: async () => {
      const server: NatsServerHandle = await startNatsServer();
      return { urls: [server.url], replicas: 1, stop: () => server.stop() };
    },
  },
  {
    name: '3-node cluster, R3',
    start: async () => {
      const cluster: NatsClusterHandle = await startNatsCluster({ nodes: 3 });
      return { urls: [...cluster.urls], replicas: 3, stop: () => cluster.stop() };
    },
  },
];

describe.each(setups)('KV registers: $name', ({ start }) => {
  let nats: Awaited<ReturnType<Setup['start']>>;
  const connections: NatsConnection[] = [];
  const writers: Registers<{ writer: number; n: number }>[] = [];

  beforeAll(async () => {
    nats = await start();
    for (let i = 0; i < 6; i++) {
      const first = nats.urls[i % nats.urls.length]!;
      const nc = await connect({ servers: [first, ...nats.urls.filter((u) => u !== first)], noRandomize: true });
      connections.push(nc);
      writers.push(
        await JetStreamKvRegisters.open(nc, 'aos_test_registers', {
          replicas: nats.replicas,
          description: 'test',
          what: 'test registers',
        }),
      );
    }
  }, 60_000);

  afterAll(async () => {
    for (const nc of connections) await nc.close();
    await nats?.stop();
  });

  it('instances that open a new bucket at the same moment all open it (no "subjects overlap" from the race)', async () => {
    for (let round = 0; round < 3; round++) {
      const bucket = `aos_test_race_${round}`;
      const opened = await Promise.allSettled(
        connections.map((nc) =>
          JetStreamKvRegisters.open(nc, bucket, { replicas: nats.replicas, description: 'race', what: 'race' }),
        ),
      );
      expect(
        opened.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason)),
      ).toEqual([]);
    }
  }, 120_000);

  it('stores exactly one of several concurrent writes after the same revision, round after round', async () => {
    const key = `t.${randomUUID()}`;
    let revision = 0;
    for (let n = 0; n < 10; n++) {
      const results = await Promise.all(writers.map((w, writer) => w.write(key, { writer, n }, revision)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const record = await writers[n % writers.length]!.read(key);
      expect(record?.value).toEqual({ writer: results.indexOf(true), n });
      expect(record!.revision).toBeGreaterThan(revision);
      revision = record!.revision;
    }
  });

  it('refuses a write after a revision that is no longer the last, and counts an identical write as stored', async () => {
    const key = `t.${randomUUID()}`;
    expect(await writers[0]!.write(key, { writer: 0, n: 0 }, 0)).toBe(true);
    const first = (await writers[1]!.read(key))!;
    expect(await writers[1]!.write(key, { writer: 1, n: 1 }, first.revision)).toBe(true);
    expect(await writers[2]!.write(key, { writer: 2, n: 1 }, first.revision)).toBe(false);
    expect(await writers[2]!.write(key, { writer: 2, n: 1 }, 0)).toBe(false);
    // The same value written twice after one revision (a retry) is one write, stored.
    const second = (await writers[0]!.read(key))!;
    const same = { writer: 9, n: 9 };
    expect(
      await Promise.all([writers[3]!.write(key, same, second.revision), writers[4]!.write(key, same, second.revision)]),
    ).toEqual([true, true]);
    expect((await writers[5]!.read(key))?.value).toEqual(same);
  });
});
