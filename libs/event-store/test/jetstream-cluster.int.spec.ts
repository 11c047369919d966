import { randomUUID } from 'node:crypto';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsCluster, type NatsClusterHandle } from '@aos/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEventStoreContract } from '../src/contract-suite';
import { createJetStreamEventStore, type EventStore, type NewEvent, type StreamRef } from '../src/index';

/**
 * The JetStream adapter on a 3-node cluster with the log replicated three
 * times: the same contract as on one server, with each store of a test
 * connected to another node first, so that a read follows a write made
 * through another node (where a follower's direct get or consumer could lag).
 */
const STREAM = 'AOS_EVENTS';

let cluster: NatsClusterHandle;
let admin: NatsConnection;
let jsm: JetStreamManager;
let opened = 0;

/** A store whose connection goes to node `i` first (the others only on failover). */
function storeOnNode(i: number): Promise<EventStore> {
  const urls = cluster.urls.map((_, k) => cluster.urls[(i + k) % cluster.urls.length]!);
  return createJetStreamEventStore({ servers: urls, streamName: STREAM, replicas: 3, noRandomize: true });
}

beforeAll(async () => {
  cluster = await startNatsCluster({ nodes: 3 });
  admin = await connect({ servers: [...cluster.urls] });
  jsm = await jetstreamManager(admin);
}, 60_000);

afterAll(async () => {
  await admin?.close();
  await cluster?.stop();
});

describeEventStoreContract('JetStream, 3-node cluster, R3', async () => {
  const store = await storeOnNode(opened++);
  return {
    store,
    teardown: async () => {
      await store.close();
      await jsm.streams.delete(STREAM).catch(() => undefined);
    },
  };
});

describe('JetStream on a cluster', () => {
  it('replicates the log three times', async () => {
    const store = await storeOnNode(0);
    try {
      const { config, cluster: placement } = await jsm.streams.info(STREAM);
      expect(config.num_replicas).toBe(3);
      expect(placement?.replicas?.length).toBe(2);
    } finally {
      await store.close();
      await jsm.streams.delete(STREAM).catch(() => undefined);
    }
  });

  it('reads every write at once through each of the other nodes, stream by stream and from the head', async () => {
    const stores = await Promise.all([0, 1, 2].map((i) => storeOnNode(i)));
    try {
      const tenantId = `t-${randomUUID().slice(0, 8)}`;
      for (let round = 0; round < 30; round++) {
        const ref: StreamRef = { tenantId, category: 'agent', id: randomUUID() };
        const writer = stores[round % 3]!;
        const written = await writer.append(ref, [event(tenantId), event(tenantId)], { expectedRevision: 'no_stream' });
        for (const reader of stores) {
          expect(await reader.streamHead(ref)).toBe(written.position);
          expect((await reader.readStream(ref)).map((e) => e.position).at(-1)).toBe(written.position);
          expect(await reader.headPosition()).toBeGreaterThanOrEqual(written.position);
        }
        // The next append through another node expects the revision just written: its head is current.
        await stores[(round + 1) % 3]!.append(ref, [event(tenantId)], { expectedRevision: 1 });
      }
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await jsm.streams.delete(STREAM).catch(() => undefined);
    }
  });
});

function event(tenantId: string): NewEvent {
  return {
    id: randomUUID(),
    type: 'Probed',
    data: { at: Date.now() },
    metadata: {
      tenantId,
      actor: { kind: 'system', id: 'test' },
      correlationId: randomUUID(),
      causationId: randomUUID(),
      requestId: randomUUID(),
      schemaVersion: 1,
    },
  };
}
