import { randomUUID } from 'node:crypto';
import { startNatsServer, type NatsServerHandle } from '@aos/testing';
import { afterAll, expect, it } from 'vitest';
import { createJetStreamEventStore, type EventStore, type NewEvent } from '../src/index';

const servers: NatsServerHandle[] = [];

afterAll(async () => {
  // The restarted server runs on the first one's store dir, which the first handle removes.
  for (const server of servers.reverse()) await server.stop();
});

it(
  'keeps a subscription gap-free and duplicate-free across a nats-server crash and restart',
  { timeout: 60_000 },
  async () => {
    const first = await startNatsServer();
    servers.push(first);
    const store = await createJetStreamEventStore({ servers: first.url });
    const handled: number[] = [];
    const sub = store.subscribe({}, (event) => void handled.push(event.position));
    try {
      await appendSome(store, 50);
      await sub.waitFor(50);

      first.kill();
      await first.exited; // the port is free once the process has gone, not when the signal is sent
      servers.push(await startNatsServer({ port: first.port, storeDir: first.storeDir }));
      const last = await appendSome(store, 50);
      await sub.waitFor(last, 30_000);

      expect(handled).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    } finally {
      await sub.close();
      await store.close();
    }
  },
);

/** Appends `count` events one by one, retrying while the client reconnects; returns the last position. */
async function appendSome(store: EventStore, count: number): Promise<number> {
  let position = 0;
  for (let i = 0; i < count; i++) {
    const ref = { tenantId: 'acme', category: 'agent', id: `a${i % 5}` };
    const event = newEvent();
    for (let attempt = 0; ; attempt++) {
      try {
        // The same event ids on every attempt: a retry of an append that did land is a no-op.
        position = (await store.append(ref, [event])).position;
        break;
      } catch (error) {
        if ((error as Error).name !== 'EventStoreUnavailableError' || attempt > 100) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
  return position;
}

function newEvent(): NewEvent {
  return {
    id: randomUUID(),
    type: 'Tested',
    data: {},
    metadata: {
      tenantId: 'acme',
      actor: { kind: 'system', id: 'test' },
      correlationId: 'c',
      causationId: 'c',
      requestId: 'r',
      schemaVersion: 1,
    },
  };
}
