import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventStore, type EventStore, type RecordedEvent } from '@aos/event-store';
import { startNatsServer, type NatsServerHandle } from '@aos/testing';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  decodeSnapshot,
  encodeSnapshot,
  JetStreamSnapshotStore,
  ProjectionSnapshots,
  type ProjectionSnapshot,
  type SnapshotSettings,
  type SnapshotStore,
} from '../src/projection-snapshots';

let nats: NatsServerHandle;
let store: EventStore;
let nc: NatsConnection;
let objects: JetStreamSnapshotStore;

beforeAll(async () => {
  nats = await startNatsServer();
  store = await createEventStore({ kind: 'jetstream', natsUrl: nats.url });
  nc = await connect({ servers: nats.url });
  objects = await JetStreamSnapshotStore.open(nc);
});

afterAll(async () => {
  await nc?.close();
  await store?.close();
  await nats?.stop();
});

/** A projection of the `thing` events: what it holds in Maps, arrays and counters, and which positions it applied. */
class Things {
  byId = new Map<string, { n: number; tags: Set<string> }>();
  order: string[] = [];
  total = 0;
  readonly appliedPositions: number[] = [];

  apply(event: RecordedEvent): void {
    const { n } = event.data as { n: number };
    const thing = this.byId.get(event.streamId) ?? { n: 0, tags: new Set<string>() };
    if (!this.byId.has(event.streamId)) this.order.push(event.streamId);
    this.byId.set(event.streamId, { n: thing.n + n, tags: new Set([...thing.tags, `t${n % 3}`]) });
    this.total += n;
    this.appliedPositions.push(event.position);
  }

  state() {
    return { byId: this.byId, order: this.order, total: this.total };
  }

  snapshot(version = 1): ProjectionSnapshot<ReturnType<Things['state']>> {
    return {
      version,
      capture: () => this.state(),
      restore: (state) => {
        this.byId = state.byId;
        this.order = state.order;
        this.total = state.total;
      },
    };
  }
}

/** One test's own projection name, so that the tests' snapshots do not meet in the bucket. */
const nameOf = () => `things-${randomUUID().slice(0, 8)}`;

function settings(overrides: Partial<SnapshotSettings> = {}) {
  const logged: string[] = [];
  const warned: string[] = [];
  return {
    logged,
    warned,
    settings: {
      service: 'test',
      release: '1.0.0',
      everyEvents: 5,
      intervalMs: 60_000,
      log: (m: string) => logged.push(m),
      warn: (m: string) => warned.push(m),
      ...overrides,
    } satisfies SnapshotSettings,
  };
}

/** Appends `count` events to the category `thing` (interleaved with events of another category), returns the last thing position. */
async function appendThings(category: string, count: number): Promise<number> {
  let last = 0;
  for (let i = 0; i < count; i++) {
    const id = `x${i % 4}`;
    const metadata = {
      tenantId: 't',
      actor: { kind: 'user' as const, id: 'u' },
      correlationId: 'c',
      causationId: 'c',
      requestId: randomUUID(),
      schemaVersion: 1,
    };
    ({ position: last } = await store.append({ tenantId: 't', category, id }, [
      { id: randomUUID(), type: 'ThingChanged', data: { n: i + 1 }, metadata },
    ]));
    await store.append({ tenantId: 't', category: `${category}other`, id }, [
      { id: randomUUID(), type: 'OtherChanged', data: {}, metadata: { ...metadata, requestId: randomUUID() } },
    ]);
  }
  return last;
}

/** As the service host does it: restore, then follow the log after the snapshot's position until caught up. */
async function follow(snapshots: ProjectionSnapshots, name: string, category: string, model: Things, version = 1) {
  const [from] = await snapshots.restore(name, model.snapshot(version), [(e: RecordedEvent) => model.apply(e)]);
  const subscription = store.subscribe({ after: from!.after, filter: { category } }, from!.apply);
  await subscription.caughtUp;
  await subscription.close();
  return from!.after;
}

