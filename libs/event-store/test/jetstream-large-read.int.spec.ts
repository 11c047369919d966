import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type NatsServerHandle } from '@aos/testing';
import { createEventStore, type EventStore, type NewEvent } from '../src/index';

/**
 * A reader slower than the log: large events (a checkpoint lists thousands of
 * leaf hashes) read by someone who works on each (VerifyLog hashes them). A
 * read asks the server for a bounded number of bytes at a time, so the server
 * never holds more for the reader than its pending limit and never drops it
 * as a slow consumer, which cut a read short without an error (a 1M-event
 * bench lost its last ~70 events that way).
 */
describe('readAll of large events by a slow reader (real nats-server, small pending limit)', () => {
  let nats: NatsServerHandle;
  let dir: string;
  let store: EventStore;
  const BIG = 60;

  const event = (data: unknown): NewEvent => ({
    id: randomUUID(),
    type: 'Big',
    data,
    metadata: {
      tenantId: 't',
      actor: { kind: 'user', id: 'a' },
      correlationId: randomUUID(),
      causationId: randomUUID(),
      requestId: randomUUID(),
      schemaVersion: 1,
    },
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aos-large-read-'));
    const conf = join(dir, 'nats.conf');
    // The server's limit for what it holds for one client (default 64 MB): 8 MB here, so 12 MB asked at once exceeds it.
    await writeFile(conf, 'max_pending: 8MB\nwrite_deadline: "2s"\n');
    nats = await startNatsServer({ extraArgs: ['-c', conf] });
    store = await createEventStore({ kind: 'jetstream', natsUrl: nats.url });
    const big = 'z'.repeat(200_000);
    for (let i = 0; i < BIG; i++) await store.append({ tenantId: 't', category: 'big', id: 'b' }, [event({ i, big })]);
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('delivers every event though the reader blocks 25 ms on each', async () => {
    const seen: number[] = [];
    for await (const e of store.readAll({ filter: { tenantId: 't' } })) {
      seen.push((e.data as { i: number }).i);
      const end = Date.now() + 25;
      while (Date.now() < end);
    }
    expect(seen).toEqual(Array.from({ length: BIG }, (_, i) => i));
  }, 60_000);
});
