import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditSubjects } from '@aos/contracts';
import { loadConfig } from '@aos/config';
import { CHECKPOINT_CATEGORY, type CheckpointSignedData } from '@aos/domain';
import { createEventStore, type EventStore } from '@aos/event-store';
import { ServiceClient, type RequestContext } from '@aos/messaging';
import { startNatsServer, type NatsServerHandle } from '@aos/testing';
import { startAudit, type AuditHandle } from '../src/bootstrap';

const ctx = (tenantId: string): RequestContext => ({
  tenantId,
  actor: { kind: 'user', id: 'auditor' },
  correlationId: randomUUID(),
});

/**
 * Checkpoints on a timer, signed by two replicas of the audit service on one
 * log: each tenant with new events gets one, a tenant whose only new event is
 * its last checkpoint gets none, and the replicas' races leave one valid chain.
 */
describe('checkpoints on a cadence, two audit replicas (real nats-server)', () => {
  let nats: NatsServerHandle;
  let dataDir: string;
  let store: EventStore;
  let client: ServiceClient;
  const audits: AuditHandle[] = [];

  /** Appends `count` events; returns the position of the last. */
  async function append(tenantId: string, count: number): Promise<number> {
    let position = 0;
    for (let i = 0; i < count; i++) {
      ({ position } = await store.append({ tenantId, category: 'agent', id: `a${i % 3}` }, [
        {
          id: randomUUID(),
          type: 'AgentUpdated',
          data: { step: i },
          metadata: {
            tenantId,
            actor: { kind: 'user', id: 'alice' },
            correlationId: randomUUID(),
            causationId: randomUUID(),
            requestId: randomUUID(),
            schemaVersion: 1,
          },
        },
      ]));
    }
    return position;
  }

  async function checkpoints(tenantId: string): Promise<CheckpointSignedData[]> {
    const events = await store.readStream({ tenantId, category: CHECKPOINT_CATEGORY, id: tenantId });
    return events.map((e) => e.data as CheckpointSignedData);
  }

  async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 10_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await read();
      if (done(value) || Date.now() > deadline) return value;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  beforeAll(async () => {
    nats = await startNatsServer();
    dataDir = await mkdtemp(join(tmpdir(), 'aos-audit-cadence-'));
    store = await createEventStore({ kind: 'jetstream', natsUrl: nats.url });
    const config = loadConfig({
      AOS_NATS_URL: nats.url,
      AOS_DATA_DIR: dataDir,
      AOS_LOG_LEVEL: 'error',
      AOS_AUDIT_CHECKPOINT_INTERVAL_MS: '300',
    });
    // Two replicas started together on one data dir: they agree on one generated key.
    audits.push(...(await Promise.all([startAudit(config), startAudit(config)])));
    client = new ServiceClient(nats.url);
    await client.connect();
  });

  afterAll(async () => {
    await client?.close();
    for (const audit of audits) await audit.close();
    await store?.close();
    await nats?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('signs each tenant with new events, once per tree size, and nothing more while nothing else comes', async () => {
    const last1 = await append('t1', 20);
    const last2 = await append('t2', 5);
    // A tick may fall among the appends: the newest checkpoint is the one that covers the last event.
    const t1 = await until(
      () => checkpoints('t1'),
      (list) => list.at(-1)?.lastPosition === last1,
    );
    const t2 = await until(
      () => checkpoints('t2'),
      (list) => list.at(-1)?.lastPosition === last2,
    );
    expect(t1.at(-1)?.lastPosition).toBe(last1);
    expect(t2.at(-1)?.lastPosition).toBe(last2);
    expect(t2.at(-1)?.treeSize).toBe(5 + t2.length - 1);

    // Only the checkpoint's own event came after it: several ticks of both replicas sign nothing.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const quiet = await checkpoints('t1');
    expect(quiet.length).toBe(t1.length);

    const last = await append('t1', 1);
    const next = await until(
      () => checkpoints('t1'),
      (list) => list.at(-1)?.lastPosition === last,
    );
    const before = quiet.at(-1)!.treeSize;
    // The new event and the previous checkpoint's event.
    expect(next.at(-1)).toMatchObject({ treeSize: before + 2, fromSize: before });

    // The replicas raced on every tick: one chain, no tree size twice, and it verifies.
    const sizes = next.map((c) => c.treeSize);
    expect(new Set(sizes).size).toBe(sizes.length);
    expect(next.every((c, i) => c.fromSize === (i === 0 ? 0 : next[i - 1].treeSize))).toBe(true);
    const verified = await client.request(AuditSubjects.verifyLog, ctx('t1'), {});
    expect(verified).toMatchObject({ ok: true, verifiedTreeSize: before + 2, unverifiedEvents: 1 });
    // Both replicas publish the same key.
    const keys = await Promise.all([1, 2, 3, 4].map(() => client.request(AuditSubjects.getLogKey, ctx('t1'), {})));
    expect(new Set(keys.map((k) => k.verifierKey)).size).toBe(1);
  }, 30_000);
});
