import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { AlreadyExistsError, AosError, NotFoundError } from '@aos/errors';
import {
  ConcurrencyError,
  createEventStore,
  type EventStore,
  type RecordedEvent,
  type Subscription,
} from '@aos/event-store';
import type { RequestContext } from '@aos/messaging';
import { startNatsServer, type NatsServerHandle } from '@aos/testing';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  CommandPipeline,
  followerOf,
  JetStreamKvNameLedger,
  type CommandPipelineOptions,
  type LogFollower,
  type NameLedger,
  type PipelineStore,
  type RequestDone,
} from '../src';

/**
 * The pipeline against a real nats-server and the JetStream store, with a
 * small aggregate of its own (a named widget with a counter), names held in
 * a real JetStream KV bucket, and two
 * "instances": two pipelines, each with its own write model fed by its own
 * subscription, as two replicas of a service would be.
 */
type Widget = { status: 'NONE' } | { status: 'MADE'; id: string; name: string; count: number };
type WidgetEvent =
  | { type: 'WidgetMade'; data: { id: string; name: string } }
  | { type: 'WidgetRenamed'; data: { id: string; name: string; previous: string } }
  | { type: 'WidgetBumped'; data: { id: string; count: number } };
type WidgetCommand =
  | { type: 'Make'; id: string; name: string }
  | { type: 'Rename'; id: string; name: string }
  | { type: 'Bump'; id: string };

function decide(command: WidgetCommand, state: Widget): WidgetEvent[] {
  if (command.type === 'Make') {
    if (state.status !== 'NONE') throw new AlreadyExistsError('widget', 'id', command.id);
    return [{ type: 'WidgetMade', data: { id: command.id, name: command.name } }];
  }
  if (state.status === 'NONE') throw new NotFoundError('widget', command.id);
  if (command.type === 'Rename') {
    if (command.name === state.name) return [];
    return [{ type: 'WidgetRenamed', data: { id: state.id, name: command.name, previous: state.name } }];
  }
  return [{ type: 'WidgetBumped', data: { id: state.id, count: state.count + 1 } }];
}

function evolve(state: Widget, event: WidgetEvent): Widget {
  switch (event.type) {
    case 'WidgetMade':
      return { status: 'MADE', id: event.data.id, name: event.data.name, count: 0 };
    case 'WidgetRenamed':
      return state.status === 'MADE' ? { ...state, name: event.data.name } : state;
    case 'WidgetBumped':
      return state.status === 'MADE' ? { ...state, count: event.data.count } : state;
  }
}

type WidgetDone = RequestDone & { widget: Widget };

/** One instance: its write model, its subscription and its pipeline. */
class Instance {
  readonly widgets = new Map<string, { state: Widget; revision: number; position: number }>();
  readonly subscription: Subscription;
  readonly pipeline: CommandPipeline;
  /** While set, the write model applies nothing more: it lags behind the log. */
  hold: Promise<void> | undefined;

  constructor(store: EventStore, overrides: Partial<CommandPipelineOptions> = {}) {
    this.subscription = store.subscribe({ after: 0, filter: { category: 'widget' } }, async (e: RecordedEvent) => {
      await this.hold;
      const key = `${e.metadata.tenantId}/${e.streamId}`;
      const before = this.widgets.get(key);
      if (before && e.revision <= before.revision) return;
      const state = evolve(before?.state ?? { status: 'NONE' }, { type: e.type, data: e.data } as WidgetEvent);
      this.widgets.set(key, { state, revision: e.revision, position: e.position });
      this.pipeline.requests.apply(e);
    });
    this.pipeline = new CommandPipeline({
      store,
      followers: [followerOf(this.subscription)],
      isFollowing: () => true,
      model: 'widget',
      schemaVersion: 3,
      eventNamespace: '6f1d8a52-0c9e-4a57-bb2a-1f0e9d3c7a11',
      categories: ['widget'],
      waits: { readMs: 500, writeMs: 3_000, catchUpMs: 1_000 },
      names: {
        ledger,
        holders: {
          agent: {
            fold: (name) => name.toLowerCase(),
            holderOf: (tenantId, folded) => {
              for (const [key, { state }] of this.widgets) {
                if (key.startsWith(`${tenantId}/`) && state.status === 'MADE' && state.name.toLowerCase() === folded) {
                  return state.id;
                }
              }
              return undefined;
            },
          },
        },
      },
      ...overrides,
    });
  }

