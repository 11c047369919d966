import { existsSync } from 'node:fs';
import {
  jetstream,
  jetstreamManager,
  JetStreamApiError,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsCluster, type NatsClusterHandle } from '../src/index';

const STREAM = 'ORDERS';
const SUBJECT = 'orders.placed';
/** JetStream's "wrong last sequence" (expected-last-subject-sequence did not match). */
const WRONG_LAST_SEQUENCE = 10071;

describe('startNatsCluster', () => {
  let cluster: NatsClusterHandle;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  /** Sequence of the last message this test knows the stream holds. */
  let lastSeq = 0;

  beforeAll(async () => {
    const startedAt = Date.now();
    cluster = await startNatsCluster();
    console.log(`3-node cluster usable after ${Date.now() - startedAt} ms`);
    nc = await connect({ servers: [...cluster.urls], maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    js = jetstream(nc, { timeout: 1_000 });
    // A fresh cluster on a loaded machine can take longer than the default 5 s to answer JetStream's API.
    jsm = await jetstreamManager(nc, { timeout: 20_000 });
  });

  afterAll(async () => {
    await nc?.close();
    await cluster?.stop();
  });

  /**
   * Publishes message number `n` expecting the subject's last sequence to be the one before it.
   * A publish whose ack was lost in the failover and that did land shows up on the retry as a
   * wrong-last-sequence error whose stored message carries our msgID; that counts as success.
   */
  async function publishNext(n: number): Promise<number> {
    const msgID = `order-${n}`;
    for (let attempt = 0; ; attempt++) {
      try {
        const ack = await js.publish(SUBJECT, String(n), { msgID, expect: { lastSubjectSequence: lastSeq } });
        lastSeq = ack.seq;
        return ack.seq;
      } catch (err) {
        if (err instanceof JetStreamApiError && err.code === WRONG_LAST_SEQUENCE) {
          const last = await jsm.streams.getMessage(STREAM, { last_by_subj: SUBJECT });
          if (last?.header.get('Nats-Msg-Id') === msgID) {
            lastSeq = last.seq;
            return last.seq;
          }
          throw err;
        }
        if (attempt > 300) throw err;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  async function storedPayloads(): Promise<number[]> {
    const info = await jsm.streams.info(STREAM);
    const payloads: number[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const msg = await jsm.streams.getMessage(STREAM, { seq });
      if (msg) payloads.push(Number(msg.string()));
    }
    return payloads;
  }

  /** The message count the node's own replica holds, from its monitoring endpoint. */
  async function replicaMessages(i: number): Promise<number | undefined> {
    const response = await fetch(`${cluster.nodes[i]!.monitorUrl}/jsz?accounts=true&streams=true`);
    const jsz = (await response.json()) as {
      account_details?: { stream_detail?: { name: string; state: { messages: number } }[] }[];
    };
    const streams = (jsz.account_details ?? []).flatMap((account) => account.stream_detail ?? []);
    return streams.find((stream) => stream.name === STREAM)?.state.messages;
  }

  it('forms a cluster whose nodes have distinct names, ports and store dirs', () => {
    expect(cluster.nodes).toHaveLength(3);
    expect(cluster.url).toBe(cluster.urls.join(','));
    expect(new Set(cluster.nodes.map((node) => node.serverName)).size).toBe(3);
    expect(new Set(cluster.nodes.map((node) => node.storeDir)).size).toBe(3);
    for (const node of cluster.nodes) expect(node.port).not.toBe(4222);
  });

  it('keeps an R3 stream writable through a leader kill, and the restarted leader catches up', async () => {
    const config = { name: STREAM, subjects: ['orders.>'], num_replicas: 3, storage: StorageType.File };
    // Adding the same stream again is answered with the stream: a timed-out add (the cluster still electing the
    // stream's leader on a busy CI machine) is simply asked again, for up to a minute.
    const deadline = Date.now() + 60_000;
    let info;
    for (;;) {
      try {
        info = await jsm.streams.add(config);
        break;
      } catch (err) {
        if (Date.now() > deadline || (err instanceof JetStreamApiError && err.status !== 503)) throw err;
        console.log(`adding ${STREAM} again after: ${(err as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    expect(info.config.num_replicas).toBe(3);
    for (let n = 1; n <= 50; n++) await publishNext(n);

    const leader = await cluster.leaderOf(STREAM);
    const killedAt = Date.now();
    cluster.kill(leader);
    expect(await publishNext(51)).toBe(51);
    const failoverMs = Date.now() - killedAt;
    const newLeader = await cluster.leaderOf(STREAM);
    console.log(`leader ${cluster.nodes[leader]!.serverName} killed; publishing resumed after ${failoverMs} ms`);
    expect(newLeader).not.toBe(leader);
    for (let n = 52; n <= 75; n++) await publishNext(n);

    const restartedAt = Date.now();
    await cluster.restart(leader);
    console.log(`${cluster.nodes[leader]!.serverName} restarted and healthy after ${Date.now() - restartedAt} ms`);
    // A follower learns that the last entry is committed with the leader's next append or
    // heartbeat, so its replica may show 74 for up to a second after it reports healthy.
    await expect.poll(() => replicaMessages(leader), { timeout: 5_000, interval: 100 }).toBe(75);

    const stored = await storedPayloads();
    expect(stored).toEqual(Array.from({ length: 75 }, (_, i) => i + 1));
    const replicas = (await jsm.streams.info(STREAM)).cluster?.replicas ?? [];
    expect(replicas.map((replica) => replica.name)).toContain(cluster.nodes[leader]!.serverName);
  });

  it('keeps publishing while a follower is paused past the heartbeat, which catches up once resumed', async () => {
    const leader = await cluster.leaderOf(STREAM);
    // Not the node our client is attached to: a client only notices that a silent server is gone
    // after its own pings go unanswered (minutes by default), which is the client's business.
    const attachedTo = cluster.urls.findIndex((url) => url.endsWith(`:${nc.info?.port}`));
    const follower = [0, 1, 2].find((i) => i !== leader && i !== attachedTo)!;
    cluster.pause(follower);
    const pausedAt = Date.now();
    try {
      for (let n = 76; n <= 85; n++) await publishNext(n);
      // Raft heartbeats go out every second in 2.9; stay silent for several of them.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 3_000 - (Date.now() - pausedAt))));
      const publishedAt = Date.now();
      for (let n = 86; n <= 90; n++) await publishNext(n);
      console.log(
        `5 publishes with ${cluster.nodes[follower]!.serverName} paused for 3 s took ${Date.now() - publishedAt} ms`,
      );
    } finally {
      cluster.resume(follower);
    }
    expect(await cluster.leaderOf(STREAM)).toBe(leader);
    await expect.poll(() => replicaMessages(follower), { timeout: 10_000, interval: 100 }).toBe(90);
    expect(await storedPayloads()).toEqual(Array.from({ length: 90 }, (_, i) => i + 1));
  });

  it('stops every node and removes the store dirs it created', async () => {
    await nc.close();
    const nodes = cluster.nodes;
    await cluster.stop();
    for (const node of nodes) {
      expect(existsSync(node.storeDir)).toBe(false);
      expect(() => process.kill(node.pid, 0)).toThrow();
    }
    expect(existsSync(cluster.storeRoot)).toBe(false);
  });
});
