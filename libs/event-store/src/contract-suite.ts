import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConcurrencyError,
  InvalidEventError,
  InvalidStreamRefError,
  SubscriptionClosedError,
  TimeoutError,
} from './errors';
import type { EventStore, NewEvent, RecordedEvent, StreamRef } from './event-store.port';

export interface ContractFixture {
  store: EventStore;
  teardown(): Promise<void>;
}

/**
 * The behaviour every EventStore adapter must show. Each test gets a store from `factory`
 * (called again when a test needs a second, independent store on the same log) and works in
 * tenants of its own, so the suite also runs against a log that other tests share.
 */
export function describeEventStoreContract(name: string, factory: () => Promise<ContractFixture>): void {
  describe(`EventStore contract: ${name}`, () => {
    const fixtures: ContractFixture[] = [];
    let store: EventStore;

    const openStore = async (): Promise<EventStore> => {
      const fixture = await factory();
      fixtures.push(fixture);
      return fixture.store;
    };

    beforeEach(async () => {
      store = await openStore();
    });

    afterEach(async () => {
      // Newest first: the first fixture may own the log the others share.
      for (const fixture of fixtures.splice(0).reverse()) await fixture.teardown();
    });

    describe('append', () => {
      it('creates a stream with no_stream and reports the last revision and position', async () => {
        const ref = streamOf(newTenant());
        const result = await store.append(ref, [newEvent(ref), newEvent(ref)], { expectedRevision: 'no_stream' });

        expect(result.nextRevision).toBe(1);
        const events = await store.readStream(ref);
        expect(events.map((e) => e.revision)).toEqual([0, 1]);
        expect(events[1].position).toBe(result.position);
        expect(events[0].position).toBeLessThan(events[1].position);
      });

      it('appends with the exact expected revision', async () => {
        const ref = streamOf(newTenant());
        const first = await store.append(ref, [newEvent(ref)], { expectedRevision: 'no_stream' });
        const second = await store.append(ref, [newEvent(ref)], { expectedRevision: 0 });

        expect(second.nextRevision).toBe(1);
        expect(second.position).toBeGreaterThan(first.position);
      });

      it('rejects a stale revision with a ConcurrencyError carrying the actual revision, writing nothing', async () => {
        const ref = streamOf(newTenant());
        await store.append(ref, [newEvent(ref), newEvent(ref)], { expectedRevision: 'no_stream' });

        const error = await captureError(store.append(ref, [newEvent(ref)], { expectedRevision: 0 }));

        expect(error).toBeInstanceOf(ConcurrencyError);
        expect(error).toMatchObject({ stream: `agent-${ref.id}`, expected: 0, actual: 1 });
        expect(await store.readStream(ref)).toHaveLength(2);
      });

      it('rejects no_stream on an existing stream', async () => {
        const ref = streamOf(newTenant());
        await store.append(ref, [newEvent(ref)], { expectedRevision: 'no_stream' });

        const error = await captureError(store.append(ref, [newEvent(ref)], { expectedRevision: 'no_stream' }));

        expect(error).toBeInstanceOf(ConcurrencyError);
        expect(error).toMatchObject({ expected: 'no_stream', actual: 0 });
        // Also by a store that never saw the stream (another process): the log decides, not a cache.
        const other = await openStore();
        const fresh = await captureError(other.append(ref, [newEvent(ref)], { expectedRevision: 'no_stream' }));
        expect(fresh).toBeInstanceOf(ConcurrencyError);
        expect(fresh).toMatchObject({ expected: 'no_stream', actual: 0 });
        expect(await store.readStream(ref)).toHaveLength(1);
      });

      it('rejects exists on a missing stream and accepts it on an existing one', async () => {
        const ref = streamOf(newTenant());

        const error = await captureError(store.append(ref, [newEvent(ref)], { expectedRevision: 'exists' }));
        expect(error).toBeInstanceOf(ConcurrencyError);
        expect(error).toMatchObject({ expected: 'exists', actual: 'no_stream' });

        await store.append(ref, [newEvent(ref)], { expectedRevision: 'no_stream' });
        const result = await store.append(ref, [newEvent(ref)], { expectedRevision: 'exists' });
        expect(result.nextRevision).toBe(1);
      });

      it('appends with any whatever the stream holds, and any is the default', async () => {
        const ref = streamOf(newTenant());
        expect((await store.append(ref, [newEvent(ref)], { expectedRevision: 'any' })).nextRevision).toBe(0);
        expect((await store.append(ref, [newEvent(ref)], { expectedRevision: 'any' })).nextRevision).toBe(1);
        expect((await store.append(ref, [newEvent(ref)])).nextRevision).toBe(2);
      });

      it('appends with the right revision after another store wrote to the same stream', async () => {
        const ref = streamOf(newTenant());
        const other = await openStore();
        await store.append(ref, [newEvent(ref)], { expectedRevision: 'no_stream' });
        await other.append(ref, [newEvent(ref)], { expectedRevision: 0 });

        expect((await store.append(ref, [newEvent(ref)], { expectedRevision: 1 })).nextRevision).toBe(2);
        expect((await other.append(ref, [newEvent(ref)])).nextRevision).toBe(3);
        await expect(store.append(ref, [newEvent(ref)], { expectedRevision: 2 })).rejects.toMatchObject({
          name: 'ConcurrencyError',
          actual: 3,
        });
        expect((await store.readStream(ref)).map((e) => e.revision)).toEqual([0, 1, 2, 3]);
      });

      it('lets exactly one of several concurrent appends with the same expected revision win', async () => {
        const ref = streamOf(newTenant());
        await store.append(ref, [newEvent(ref)], { expectedRevision: 'no_stream' });
        const other = await openStore();

        const attempts = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 === 0 ? store : other).append(ref, [newEvent(ref), newEvent(ref)], { expectedRevision: 0 }),
          ),
        );

        expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
        const failures = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
        for (const failure of failures) expect(failure.reason).toBeInstanceOf(ConcurrencyError);
        const events = await store.readStream(ref);
        expect(events.map((e) => e.revision)).toEqual([0, 1, 2]);
      });

      it('lets exactly one of several concurrent no_stream appends create the stream', async () => {
        const ref = streamOf(newTenant());
        const attempts = await Promise.allSettled(
          Array.from({ length: 8 }, () => store.append(ref, [newEvent(ref)], { expectedRevision: 'no_stream' })),
        );
        expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
        expect(await store.readStream(ref)).toHaveLength(1);
      });

      it('treats a retry with the same event ids as the same append, even with a now stale revision', async () => {
        const ref = streamOf(newTenant());
        const batch = [newEvent(ref), newEvent(ref)];
        const first = await store.append(ref, batch, { expectedRevision: 'no_stream' });

        expect(await store.append(ref, batch, { expectedRevision: 'no_stream' })).toEqual(first);

        const next = [newEvent(ref)];
        const third = await store.append(ref, next, { expectedRevision: 1 });
        expect(await store.append(ref, batch, { expectedRevision: 'no_stream' })).toEqual(first);
        expect(await store.append(ref, next, { expectedRevision: 1 })).toEqual(third);
        // A process that restarted has no cached state; the log alone must recognise the retry.
        const restarted = await openStore();
        expect(await restarted.append(ref, batch, { expectedRevision: 'no_stream' })).toEqual(first);

        const events = await store.readStream(ref);
        expect(events.map((e) => e.id)).toEqual([...batch, ...next].map((e) => e.id));
      });

      it('never takes an append to one stream for a retry of an append to another', async () => {
        const tenant = newTenant();
        const a = streamOf(tenant);
        const b = streamOf(tenant);
        const event = newEvent(a);
        const first = await store.append(a, [event], { expectedRevision: 'no_stream' });

        // Event ids are unique per stream (a retry is recognised in its own stream); across
        // streams they are the writer's to keep unique, as in EventStoreDB.
        const other = await store.append(b, [{ ...event }], { expectedRevision: 'no_stream' });
        expect(other.position).not.toBe(first.position);
        expect((await store.readStream(b)).map((e) => [e.id, e.revision])).toEqual([[event.id, 0]]);
        expect(await store.readStream(a)).toHaveLength(1);
      });

      it('rejects stream refs that are not safe tokens', async () => {
        const tenant = newTenant();
        const bad: StreamRef[] = [
          { tenantId: 'Tenant', category: 'agent', id: 'a' },
          { tenantId: 'a.b', category: 'agent', id: 'a' },
          { tenantId: '', category: 'agent', id: 'a' },
          { tenantId: tenant, category: 'Agent', id: 'a' },
          { tenantId: tenant, category: 'agent-x', id: 'a' },
          { tenantId: tenant, category: 'agent', id: 'a.b' },
          { tenantId: tenant, category: 'agent', id: '*' },
          { tenantId: tenant, category: 'agent', id: '' },
          { tenantId: tenant, category: 'agent', id: 'x'.repeat(129) },
        ];
        for (const ref of bad) {
          await expect(store.append(ref, [newEvent(ref)])).rejects.toBeInstanceOf(InvalidStreamRefError);
          await expect(store.readStream(ref)).rejects.toBeInstanceOf(InvalidStreamRefError);
        }
        expect(() => store.readAll({ filter: { category: 'a>' } })).toThrow(InvalidStreamRefError);
        expect(() => store.subscribe({ filter: { tenantId: '*' } }, () => undefined)).toThrow(InvalidStreamRefError);
      });

      it('rejects events whose metadata names another tenant, and writes none of the batch', async () => {
        const ref = streamOf(newTenant());
        const foreign = newEvent({ ...ref, tenantId: newTenant() });

        const error = await captureError(store.append(ref, [newEvent(ref), foreign]));

        expect(error).toBeInstanceOf(InvalidEventError);
        expect(error).toMatchObject({ index: 1 });
        expect(await store.readStream(ref)).toEqual([]);
      });

      it('rejects an empty batch, a non-UUID id and an id repeated within one append', async () => {
        const ref = streamOf(newTenant());
        const event = newEvent(ref);
        await expect(store.append(ref, [])).rejects.toBeInstanceOf(InvalidEventError);
        await expect(store.append(ref, [{ ...event, id: 'not-a-uuid' }])).rejects.toBeInstanceOf(InvalidEventError);
        await expect(store.append(ref, [event, { ...event }])).rejects.toBeInstanceOf(InvalidEventError);
        expect(await store.readStream(ref)).toEqual([]);
      });
    });

    describe('readStream', () => {
      it('returns the events with revisions 0..n and the full envelope', async () => {
        const ref = streamOf(newTenant());
        const written = [
          newEvent(ref, 'AgentCreated', { name: 'scout', capabilities: ['search', 'summarize'], nested: { n: 1 } }),
          newEvent(ref, 'AgentPaused', { reason: 'maintenance' }, { kind: 'service', id: 'lifecycle' }),
          newEvent(ref, 'AgentResumed', { note: 'ünïcödé ✓' }, { kind: 'agent', id: 'agent-7' }),
        ];
        const before = Date.now();
        await store.append(ref, written.slice(0, 1), { expectedRevision: 'no_stream' });
        await store.append(ref, written.slice(1), { expectedRevision: 0 });

        const events = await store.readStream(ref);

        expect(events).toHaveLength(3);
        events.forEach((event, i) => {
          expect(event).toMatchObject({
            id: written[i].id,
            type: written[i].type,
            data: written[i].data,
            stream: `agent-${ref.id}`,
            category: 'agent',
            streamId: ref.id,
            revision: i,
          });
          expect(event.metadata).toEqual(written[i].metadata);
          expect(Date.parse(event.time)).toBeGreaterThanOrEqual(before - 1000);
          expect(Date.parse(event.time)).toBeLessThanOrEqual(Date.now() + 1000);
          expect(new Date(event.time).toISOString()).toBe(event.time);
        });
        expect(isStrictlyIncreasing(events.map((e) => e.position))).toBe(true);
      });

      it('starts at fromRevision', async () => {
        const ref = streamOf(newTenant());
        await store.append(ref, [newEvent(ref), newEvent(ref), newEvent(ref)]);
        expect((await store.readStream(ref, { fromRevision: 1 })).map((e) => e.revision)).toEqual([1, 2]);
        expect(await store.readStream(ref, { fromRevision: 3 })).toEqual([]);
      });

      it('returns [] for a stream that does not exist', async () => {
        expect(await store.readStream(streamOf(newTenant()))).toEqual([]);
      });

      it('reads only its own stream, not others sharing a prefix', async () => {
        const tenant = newTenant();
        const ref = { tenantId: tenant, category: 'agent', id: 'abc' };
        await store.append(ref, [newEvent(ref)]);
        await store.append({ ...ref, id: 'abcd' }, [newEvent(ref)]);
        await store.append({ ...ref, category: 'agentx' }, [newEvent(ref)]);
        expect(await store.readStream(ref)).toHaveLength(1);
      });
    });

    describe('readAll', () => {
      it('returns the events after a position, in order, up to a limit', async () => {
        const tenant = newTenant();
        const positions = await appendOneByOne(store, tenant, 5);

        const after = await collect(store.readAll({ after: positions[1], filter: { tenantId: tenant } }));
        expect(after.map((e) => e.position)).toEqual(positions.slice(2));

        const limited = await collect(store.readAll({ after: positions[1], filter: { tenantId: tenant }, limit: 2 }));
        expect(limited.map((e) => e.position)).toEqual(positions.slice(2, 4));

        const unfiltered = await collect(store.readAll({ after: positions[1] }));
        expect(unfiltered.every((e) => e.position > positions[1])).toBe(true);
        expect(isStrictlyIncreasing(unfiltered.map((e) => e.position))).toBe(true);
        expect(unfiltered.filter((e) => e.metadata.tenantId === tenant).map((e) => e.position)).toEqual(
          positions.slice(2),
        );
      });

      it('filters by tenant, by category, and by both', async () => {
        const layout = await appendAcrossTenants(store);

        const tenantA = await collect(store.readAll({ filter: { tenantId: layout.a } }));
        expect(tenantA.map((e) => e.position)).toEqual(layout.positions({ tenantId: layout.a }));

        const tasks = await collect(store.readAll({ filter: { category: 'task' } }));
        expect(tasks.every((e) => e.category === 'task')).toBe(true);
        expect(ofTenants(tasks, layout)).toEqual(layout.positions({ category: 'task' }));

        const aTasks = await collect(store.readAll({ filter: { tenantId: layout.a, category: 'task' } }));
        expect(aTasks.map((e) => e.position)).toEqual(layout.positions({ tenantId: layout.a, category: 'task' }));
      });

      it('stops at the head as it was when the read started', async () => {
        const tenant = newTenant();
        await appendOneByOne(store, tenant, 3);
        const seen: RecordedEvent[] = [];
        for await (const event of store.readAll({ filter: { tenantId: tenant } })) {
          seen.push(event);
          if (seen.length === 1) await appendOneByOne(store, tenant, 2);
        }
        expect(seen.length).toBeGreaterThanOrEqual(3);
        expect(seen.length).toBeLessThanOrEqual(5);
      });
    });

    describe('subscribe', () => {
      it('catches up, then follows live appends, with no gap and no duplicate', { timeout: 60_000 }, async () => {
        const tenant = newTenant();
        const existing = await appendInParallel(store, tenant, 500);
        const handled: number[] = [];
        const sub = store.subscribe({ filter: { tenantId: tenant } }, async (event) => {
          handled.push(event.position);
          // Yields now and then so the appends below land while catch-up is still running.
          if (handled.length % 25 === 0) await new Promise((resolve) => setImmediate(resolve));
        });
        try {
          const live = await appendInParallel(store, tenant, 500);
          const all = [...existing, ...live].sort((x, y) => x - y);
          await sub.caughtUp;
          await sub.waitFor(all[all.length - 1], 30_000);

          expect(handled).toHaveLength(1000);
          expect(handled).toEqual(all);
          expect(sub.position).toBe(all[all.length - 1]);
        } finally {
          await sub.close();
        }
      });

      it('resolves caughtUp on an empty log or filter without calling the handler', async () => {
        const calls: RecordedEvent[] = [];
        const head = await store.headPosition();
        const atHead = store.subscribe({ after: head }, (e) => void calls.push(e));
        const emptyTenant = store.subscribe({ filter: { tenantId: newTenant() } }, (e) => void calls.push(e));
        try {
          await within(5000, Promise.all([atHead.caughtUp, emptyTenant.caughtUp]));
          expect(atHead.position).toBe(head);
          expect(emptyTenant.position).toBe(0);
          expect(calls.filter((e) => e.position <= head)).toEqual([]);
        } finally {
          await atHead.close();
          await emptyTenant.close();
        }
      });

      it('resolves caughtUp only once every event that existed at subscribe time is handled', async () => {
        const tenant = newTenant();
        const positions = await appendOneByOne(store, tenant, 20);
        const handled: number[] = [];
        const sub = store.subscribe({ filter: { tenantId: tenant } }, async (event) => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          handled.push(event.position);
        });
        try {
          await sub.caughtUp;
          expect(handled).toEqual(positions);
          expect(sub.position).toBe(positions[positions.length - 1]);
        } finally {
          await sub.close();
        }
      });

      it('starts after the given position', async () => {
        const tenant = newTenant();
        const positions = await appendOneByOne(store, tenant, 4);
        const handled: number[] = [];
        const sub = store.subscribe({ after: positions[1], filter: { tenantId: tenant } }, (e) => {
          handled.push(e.position);
        });
        try {
          expect(sub.position).toBe(positions[1]);
          await sub.caughtUp;
          expect(handled).toEqual(positions.slice(2));
        } finally {
          await sub.close();
        }
      });

      it('filters by tenant, by category, and by both', async () => {
        const layout = await appendAcrossTenants(store);
        const seen = { tenant: [] as RecordedEvent[], category: [] as RecordedEvent[], both: [] as RecordedEvent[] };
        const subs = [
          store.subscribe({ filter: { tenantId: layout.b } }, (e) => void seen.tenant.push(e)),
          store.subscribe({ filter: { category: 'task' } }, (e) => void seen.category.push(e)),
          store.subscribe({ filter: { tenantId: layout.a, category: 'agent' } }, (e) => void seen.both.push(e)),
        ];
        try {
          const last = layout.last();
          await Promise.all(subs.map((s) => s.waitFor(last)));

          expect(seen.tenant.map((e) => e.position)).toEqual(layout.positions({ tenantId: layout.b }));
          expect(seen.category.every((e) => e.category === 'task')).toBe(true);
          expect(ofTenants(seen.category, layout)).toEqual(layout.positions({ category: 'task' }));
          expect(seen.both.map((e) => e.position)).toEqual(layout.positions({ tenantId: layout.a, category: 'agent' }));
        } finally {
          await Promise.all(subs.map((s) => s.close()));
        }
      });

      it('waitFor resolves for the position of an event the subscription does not match', async () => {
        const mine = newTenant();
        const theirs = newTenant();
        const sub = store.subscribe({ filter: { tenantId: mine } }, () => undefined);
        const idle = store.subscribe({ filter: { tenantId: newTenant() } }, () => undefined);
        try {
          const matching = await store.append(streamOf(mine), [newEvent(streamOf(mine))]);
          const ref = streamOf(theirs);
          const other = await store.append(ref, [newEvent(ref)]);

          await sub.waitFor(other.position, 5000);
          expect(sub.position).toBe(matching.position);
          await idle.waitFor(other.position, 5000);
          expect(idle.position).toBe(0);
        } finally {
          await sub.close();
          await idle.close();
        }
      });

      it('waitFor rejects with a TimeoutError while the position is not handled, and resolves once it is', async () => {
        const tenant = newTenant();
        const ref = streamOf(tenant);
        const { position } = await store.append(ref, [newEvent(ref)]);
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        const sub = store.subscribe({ filter: { tenantId: tenant } }, () => gate);
        try {
          const error = await captureError(sub.waitFor(position, 200));
          expect(error).toBeInstanceOf(TimeoutError);
          expect(error).toMatchObject({ waitedForPosition: position, timeoutMs: 200 });

          release();
          await sub.waitFor(position, 5000);
          expect(sub.position).toBe(position);
        } finally {
          await sub.close();
        }
      });

      it('closes on a handler error, reports it to onError and delivers nothing more', async () => {
        const tenant = newTenant();
        const positions = await appendOneByOne(store, tenant, 3);
        const boom = new Error('handler failed');
        const handled: number[] = [];
        let report!: (error: unknown) => void;
        const reported = new Promise<unknown>((resolve) => (report = resolve));
        const sub = store.subscribe({ filter: { tenantId: tenant }, onError: (error) => report(error) }, (event) => {
          handled.push(event.position);
          if (handled.length === 2) throw boom;
        });
        try {
          expect(await within(5000, reported)).toBe(boom);
          await expect(sub.caughtUp).rejects.toBeInstanceOf(SubscriptionClosedError);
          await expect(sub.waitFor(positions[2])).rejects.toBeInstanceOf(SubscriptionClosedError);
          await appendOneByOne(store, tenant, 1);
          await new Promise((resolve) => setTimeout(resolve, 100));
          expect(handled).toEqual(positions.slice(0, 2));
        } finally {
          await sub.close();
        }
      });

      it('delivers nothing after close', async () => {
        const tenant = newTenant();
        const handled: number[] = [];
        const sub = store.subscribe({ filter: { tenantId: tenant } }, (e) => void handled.push(e.position));
        await sub.caughtUp;
        const [first] = await appendOneByOne(store, tenant, 1);
        await sub.waitFor(first);
        await sub.close();
        await appendOneByOne(store, tenant, 2);
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(handled).toEqual([first]);
      });

      it('keeps order through a handler that falls far behind a long replay', { timeout: 120_000 }, async () => {
        const tenant = newTenant();
        const positions = await appendInBatches(store, tenant, 10_000, 100);
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        const handled: number[] = [];
        const sub = store.subscribe({ filter: { tenantId: tenant } }, async (event) => {
          // The first event blocks long enough for the whole replay to arrive behind it.
          if (handled.length === 0) await gate;
          handled.push(event.position);
        });
        try {
          await new Promise((resolve) => setTimeout(resolve, 1000));
          release();
          await sub.caughtUp;
          expect(handled).toEqual(positions);
        } finally {
          await sub.close();
        }
      });
    });

    describe('subscribe with a small queueLimit (a watch served to one slow client)', () => {
      it('pauses and resumes its feed around a slow handler, delivering every event once, in order, live ones too', async () => {
        const tenant = newTenant();
        const positions = await appendInBatches(store, tenant, 300, 50);
        const handled: number[] = [];
        const sub = store.subscribe({ filter: { tenantId: tenant }, queueLimit: 4 }, async (event) => {
          if (handled.length % 25 === 0) await new Promise((resolve) => setTimeout(resolve, 20));
          handled.push(event.position);
        });
        try {
          await sub.caughtUp;
          expect(handled).toEqual(positions);
          // appendInBatches answers with every position of the tenant, the earlier ones too.
          const all = await appendInBatches(store, tenant, 20, 10);
          expect(all.length).toBeGreaterThan(positions.length);
          await sub.waitFor(all.at(-1)!, 10_000);
          expect(handled).toEqual(all);
        } finally {
          await sub.close();
        }
      });
    });

    describe('headPosition', () => {
      it('is the position of the newest event in the log', async () => {
        const before = await store.headPosition();
        expect(before).toBeGreaterThanOrEqual(0);
        const ref = streamOf(newTenant());
        const result = await store.append(ref, [newEvent(ref)]);
        expect(result.position).toBeGreaterThan(before);
        expect(await store.headPosition()).toBeGreaterThanOrEqual(result.position);
      });

      it("streamHead is the position of a stream's newest event, 0 for a stream that does not exist", async () => {
        const ref = streamOf(newTenant());
        expect(await store.streamHead(ref)).toBe(0);
        const first = await store.append(ref, [newEvent(ref)]);
        const other = streamOf(newTenant());
        await store.append(other, [newEvent(other)]);
        expect(await store.streamHead(ref)).toBe(first.position);
        const second = await store.append(ref, [newEvent(ref), newEvent(ref)], { expectedRevision: 0 });
        expect(await store.streamHead(ref)).toBe(second.position);
      });

      it('is 0 exactly when the log holds no event', async () => {
        const [any] = await collect(store.readAll({ limit: 1 }));
        const head = await store.headPosition();
        if (any === undefined) expect(head).toBe(0);
        else expect(head).toBeGreaterThanOrEqual(any.position);
      });
    });
  });
}