  handle(
    ctx: RequestContext,
    requestId: string,
    command: WidgetCommand,
    options: { expectedRevision?: number; replays?: string[] } = {},
  ): Promise<WidgetDone> {
    return this.pipeline.handle(ctx, {
      requestId,
      replays: options.replays ?? ['WidgetMade', 'WidgetRenamed', 'WidgetBumped'],
      ...this.command(ctx, command, options.expectedRevision),
      reply: (done) => this.reply(ctx, command.id, done),
    });
  }

  /**
   * A request whose slow work (an extraction, a discovery) runs before its
   * commit: it reports `started` once past the request's first look-up,
   * then waits for `work` before it commits. `decided` sees each decision.
   */
  handleSlowly(
    ctx: RequestContext,
    requestId: string,
    command: WidgetCommand,
    steps: { started: () => void; work: Promise<void>; decided?: (state: Widget) => void; expectedRevision?: number },
  ): Promise<WidgetDone> {
    const spec = this.command(ctx, command, steps.expectedRevision);
    return this.pipeline.handleRequest(
      ctx,
      {
        requestId,
        replays: ['WidgetMade', 'WidgetRenamed', 'WidgetBumped'],
        sameTarget: (recorded) => recorded.every((s) => s.streamId === command.id),
        reply: (done) => this.reply(ctx, command.id, done),
      },
      async (tx) => {
        steps.started();
        await steps.work;
        await tx.commit({
          ...spec,
          decide: (state) => {
            steps.decided?.(state);
            return spec.decide(state);
          },
        });
      },
    );
  }

  private reply(ctx: RequestContext, id: string, done: RequestDone): WidgetDone {
    return { ...done, widget: this.widgets.get(`${ctx.tenantId}/${id}`)?.state ?? { status: 'NONE' } };
  }

  private command(ctx: RequestContext, command: WidgetCommand, expectedRevision: number | undefined) {
    return {
      stream: { category: 'widget', id: command.id },
      creates: command.type === 'Make',
      expectedRevision,
      load: () => this.widgets.get(`${ctx.tenantId}/${command.id}`),
      initial: { status: 'NONE' } as Widget,
      decide: (state: Widget) => decide(command, state),
      names: (events: readonly WidgetEvent[]) =>
        events.flatMap((e) => {
          if (e.type === 'WidgetMade')
            return [{ kind: 'agent' as const, name: e.data.name, holderId: e.data.id, action: 'reserve' as const }];
          if (e.type !== 'WidgetRenamed') return [];
          return [
            { kind: 'agent' as const, name: e.data.name, holderId: e.data.id, action: 'reserve' as const },
            { kind: 'agent' as const, name: e.data.previous, holderId: e.data.id, action: 'release' as const },
          ];
        }),
    };
  }

  close(): Promise<void> {
    return this.subscription.close();
  }
}

let nats: NatsServerHandle;
let store: EventStore;
let nc: NatsConnection;
let ledger: NameLedger;
let a: Instance;
let b: Instance;

beforeAll(async () => {
  nats = await startNatsServer();
  store = await createEventStore({ kind: 'jetstream', natsUrl: nats.url });
  nc = await connect({ servers: nats.url });
  ledger = await JetStreamKvNameLedger.open(nc);
  a = new Instance(store);
  b = new Instance(store);
  await Promise.all([a.subscription.caughtUp, b.subscription.caughtUp]);
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await nc?.close();
  await store?.close();
  await nats?.stop();
});

const ctxOf = (tenantId: string): RequestContext => ({
  tenantId,
  actor: { kind: 'user', id: 'alice' },
  correlationId: 'corr-1',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
});
const newTenant = () => `t-${randomUUID().slice(0, 8)}`;

