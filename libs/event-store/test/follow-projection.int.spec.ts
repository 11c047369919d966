import { randomUUID } from 'node:crypto';
import { startNatsServer, type NatsServerHandle } from '@aos/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJetStreamEventStore, followProjection, type EventStore, type NewEvent } from '../src/index';

let server: NatsServerHandle;
let store: EventStore;

beforeAll(async () => {
  server = await startNatsServer();
  store = await createJetStreamEventStore({ servers: server.url });
});
afterAll(async () => {
  await store?.close();
  await server?.stop();
});

const event = (type: string): NewEvent => ({
  id: randomUUID(),
  type,
  data: {},
  metadata: {
    tenantId: 't1',
    actor: { kind: 'user', id: 'u1' },
    correlationId: 'c',
    causationId: 'r',
    requestId: 'r',
    schemaVersion: 1,
  },
});

describe('followProjection (real nats-server, JetStream store)', () => {
  it('skips an event the model cannot apply, reports it, and goes on following', async () => {
    const applied: string[] = [];
    const skipped: string[] = [];
    const stopped: unknown[] = [];
    const followed = followProjection(
      store,
      { filter: { category: 'thing' } },
      (e) => {
        if (e.type === 'Broken') throw new Error('cannot apply');
        applied.push(e.type);
      },
      { onSkipped: (_err, e) => skipped.push(e.type), onStopped: (err) => stopped.push(err) },
    );
    await followed.subscription.caughtUp;
    const ref = { tenantId: 't1', category: 'thing', id: randomUUID() };
    await store.append(ref, [event('First')]);
    await store.append(ref, [event('Broken')]);
    const last = await store.append(ref, [event('Third')]);
    await followed.subscription.waitFor(last.position, 5000);

    expect(applied).toEqual(['First', 'Third']);
    expect(skipped).toEqual(['Broken']);
    expect(stopped).toEqual([]);
    expect(followed.following).toBe(true);
    await followed.subscription.close();
  });
});