// ---- fixtures: every test writes in tenants of its own ----

function newTenant(): string {
  return `t-${randomUUID().slice(0, 13)}`;
}

function streamOf(tenantId: string, category = 'agent'): StreamRef {
  return { tenantId, category, id: randomUUID() };
}

function newEvent(
  ref: Pick<StreamRef, 'tenantId'>,
  type = 'Tested',
  data: unknown = { at: Date.now() },
  actor: NewEvent['metadata']['actor'] = { kind: 'user', id: 'u-1' },
): NewEvent {
  const id = randomUUID();
  return {
    id,
    type,
    data,
    metadata: {
      tenantId: ref.tenantId,
      actor,
      correlationId: `corr-${id}`,
      causationId: `cause-${id}`,
      requestId: `req-${id}`,
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      schemaVersion: 1,
    },
  };
}

async function appendOneByOne(store: EventStore, tenantId: string, count: number): Promise<number[]> {
  const positions: number[] = [];
  for (let i = 0; i < count; i++) {
    const ref = streamOf(tenantId);
    positions.push((await store.append(ref, [newEvent(ref)])).position);
  }
  return positions;
}

/** `count` single-event appends spread over 10 streams written concurrently; returns every position. */
async function appendInParallel(store: EventStore, tenantId: string, count: number): Promise<number[]> {
  const streams = Array.from({ length: 10 }, () => streamOf(tenantId));
  const perStream = Math.ceil(count / streams.length);
  const results = await Promise.all(
    streams.map(async (ref, s) => {
      const positions: number[] = [];
      for (let i = 0; i < perStream && s * perStream + i < count; i++) {
        positions.push((await store.append(ref, [newEvent(ref)])).position);
      }
      return positions;
    }),
  );
  return results.flat();
}

