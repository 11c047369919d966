import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AosError } from '@aos/errors';
import { createEventStore, type EventStore, type Subscription } from '@aos/event-store';
import type { RequestContext } from '@aos/messaging';
import { startNatsServer, type NatsServerHandle } from '@aos/testing';
import { CommandLog, type LogFollower } from '../src';

let nats: NatsServerHandle;
let store: EventStore;
let subscription: Subscription;
const ctx: RequestContext = { tenantId: 't1', actor: { kind: 'user', id: 'alice' }, correlationId: 'corr-1' };
const eventIdFor = (tenantId: string, requestId: string, index: number) =>
  `00000000-0000-4000-8000-${Buffer.from(`${tenantId}${requestId}${index}`).toString('hex').slice(-12).padStart(12, '0')}`;

beforeAll(async () => {
  nats = await startNatsServer();
  store = await createEventStore({ kind: 'jetstream', natsUrl: nats.url });
  subscription = store.subscribe({ after: 0 }, () => undefined);
});

afterAll(async () => {
  await subscription?.close();
  await store?.close();
  await nats?.stop();
});

function commandLog(followers: LogFollower[] = [subscription]): CommandLog {
  return new CommandLog({
    store,
    followers,
    isFollowing: () => true,
    model: 'widget',
    schemaVersion: 3,
    eventIdFor,
    waits: { readMs: 200, writeMs: 2_000, catchUpMs: 200 },
  });
}

async function code(call: Promise<unknown>): Promise<[string, string]> {
  try {
    await call;
  } catch (err) {
    if (err instanceof AosError) return [err.code, err.message];
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe('CommandLog', () => {
  it("appends with the request's metadata and derived ids, and waits to read them back", async () => {
    const log = commandLog();
    const stream = { tenantId: 't1', category: 'widget', id: 'w1' };
    const result = await log.append(ctx, 'req-1', stream, [{ type: 'WidgetMade', data: { n: 1 } }], 'no_stream');
    await log.written(result.position);
    const [event] = await store.readStream(stream);
    expect(event).toMatchObject({
      id: eventIdFor('t1', 'req-1', 0),
      type: 'WidgetMade',
      metadata: {
        tenantId: 't1',
        actor: ctx.actor,
        correlationId: 'corr-1',
        causationId: 'req-1',
        requestId: 'req-1',
        schemaVersion: 3,
      },
    });
  });

  it('decides again after losing a race to another writer, at most five times; an explicit revision is ABORTED at once', async () => {
    const log = commandLog();
    const stream = { tenantId: 't1', category: 'widget', id: 'raced' };
    // A real conflict from the store: the stream exists, the attempt expects it not to.
    await log.append(ctx, 'race-0', stream, [{ type: 'WidgetMade', data: {} }], 'no_stream');
    let attempts = 0;
    const loses = () => {
      attempts++;
      return log.append(ctx, `race-${attempts}`, stream, [{ type: 'WidgetMade', data: {} }], 'no_stream');
    };
    const [exhausted, message] = await code(log.decideUntilAppended('widget raced', undefined, () => -1, loses));
    expect([exhausted, attempts]).toEqual(['ABORTED', 5]);
    expect(message).toBe('widget raced changed 5 times while this request was decided; retry');

    attempts = 0;
    const stale = await code(log.decideUntilAppended('widget raced', 0, () => -1, loses));
    // The store's ConcurrencyError names the actual revision (0: one event); no second attempt.
    expect(stale[0]).toBe('ABORTED');
    expect(stale[1]).toMatch(/current revision is 0/);
    expect(attempts).toBe(1);

    attempts = 0;
    const won = await log.decideUntilAppended(
      'widget raced',
      undefined,
      () => -1,
      async () =>
        ++attempts < 3 ? loses() : log.append(ctx, 'race-won', stream, [{ type: 'WidgetMade', data: {} }], 0),
    );
    expect(won.position).toBeGreaterThan(0);
    expect(attempts).toBe(3);
  });

  it('names request_id when its event ids are already in another stream', async () => {
    const log = commandLog();
    await log.append(
      ctx,
      'req-2',
      { tenantId: 't1', category: 'widget', id: 'w2' },
      [{ type: 'WidgetMade', data: {} }],
      'no_stream',
    );
    const [status, message] = await code(
      log.append(
        ctx,
        'req-2',
        { tenantId: 't1', category: 'widget', id: 'w3' },
        [{ type: 'WidgetMade', data: {} }],
        'no_stream',
      ),
    );
    expect(status).toBe('INVALID_ARGUMENT');
    expect(message).toMatch(/request_id/);
  });

  it('says which read model fell behind, and that one which stopped is unavailable', async () => {
    const never = {
      waitFor: () =>
        new Promise<void>((_, reject) =>
          setTimeout(() => reject(Object.assign(new Error('slow'), { name: 'TimeoutError' })), 10),
        ),
    };
    expect(await code(commandLog([never]).reach(10))).toEqual([
      'DEADLINE_EXCEEDED',
      expect.stringMatching(/the widget read model did not reach log position 10 within 200 ms/),
    ]);
    const stopped = { waitFor: () => Promise.reject(new Error('subscription closed')) };
    expect((await code(commandLog([stopped]).catchUp()))[0]).toBe('UNAVAILABLE');
    const notFollowing = new CommandLog({
      ...{
        store,
        followers: [],
        model: 'widget',
        schemaVersion: 1,
        eventIdFor,
        waits: { readMs: 1, writeMs: 1, catchUpMs: 1 },
      },
      isFollowing: () => false,
    });
    expect(() => notFollowing.requireFollowing()).toThrow(/the widget read model has stopped following the log/);
  });
});