async function failure(call: Promise<unknown>): Promise<AosError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof AosError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe('CommandPipeline', () => {
  it("appends with the request's metadata and derived ids, replies from the read model, and answers a retry the same", async () => {
    const ctx = ctxOf(newTenant());
    const made = await a.handle(ctx, 'req-1', { type: 'Make', id: 'w1', name: 'Sprocket' });
    expect(made.widget).toMatchObject({ status: 'MADE', name: 'Sprocket' });
    expect(made.replayed).toBe(false);
    const [event] = await store.readStream({ tenantId: ctx.tenantId, category: 'widget', id: 'w1' });
    expect(event).toMatchObject({
      type: 'WidgetMade',
      position: made.position,
      metadata: {
        tenantId: ctx.tenantId,
        actor: ctx.actor,
        correlationId: 'corr-1',
        causationId: 'req-1',
        requestId: 'req-1',
        traceparent: ctx.traceparent,
        schemaVersion: 3,
      },
    });
    // A retry, here or on the other instance, is answered from the log: nothing is appended again.
    const again = await b.handle(ctx, 'req-1', { type: 'Make', id: 'w1', name: 'Sprocket' });
    expect(again).toMatchObject({ replayed: true, position: made.position });
    expect(await store.readStream({ tenantId: ctx.tenantId, category: 'widget', id: 'w1' })).toHaveLength(1);
  });

  it('refuses a request_id reused for another kind of request or another target, naming request_id', async () => {
    const ctx = ctxOf(newTenant());
    await a.handle(ctx, 'made', { type: 'Make', id: 'w1', name: 'One' });
    await a.handle(ctx, 'made-2', { type: 'Make', id: 'w2', name: 'Two' });
    const otherKind = await failure(a.handle(ctx, 'made', { type: 'Bump', id: 'w1' }, { replays: ['WidgetBumped'] }));
    expect([otherKind.code, otherKind.field]).toEqual(['INVALID_ARGUMENT', 'request_id']);
    const bumped = await a.handle(ctx, 'bump', { type: 'Bump', id: 'w1' });
    expect(bumped.widget).toMatchObject({ count: 1 });
    const otherTarget = await failure(a.handle(ctx, 'bump', { type: 'Bump', id: 'w2' }));
    expect([otherTarget.code, otherTarget.field]).toEqual(['INVALID_ARGUMENT', 'request_id']);
  });

  it('decides again after losing a race, so concurrent commands on two instances all land in order', async () => {
    const ctx = ctxOf(newTenant());
    await a.handle(ctx, 'make', { type: 'Make', id: 'w', name: 'Counter' });
    const bumps = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).handle(ctx, `bump-${i}`, { type: 'Bump', id: 'w' })),
    );
    expect(bumps.every((r) => !r.replayed)).toBe(true);
    const events = await store.readStream({ tenantId: ctx.tenantId, category: 'widget', id: 'w' });
    expect(events.map((e) => (e.data as { count?: number }).count ?? 0)).toEqual(
      Array.from({ length: 13 }, (_, i) => i),
    );
  });

  it('answers a stale expected_revision with ABORTED at once, naming the current revision', async () => {
    const ctx = ctxOf(newTenant());
    await a.handle(ctx, 'make', { type: 'Make', id: 'w', name: 'Rev' });
    await b.handle(ctx, 'bump-1', { type: 'Bump', id: 'w' });
    // Whether `a`'s model has applied revision 1 yet or not, the answer names it.
    const stale = await failure(a.handle(ctx, 'bump-2', { type: 'Bump', id: 'w' }, { expectedRevision: 0 }));
    expect([stale.code, stale.field]).toEqual(['ABORTED', 'expected_revision']);
    expect(stale.message).toMatch(/current revision is 1/);
    const ahead = await failure(a.handle(ctx, 'bump-3', { type: 'Bump', id: 'w' }, { expectedRevision: 7 }));
    expect(ahead.message).toMatch(/expected_revision 7 is stale: the current revision is 1/);
    const fresh = await a.handle(ctx, 'bump-4', { type: 'Bump', id: 'w' }, { expectedRevision: 1 });
    expect(fresh.widget).toMatchObject({ count: 2 });
  });

  it('gives up with ABORTED after five lost races, and at once for a single writer (retry: false)', async () => {
    const ctx = ctxOf(newTenant());
    const stream = { tenantId: ctx.tenantId, category: 'widget', id: 'contested' };
    await a.handle(ctx, 'make', { type: 'Make', id: 'contested', name: 'Contested' });
    // A write model that never learns of the newer events: every attempt appends after revision 0.
    const stuck = { state: { status: 'MADE', id: 'contested', name: 'Contested', count: 0 } as Widget, revision: 0 };
    await a.handle(ctx, 'bump-real', { type: 'Bump', id: 'contested' });
    let attempts = 0;
    const spec = {
      requestId: 'stuck',
      replays: ['WidgetBumped'],
      stream: { category: 'widget', id: 'contested' },
      load: () => stuck,
      initial: { status: 'NONE' } as Widget,
      decide: (state: Widget) => {
        attempts++;
        return decide({ type: 'Bump', id: 'contested' }, state);
      },
      reply: () => 'never',
    };
    const exhausted = await failure(a.pipeline.handle(ctx, spec));
    expect([exhausted.code, attempts]).toEqual(['ABORTED', 5]);
    expect(exhausted.message).toBe('widget-contested changed 5 times while this request was decided; retry');

    attempts = 0;
    const single = await failure(a.pipeline.writer(ctx, 'single').commit({ ...spec, retry: false }));
    expect([single.code, attempts]).toEqual(['ABORTED', 1]);
    expect(single.message).toMatch(/widget-contested was written by another writer/);
    expect(await store.readStream(stream)).toHaveLength(2);
  });

  it('keeps a name unique across instances: of concurrent claims exactly one wins, the rest are ALREADY_EXISTS', async () => {
    const ctx = ctxOf(newTenant());
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? a : b).handle(ctx, `make-${i}`, { type: 'Make', id: `w${i}`, name: i % 3 ? 'Gear' : 'GEAR' }),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') {
        expect(r.reason).toBeInstanceOf(AosError);
        expect([(r.reason as AosError).code, (r.reason as AosError).field]).toEqual(['ALREADY_EXISTS', 'agent.name']);
      }
    }
    // Nothing of the losers was made.
    const made = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        store.readStream({ tenantId: ctx.tenantId, category: 'widget', id: `w${i}` }),
      ),
    );
    expect(made.filter((events) => events.length > 0)).toHaveLength(1);
  });

  it('frees a name on rename, so another may take it; the renamed holder keeps its new name', async () => {
    const ctx = ctxOf(newTenant());
    await a.handle(ctx, 'make-1', { type: 'Make', id: 'w1', name: 'Cog' });
    expect((await failure(b.handle(ctx, 'make-2', { type: 'Make', id: 'w2', name: 'cog' }))).code).toBe(
      'ALREADY_EXISTS',
    );
    await a.handle(ctx, 'rename-1', { type: 'Rename', id: 'w1', name: 'Wheel' });
    const taken = await b.handle(ctx, 'make-3', { type: 'Make', id: 'w3', name: 'COG' });
    expect(taken.widget).toMatchObject({ name: 'COG' });
    expect((await failure(b.handle(ctx, 'make-4', { type: 'Make', id: 'w4', name: 'wheel' }))).code).toBe(
      'ALREADY_EXISTS',
    );
  });

  it('takes over a name whose holder never came once the grace time has passed, not before', async () => {
    const ctx = ctxOf(newTenant());
    const fast = new Instance(store, { nameGraceMs: 400 });
    await fast.subscription.caughtUp;
    try {
      // A creation that reserved its name and then could not append its own event (here the log refuses
      // it: its stream exists already), as a crash between the two would leave it: the holder never comes.
      const ghost = { tenantId: ctx.tenantId, category: 'widget', id: 'ghost' };
      await store.append(ghost, [
        {
          id: randomUUID(),
          type: 'WidgetBumped',
          data: { id: 'ghost', count: 0 },
          metadata: {
            tenantId: ctx.tenantId,
            actor: ctx.actor,
            correlationId: 'x',
            causationId: 'x',
            requestId: 'x',
            schemaVersion: 3,
          },
        },
      ]);
      const crashed = await failure(
        fast.pipeline.handle(ctx, {
          requestId: 'crashed',
          replays: ['WidgetMade'],
          stream: { category: 'widget', id: 'ghost' },
          creates: true,
          retry: false,
          load: () => undefined,
          initial: { status: 'NONE' } as Widget,
          decide: () => [{ type: 'WidgetMade', data: { id: 'ghost', name: 'Spindle' } }],
          names: () => [{ kind: 'agent', name: 'Spindle', holderId: 'ghost', action: 'reserve' }],
          reply: () => undefined,
        }),
      );
      expect(crashed.code).toBe('ABORTED');
      const young = await failure(fast.handle(ctx, 'early', { type: 'Make', id: 'w-early', name: 'spindle' }));
      expect(young.code).toBe('ALREADY_EXISTS');
      await new Promise((r) => setTimeout(r, 450));
      const late = await fast.handle(ctx, 'late', { type: 'Make', id: 'w-late', name: 'spindle' });
      expect(late.widget).toMatchObject({ name: 'spindle' });
    } finally {
      await fast.close();
    }
  });

  it('says which read model fell behind, and that one which stopped is unavailable', async () => {
    const never: LogFollower = {
      waitFor: () =>
        new Promise<void>((_, reject) =>
          setTimeout(() => reject(Object.assign(new Error('slow'), { name: 'TimeoutError' })), 10),
        ),
    };
    const base = {
      store,
      isFollowing: () => true,
      model: 'widget',
      schemaVersion: 1,
      eventNamespace: '6f1d8a52-0c9e-4a57-bb2a-1f0e9d3c7a11',
      categories: ['widget'],
      waits: { readMs: 200, writeMs: 200, catchUpMs: 200 },
    };
    const slow = new CommandPipeline({ ...base, followers: [never] });
    const late = await failure(slow.reach(10));
    expect([late.code, late.message]).toEqual([
      'DEADLINE_EXCEEDED',
      'the widget read model did not reach log position 10 within 200 ms',
    ]);
    const stopped = new CommandPipeline({
      ...base,
      followers: [{ waitFor: () => Promise.reject(new Error('closed')) }],
    });
    expect((await failure(stopped.catchUp())).code).toBe('UNAVAILABLE');
    const notFollowing = new CommandPipeline({ ...base, followers: [], isFollowing: () => false });
    expect(() => notFollowing.requireFollowing()).toThrow(/the widget read model has stopped following the log/);
  });
});