/** A model that replayed the whole category and a snapshot of it written by check(): the position it names. */
async function written(name: string, category: string, overrides: Partial<SnapshotSettings> = {}) {
  const head = await appendThings(category, 12);
  const first = settings(overrides);
  const snapshots = new ProjectionSnapshots(async () => objects, store, first.settings);
  const replayed = new Things();
  expect(await follow(snapshots, name, category, replayed)).toBe(0);
  await snapshots.check();
  await snapshots.stop();
  return { head, replayed, logged: first.logged };
}

describe('ProjectionSnapshots on JetStream', () => {
  it('without a snapshot replays from 0; after check(), a new process restores at the last position and applies only the tail', async () => {
    const name = nameOf();
    const category = `thing${randomUUID().slice(0, 6)}`;
    const { head, replayed, logged } = await written(name, category);
    expect(replayed.appliedPositions).toHaveLength(12);
    expect(logged.some((m) => m.startsWith(`wrote snapshot test.${name} at position ${head} `))).toBe(true);
    const bytes = await objects.read(`test.${name}`);
    expect(decodeSnapshot(bytes!).header).toMatchObject({
      parts: [{ position: head }],
      eventsApplied: 12,
      version: 1,
      release: '1.0.0',
    });

    const tailHead = await appendThings(category, 3);
    const next = settings();
    const restored = new Things();
    expect(
      await follow(new ProjectionSnapshots(async () => objects, store, next.settings), name, category, restored),
    ).toBe(head);
    expect(
      next.logged.some((m) => m.startsWith(`restored ${name} from its snapshot at position ${head} (12 events`)),
    ).toBe(true);
    // Only the tail was applied: three events after the snapshot's position.
    expect(restored.appliedPositions).toHaveLength(3);
    expect(restored.appliedPositions.every((p) => p > head)).toBe(true);
    expect(restored.appliedPositions.at(-1)).toBe(tailHead);

    const full = new Things();
    const fromZero = new ProjectionSnapshots(async () => objects, store, settings({ everyEvents: 0 }).settings);
    await follow(fromZero, name, category, full);
    expect(restored.state()).toEqual(full.state());
    expect(restored.state().total).toBe(full.state().total);
  });

  it('a snapshot of another version or another release is not used: the log is replayed, the reason logged', async () => {
    const name = nameOf();
    const category = `thing${randomUUID().slice(0, 6)}`;
    await written(name, category);
    const otherVersion = settings();
    const model = new Things();
    expect(
      await follow(
        new ProjectionSnapshots(async () => objects, store, otherVersion.settings),
        name,
        category,
        model,
        2,
      ),
    ).toBe(0);
    expect(model.appliedPositions).toHaveLength(12);
    expect(otherVersion.logged).toContain(
      `snapshot test.${name} not used (version 1, this code keeps 2): replaying the log`,
    );

    const otherRelease = settings({ release: '1.0.1' });
    const again = new Things();
    expect(
      await follow(new ProjectionSnapshots(async () => objects, store, otherRelease.settings), name, category, again),
    ).toBe(0);
    expect(again.appliedPositions).toHaveLength(12);
    expect(otherRelease.logged).toContain(
      `snapshot test.${name} not used (written by release 1.0.0, this is 1.0.1): replaying the log`,
    );
  });

  it('a snapshot whose event the log does not hold at its position, or whose position is beyond the log, is not used', async () => {
    const name = nameOf();
    const category = `thing${randomUUID().slice(0, 6)}`;
    const { head } = await written(name, category);
    const { header, state } = decodeSnapshot((await objects.read(`test.${name}`))!);
    const [part] = header.parts;
    for await (const actual of store.readAll({ after: head - 1, limit: 1 })) expect(actual.id).toBe(part!.eventId);

    await objects.write(
      `test.${name}`,
      encodeSnapshot({ ...header, parts: [{ position: head, eventId: 'another-event' }] }, state()),
    );
    const otherEvent = settings();
    const model = new Things();
    expect(
      await follow(new ProjectionSnapshots(async () => objects, store, otherEvent.settings), name, category, model),
    ).toBe(0);
    expect(model.appliedPositions).toHaveLength(12);
    expect(otherEvent.logged).toContain(
      `snapshot test.${name} not used (the log holds event ${part!.eventId} at position ${head}, the snapshot names another-event): replaying the log`,
    );

    const beyond = (await store.headPosition()) + 1000;
    await objects.write(
      `test.${name}`,
      encodeSnapshot({ ...header, parts: [{ ...part!, position: beyond }] }, state()),
    );
    const tooFar = settings();
    const again = new Things();
    expect(
      await follow(new ProjectionSnapshots(async () => objects, store, tooFar.settings), name, category, again),
    ).toBe(0);
    expect(again.appliedPositions).toHaveLength(12);
    expect(tooFar.logged).toContain(
      `snapshot test.${name} not used (the log has no event at position ${beyond}): replaying the log`,
    );
  });

  it('AOS_SNAPSHOT_EVENTS=0: no snapshot is read or written', async () => {
    const name = nameOf();
    const category = `thing${randomUUID().slice(0, 6)}`;
    await written(name, category);
    const before = decodeSnapshot((await objects.read(`test.${name}`))!).header;
    const off = settings({ everyEvents: 0 });
    let opened = 0;
    const snapshots = new ProjectionSnapshots(
      async () => {
        opened++;
        return objects;
      },
      store,
      off.settings,
    );
    expect(snapshots.enabled).toBe(false);
    const model = new Things();
    expect(await follow(snapshots, name, category, model)).toBe(0);
    expect(model.appliedPositions).toHaveLength(12);
    snapshots.start();
    await snapshots.check();
    await snapshots.stop();
    expect(opened).toBe(0);
    expect(off.logged).toEqual([]);
    expect(decodeSnapshot((await objects.read(`test.${name}`))!).header).toEqual(before);
  });

  it('a snapshot of a model fed by two subscriptions restores each after its own position, and checks each', async () => {
    const name = nameOf();
    const [a, b] = [`thing${randomUUID().slice(0, 6)}`, `thing${randomUUID().slice(0, 6)}`];
    const headA = await appendThings(a, 4);
    const headB = await appendThings(b, 6);
    /** Both categories into one model, as followGroupWithSnapshots feeds it. */
    const followBoth = async (snapshots: ProjectionSnapshots, model: Things) => {
      const apply = (e: RecordedEvent) => model.apply(e);
      const from = await snapshots.restore(name, model.snapshot(), [apply, apply]);
      for (const [i, category] of [a, b].entries()) {
        const subscription = store.subscribe({ after: from[i]!.after, filter: { category } }, from[i]!.apply);
        await subscription.caughtUp;
        await subscription.close();
      }
      return from.map((f) => f.after);
    };
    const first = settings();
    const writer = new ProjectionSnapshots(async () => objects, store, first.settings);
    const replayed = new Things();
    expect(await followBoth(writer, replayed)).toEqual([0, 0]);
    await writer.check();
    await writer.stop();
    const { header, state } = decodeSnapshot((await objects.read(`test.${name}`))!);
    expect(header.parts.map((p) => p.position)).toEqual([headA, headB]);

    await appendThings(a, 2);
    const restored = new Things();
    const next = settings();
    expect(await followBoth(new ProjectionSnapshots(async () => objects, store, next.settings), restored)).toEqual([
      headA,
      headB,
    ]);
    expect(restored.appliedPositions).toHaveLength(2);
    expect(next.logged.some((m) => m.startsWith(`restored ${name} from its snapshot at position ${headB} `))).toBe(
      true,
    );

    await objects.write(
      `test.${name}`,
      encodeSnapshot(
        { ...header, parts: [header.parts[0]!, { ...header.parts[1]!, eventId: 'another-event' }] },
        state(),
      ),
    );
    const stale = settings();
    expect(await followBoth(new ProjectionSnapshots(async () => objects, store, stale.settings), new Things())).toEqual(
      [0, 0],
    );
    expect(stale.logged[0]).toContain(`the snapshot names another-event`);
  });

  it('a snapshot that restore() throws on fails the start and is removed, so that the next start replays the log', async () => {
    const name = nameOf();
    const category = `thing${randomUUID().slice(0, 6)}`;
    await written(name, category);
    const broken: ProjectionSnapshot = {
      version: 1,
      capture: () => ({}),
      restore: () => {
        throw new Error('this state has another shape');
      },
    };
    const first = new ProjectionSnapshots(async () => objects, store, settings().settings);
    await expect(first.restore(name, broken, [() => undefined])).rejects.toThrow(
      `snapshot test.${name} could not be restored (removed it: the next start replays the log): this state has another shape`,
    );
    expect(await objects.read(`test.${name}`)).toBeUndefined();
    const next = new Things();
    expect(
      await follow(new ProjectionSnapshots(async () => objects, store, settings().settings), name, category, next),
    ).toBe(0);
    expect(next.appliedPositions).toHaveLength(12);
  });

  it('a failed write is logged, not thrown, and tried again at the next check', async () => {
    const name = nameOf();
    const category = `thing${randomUUID().slice(0, 6)}`;
    await appendThings(category, 6);
    const lost = await connect({ servers: nats.url });
    const failing = await JetStreamSnapshotStore.open(lost);
    let target: SnapshotStore = failing;
    const run = settings();
    const snapshots = new ProjectionSnapshots(async () => target, store, run.settings);
    await follow(snapshots, name, category, new Things());
    await lost.close();
    await expect(snapshots.check()).resolves.toBeUndefined();
    expect(run.warned).toHaveLength(1);
    expect(run.warned[0]).toMatch(new RegExp(`^snapshot test\\.${name} not written: `));
    expect(await objects.read(`test.${name}`)).toBeUndefined();

    target = objects;
    await snapshots.check();
    await snapshots.stop();
    expect(run.warned).toHaveLength(1);
    expect(decodeSnapshot((await objects.read(`test.${name}`))!).header.eventsApplied).toBe(6);
  });
  it('a capture that blocked for T ms paces the next snapshot to at least 100 T later; a quick one does not', async () => {
    const name = nameOf();
    const category = `thing${randomUUID().slice(0, 6)}`;
    await appendThings(category, 6);
    const { settings: slow, logged } = settings();
    const snapshots = new ProjectionSnapshots(async () => objects, store, slow);
    const model = new Things();
    const plain = model.snapshot();
    const spin = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    // A capture that holds the event loop for 60 ms, like a large model's.
    const heavy: ProjectionSnapshot = { ...plain, capture: () => (spin(60), plain.capture()) };
    const [from] = await snapshots.restore(name, heavy, [(e: RecordedEvent) => model.apply(e)]);
    const subscription = store.subscribe({ after: from!.after, filter: { category } }, from!.apply);
    await subscription.caughtUp;
    await snapshots.check();
    const writes = () => logged.filter((m) => m.startsWith(`wrote snapshot test.${name} `)).length;
    expect(writes()).toBe(1);
    // Enough new events for another snapshot, but not the 6 s of pause that 60 ms of blocking earns.
    await appendThings(category, 6);
    await subscription.waitFor(await store.headPosition());
    await snapshots.check();
    expect(writes()).toBe(1);
    await subscription.close();
    await snapshots.stop();

    // The same with a quick capture: written at once.
    const { settings: quick, logged: quickLogged } = settings();
    const again = new ProjectionSnapshots(async () => objects, store, quick);
    const other = new Things();
    const [at] = await again.restore(name, other.snapshot(), [(e: RecordedEvent) => other.apply(e)]);
    const followed = store.subscribe({ after: at!.after, filter: { category } }, at!.apply);
    await followed.caughtUp;
    await appendThings(category, 6);
    await followed.waitFor(await store.headPosition());
    await again.check();
    await appendThings(category, 6);
    await followed.waitFor(await store.headPosition());
    await again.check();
    expect(quickLogged.filter((m) => m.startsWith(`wrote snapshot test.${name} `)).length).toBe(2);
    await followed.close();
    await again.stop();
  });
});
