import { randomUUID } from 'node:crypto';
import {
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type NatsServerHandle } from '@aos/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeEventStoreContract } from '../src/contract-suite';
import { createJetStreamEventStore, MalformedEventError, type EventStore, type NewEvent } from '../src/index';

const STREAM = 'AOS_EVENTS';

let server: NatsServerHandle;
let admin: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  server = await startNatsServer();
  admin = await connect({ servers: server.url });
  jsm = await jetstreamManager(admin);
});

afterAll(async () => {
  await admin?.close();
  await server?.stop();
});

// Each test starts on an empty log: the first store of a test creates the stream, and the
// teardown of that first store deletes it again.
describeEventStoreContract('JetStream', async () => {
  const store = await createJetStreamEventStore({ servers: server.url, streamName: STREAM });
  return {
    store,
    teardown: async () => {
      await store.close();
      await jsm.streams.delete(STREAM).catch(() => undefined);
    },
  };
});

describe('JetStream mapping', () => {
  let store: EventStore;

  beforeEach(async () => {
    store = await createJetStreamEventStore({ servers: server.url });
  });

  afterEach(async () => {
    await store.close();
    await jsm.streams.delete(STREAM).catch(() => undefined);
  });

  it('creates the stream as the architecture specifies', async () => {
    const { config } = await jsm.streams.info(STREAM);
    expect(config).toMatchObject({
      subjects: ['aos.ev.>'],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      allow_direct: true,
      duplicate_window: 5 * 60 * 1e9,
      max_msgs: -1,
      max_bytes: -1,
      max_age: 0,
      num_replicas: 1,
    });
  });

  it('stores one JSON document per event on aos.ev.<tenant>.<category>.<id>, with slot id and revision headers', async () => {
    const ref = { tenantId: 'acme', category: 'agent', id: 'a-1' };
    const event = newEvent(ref.tenantId);
    const { position } = await store.append(ref, [event]);

    const msg = await jsm.direct.getMessage(STREAM, { seq: position });

    expect(msg?.subject).toBe('aos.ev.acme.agent.a-1');
    // The message id names the stream's revision: of several writers of one revision, the log keeps one.
    expect(msg?.header.get('Nats-Msg-Id')).toBe('aos.ev.acme.agent.a-1:0');
    expect(msg?.header.get('Aos-Revision')).toBe('0');
    expect(msg?.json()).toEqual({ ...event, revision: 0 });
  });

  it('completes a multi-event append that a crash cut short when it is retried', async () => {
    const ref = { tenantId: 'acme', category: 'agent', id: 'half' };
    const [first, second] = [newEvent('acme'), newEvent('acme')];
    // What a writer that died after its first publish leaves behind.
    const h = headers();
    h.set('Aos-Revision', '0');
    await jetstream(admin).publish('aos.ev.acme.agent.half', JSON.stringify({ ...first, revision: 0 }), {
      msgID: first.id,
      expect: { lastSubjectSequence: 0 },
      headers: h,
    });

    const result = await store.append(ref, [first, second], { expectedRevision: 'no_stream' });

    expect(result.nextRevision).toBe(1);
    const events = await store.readStream(ref);
    expect(events.map((e) => [e.id, e.revision])).toEqual([
      [first.id, 0],
      [second.id, 1],
    ]);
  });

  it('closes a subscription that meets a message it did not write, reporting a MalformedEventError', async () => {
    await admin.request('aos.ev.acme.agent.junk', 'not json');
    let report!: (error: unknown) => void;
    const reported = new Promise<unknown>((resolve) => (report = resolve));
    const sub = store.subscribe({ onError: (error) => report(error) }, () => undefined);
    try {
      expect(await reported).toBeInstanceOf(MalformedEventError);
    } finally {
      await sub.close();
    }
  });
});

function newEvent(tenantId: string): NewEvent {
  return {
    id: randomUUID(),
    type: 'Tested',
    data: { n: 1 },
    metadata: {
      tenantId,
      actor: { kind: 'system', id: 'test' },
      correlationId: 'c',
      causationId: 'c',
      requestId: 'r',
      schemaVersion: 1,
    },
  };
}