/** A promise and what settles it, for steps the test releases one by one. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** What a reply says of the request, whichever instance gave it. */
const answer = ({ position, recorded, widget }: WidgetDone) => ({ position, recorded, widget });

describe('a retry that reaches another instance while the first attempt is still working', () => {
  /**
   * R starts on `a` and on `second` (the client gave up on the first and
   * retried), both past the request's first look-up; `a` commits first;
   * then `second` goes on.
   */
  async function race(
    second: Instance,
    ctx: RequestContext,
    command: WidgetCommand,
    options: {
      expectedRevision?: number;
      beforeFirst?: () => Promise<unknown>;
      beforeSecond?: (first: WidgetDone) => Promise<void>;
    } = {},
  ) {
    const requestId = `slow-${randomUUID()}`;
    const [firstStarted, secondStarted, firstWork, secondWork] = [deferred(), deferred(), deferred(), deferred()];
    const decidedBySecond: Widget[] = [];
    const first = a.handleSlowly(ctx, requestId, command, {
      started: firstStarted.resolve,
      work: firstWork.promise,
      expectedRevision: options.expectedRevision,
    });
    const retried = second.handleSlowly(ctx, requestId, command, {
      started: secondStarted.resolve,
      work: secondWork.promise,
      decided: (state) => decidedBySecond.push(state),
      expectedRevision: options.expectedRevision,
    });
    await Promise.all([firstStarted.promise, secondStarted.promise]);
    await options.beforeFirst?.();
    firstWork.resolve();
    const firstDone = await first;
    await options.beforeSecond?.(firstDone);
    secondWork.resolve();
    const secondDone = await retried;
    const events = (await store.readStream({ tenantId: ctx.tenantId, category: 'widget', id: command.id })).filter(
      (e) => e.metadata.requestId === requestId,
    );
    return { firstDone, secondDone, events, decidedBySecond };
  }

  it('records it once when the other instance has applied the first commit: the retry is answered as a replay', async () => {
    const ctx = ctxOf(newTenant());
    const { firstDone, secondDone, events, decidedBySecond } = await race(
      b,
      ctx,
      { type: 'Make', id: 'w', name: 'Slow' },
      { beforeSecond: (done) => b.subscription.waitFor(done.position) },
    );
    expect(events.map((e) => e.type)).toEqual(['WidgetMade']);
    expect(decidedBySecond).toEqual([]);
    expect([firstDone.replayed, secondDone.replayed]).toEqual([false, true]);
    expect(answer(secondDone)).toEqual(answer(firstDone));
    expect(firstDone.widget).toMatchObject({ status: 'MADE', name: 'Slow' });
  });

  it('does not answer ABORTED to a retry that sent the expected revision its first attempt met', async () => {
    const ctx = ctxOf(newTenant());
    const made = await a.handle(ctx, 'make', { type: 'Make', id: 'w', name: 'Counted' });
    await b.subscription.waitFor(made.position);
    const { firstDone, secondDone, events } = await race(
      b,
      ctx,
      { type: 'Bump', id: 'w' },
      { expectedRevision: 0, beforeSecond: (done) => b.subscription.waitFor(done.position) },
    );
    expect(events.map((e) => e.type)).toEqual(['WidgetBumped']);
    expect(answer(secondDone)).toEqual(answer(firstDone));
    expect(secondDone.widget).toMatchObject({ count: 1 });
  });

  describe('when the other instance decides before its model has the first commit', () => {
    let lagging: Instance;
    let conflicts = 0;
    let release = () => undefined as void;

    beforeAll(async () => {
      // The log as the lagging instance appends to it: once it has appended, its model goes on (as time would).
      const racing: PipelineStore = {
        append: async (stream, events, options) => {
          try {
            return await store.append(stream, events, options);
          } catch (err) {
            if (err instanceof ConcurrencyError) conflicts++;
            throw err;
          } finally {
            release();
          }
        },
        headPosition: () => store.headPosition(),
        readStream: (stream, options) => store.readStream(stream, options),
      };
      lagging = new Instance(store, { store: racing });
      await lagging.subscription.caughtUp;
    });

    afterAll(() => {
      release();
      return lagging?.close();
    });

    /** The lagging instance's model applies nothing more until it has appended. */
    function holdLagging(): void {
      const held = deferred();
      [lagging.hold, release] = [held.promise, held.resolve];
    }

    it('finds the first commit in the revision it meant to take: one event, the same answer', async () => {
      const ctx = ctxOf(newTenant());
      holdLagging();
      const { firstDone, secondDone, events, decidedBySecond } = await race(lagging, ctx, {
        type: 'Make',
        id: 'w',
        name: 'Lagging',
      });
      // It decided on the state before the first commit; the log recognised the same event (its id) in that slot.
      expect(decidedBySecond).toEqual([{ status: 'NONE' }]);
      expect(events).toHaveLength(1);
      expect(answer(secondDone)).toEqual(answer(firstDone));
    });

    it('loses the race to an older event, catches up and finds the request: answered as a replay', async () => {
      const ctx = ctxOf(newTenant());
      const made = await a.handle(ctx, 'make', { type: 'Make', id: 'w', name: 'Lagging' });
      await lagging.subscription.waitFor(made.position);
      const stale = lagging.widgets.get(`${ctx.tenantId}/w`)!.state;
      holdLagging();
      const before = conflicts;
      const { firstDone, secondDone, events, decidedBySecond } = await race(
        lagging,
        ctx,
        { type: 'Bump', id: 'w' },
        // Another request's event lands first: the revision the lagging instance expects is long gone.
        { beforeFirst: () => a.handle(ctx, 'other', { type: 'Bump', id: 'w' }) },
      );
      expect(decidedBySecond).toEqual([stale]);
      expect(conflicts - before).toBe(1);
      expect(events).toHaveLength(1);
      expect([firstDone.replayed, secondDone.replayed]).toEqual([false, true]);
      expect(answer(secondDone)).toEqual(answer(firstDone));
      expect(secondDone.widget).toMatchObject({ count: 2 });
    });
  });

  it('refuses the same request_id used meanwhile on another instance for another target, recording nothing', async () => {
    const ctx = ctxOf(newTenant());
    const requestId = 'reused';
    const [started, work] = [deferred(), deferred()];
    const other = b.handleSlowly(
      ctx,
      requestId,
      { type: 'Make', id: 'w2', name: 'Two' },
      {
        started: started.resolve,
        work: work.promise,
      },
    );
    await started.promise;
    const made = await a.handle(ctx, requestId, { type: 'Make', id: 'w1', name: 'One' });
    await b.subscription.waitFor(made.position);
    work.resolve();
    const refused = await failure(other);
    expect([refused.code, refused.field]).toEqual(['INVALID_ARGUMENT', 'request_id']);
    expect(await store.readStream({ tenantId: ctx.tenantId, category: 'widget', id: 'w2' })).toEqual([]);
  });

  it('still lets one request commit one stream twice: its own first events are not another attempt', async () => {
    const ctx = ctxOf(newTenant());
    await a.handle(ctx, 'make', { type: 'Make', id: 'w', name: 'Twice' });
    const done = await a.pipeline.handleRequest(
      ctx,
      { requestId: 'bump-twice', replays: ['WidgetBumped'], reply: (d) => d },
      async (tx) => {
        for (let i = 0; i < 2; i++) {
          await tx.commit({
            stream: { category: 'widget', id: 'w' },
            load: () => a.widgets.get(`${ctx.tenantId}/w`),
            initial: { status: 'NONE' } as Widget,
            decide: (state: Widget) => decide({ type: 'Bump', id: 'w' }, state),
          });
        }
      },
    );
    expect(done.recorded.map((s) => [s.type, (s.data as { count: number }).count])).toEqual([
      ['WidgetBumped', 1],
      ['WidgetBumped', 2],
    ]);
  });
});
