import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { AlreadyExistsError, AosError, NotFoundError } from '@aos/errors';
import { createEventStore, type EventStore, type RecordedEvent, type Subscription } from '@aos/event-store';
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

/** One instance: its write model, its subscription and its pipeline. */
class Instance {
  readonly widgets = new Map<string, { state: Widget; revision: number; position: number }>();
  readonly subscription: Subscription;
  readonly pipeline: CommandPipeline;

  constructor(store: EventStore, overrides: Partial<CommandPipelineOptions> = {}) {
    this.subscription = store.subscribe({ after: 0, filter: { category: 'widget' } }, (e: RecordedEvent) => {
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
  ): Promise<RequestDone & { widget: Widget }> {
    return this.pipeline.handle(ctx, {
      requestId,
      replays: options.replays ?? ['WidgetMade', 'WidgetRenamed', 'WidgetBumped'],
      stream: { category: 'widget', id: command.id },
      creates: command.type === 'Make',
      expectedRevision: options.expectedRevision,
      load: () => this.widgets.get(`${ctx.tenantId}/${command.id}`),
      initial: { status: 'NONE' } as Widget,
      decide: (state) => decide(command, state),
      names: (events) =>
        events.flatMap((e) => {
          if (e.type === 'WidgetMade')
            return [{ kind: 'agent' as const, name: e.data.name, holderId: e.data.id, action: 'reserve' as const }];
          if (e.type !== 'WidgetRenamed') return [];
          return [
            { kind: 'agent' as const, name: e.data.name, holderId: e.data.id, action: 'reserve' as const },
            { kind: 'agent' as const, name: e.data.previous, holderId: e.data.id, action: 'release' as const },
          ];
        }),
      reply: (done) => ({
        ...done,
        widget: this.widgets.get(`${ctx.tenantId}/${command.id}`)?.state ?? { status: 'NONE' },
      }),
    });
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