/** `count` events in appends of `batch` events over 20 concurrent streams; returns every position, sorted. */
async function appendInBatches(store: EventStore, tenantId: string, count: number, batch: number): Promise<number[]> {
  const streams = Array.from({ length: 20 }, () => streamOf(tenantId));
  const batchesPerStream = Math.ceil(count / batch / streams.length);
  await Promise.all(
    streams.map(async (ref) => {
      for (let i = 0; i < batchesPerStream; i++) {
        await store.append(
          ref,
          Array.from({ length: batch }, () => newEvent(ref)),
        );
      }
    }),
  );
  const events = await collect(store.readAll({ filter: { tenantId } }));
  return events.map((e) => e.position);
}

interface TenantLayout {
  a: string;
  b: string;
  positions(filter: { tenantId?: string; category?: string }): number[];
  last(): number;
}

/** Two tenants, each with an agent and a task stream, written interleaved. */
async function appendAcrossTenants(store: EventStore): Promise<TenantLayout> {
  const a = newTenant();
  const b = newTenant();
  const written: { tenantId: string; category: string; position: number }[] = [];
  for (let round = 0; round < 2; round++) {
    for (const tenantId of [a, b]) {
      for (const category of ['agent', 'task']) {
        const ref = streamOf(tenantId, category);
        const { position } = await store.append(ref, [newEvent(ref)]);
        written.push({ tenantId, category, position });
      }
    }
  }
  return {
    a,
    b,
    positions: (filter) =>
      written
        .filter((w) => (filter.tenantId ?? w.tenantId) === w.tenantId && (filter.category ?? w.category) === w.category)
        .map((w) => w.position),
    last: () => written[written.length - 1].position,
  };
}

/** Positions of the events that belong to the layout's tenants (other tests may share the log). */
function ofTenants(events: RecordedEvent[], layout: TenantLayout): number[] {
  return events.filter((e) => [layout.a, layout.b].includes(e.metadata.tenantId)).map((e) => e.position);
}

async function collect(events: AsyncIterable<RecordedEvent>): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

async function captureError(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the operation to fail');
}

function isStrictlyIncreasing(values: number[]): boolean {
  return values.every((v, i) => i === 0 || v > values[i - 1]);
}

function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
