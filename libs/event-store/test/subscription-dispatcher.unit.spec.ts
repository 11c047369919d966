import { describe, expect, it } from 'vitest';
import { SubscriptionClosedError, TimeoutError } from '../src/errors';
import type { EventHandler, RecordedEvent } from '../src/event-store.port';
import { SubscriptionDispatcher, type EventFeed } from '../src/subscription-dispatcher';

/** An in-memory feed: raw events are bare positions, and the "log" answers probes from a list. */
class ListFeed implements EventFeed {
  probes = 0;
  pauses = 0;
  resumes = 0;
  closed = false;
  constructor(private readonly matching: number[] = []) {}
  pause(): void {
    this.pauses++;
  }
  resume(): void {
    this.resumes++;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  async firstMatchBetween(after: number, upTo: number): Promise<number | null> {
    this.probes++;
    return this.matching.find((p) => p > after && p <= upTo) ?? null;
  }
}

function dispatcherWith(handler: EventHandler, feed = new ListFeed(), onError?: (e: unknown) => void) {
  const dispatcher = new SubscriptionDispatcher<number>({ after: 0, handler, decode: toEvent, onError });
  dispatcher.attach(feed);
  return { dispatcher, feed };
}

function toEvent(position: number): RecordedEvent {
  return {
    id: `e${position}`,
    type: 'Tested',
    data: null,
    metadata: {
      tenantId: 't',
      actor: { kind: 'system', id: 's' },
      correlationId: 'c',
      causationId: 'c',
      requestId: 'r',
      schemaVersion: 1,
    },
    stream: 'agent-a',
    category: 'agent',
    streamId: 'a',
    revision: position - 1,
    position,
    time: new Date(0).toISOString(),
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('SubscriptionDispatcher', () => {
  it('waits for an event it is told it receives without asking the log, and ends the wait when it is handled', async () => {
    const { dispatcher, feed } = dispatcherWith(() => undefined, new ListFeed([3]));
    let done = false;
    const waiting = dispatcher.waitFor(3, 1_000, { receives: true }).then(() => (done = true));
    await tick();
    dispatcher.push(1);
    dispatcher.push(2);
    await tick();
    expect(done).toBe(false);
    dispatcher.push(3);
    await waiting;
    expect(feed.probes).toBe(0);
    // Without the hint the log is asked which matching event comes first.
    await dispatcher.waitFor(5, 50).catch(() => undefined);
    expect(feed.probes).toBeGreaterThan(0);
  });

  it('awaits an async handler before delivering the next event, in order', async () => {
    const seen: number[] = [];
    let running = 0;
    let maxRunning = 0;
    const { dispatcher } = dispatcherWith(async (e) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await tick();
      seen.push(e.position);
      running--;
    });
    for (let p = 1; p <= 20; p++) dispatcher.push(p);
    dispatcher.pushCaughtUp();
    await dispatcher.caughtUp;
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(maxRunning).toBe(1);
    expect(dispatcher.position).toBe(20);
  });

  it('resolves caughtUp only after the events pushed before the marker are handled', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { dispatcher } = dispatcherWith(() => gate);
    let caughtUp = false;
    void dispatcher.caughtUp.then(() => (caughtUp = true));
    dispatcher.push(1);
    dispatcher.pushCaughtUp();
    await tick();
    expect(caughtUp).toBe(false);
    release();
    await dispatcher.caughtUp;
    expect(dispatcher.position).toBe(1);
  });

  it('pauses the feed when the queue is full and resumes it once drained', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const seen: number[] = [];
    const { dispatcher, feed } = dispatcherWith(
      async (e) => {
        if (e.position === 1) await gate;
        seen.push(e.position);
      },
      new ListFeed([9000]),
    );
    for (let p = 1; p <= 9000; p++) dispatcher.push(p);
    expect(feed.pauses).toBe(1);
    expect(feed.resumes).toBe(0);
    release();
    await dispatcher.waitFor(9000);
    expect(feed.resumes).toBe(1);
    expect(seen).toEqual(Array.from({ length: 9000 }, (_, i) => i + 1));
  });

  it('resumes a feed paused with a small queue limit when the queue drains on its caught-up marker', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const feed = new ListFeed();
    const dispatcher = new SubscriptionDispatcher<number>({
      after: 0,
      decode: toEvent,
      highWater: 4,
      handler: async (e) => {
        if (e.position === 1) await gate;
      },
    });
    dispatcher.attach(feed);
    // 1 is taken at once (and held by the gate); 2-5 fill the queue to its limit, then the marker.
    for (let p = 1; p <= 5; p++) dispatcher.push(p);
    dispatcher.pushCaughtUp();
    expect(feed.pauses).toBe(1);
    release();
    await dispatcher.caughtUp;
    await tick();
    expect(feed.resumes).toBe(1);
  });

  it('waitFor asks the feed whether anything matching is still due', async () => {
    const { dispatcher } = dispatcherWith(() => undefined, new ListFeed([3, 7]));
    await dispatcher.waitFor(2, 100);
    expect(dispatcher.position).toBe(0);

    const pending = dispatcher.waitFor(5, 1000);
    let settled = false;
    void pending.then(() => (settled = true));
    await tick();
    expect(settled).toBe(false);
    dispatcher.push(3);
    await pending;
    expect(dispatcher.position).toBe(3);
  });

  it('waitFor rejects with a TimeoutError', async () => {
    const { dispatcher } = dispatcherWith(() => undefined, new ListFeed([4]));
    await expect(dispatcher.waitFor(4, 30)).rejects.toBeInstanceOf(TimeoutError);
  });

  it('closes on a handler error: reports it, rejects waits, closes the feed, ignores later events', async () => {
    const errors: unknown[] = [];
    const boom = new Error('boom');
    const seen: number[] = [];
    const { dispatcher, feed } = dispatcherWith(
      (e) => {
        seen.push(e.position);
        if (e.position === 2) throw boom;
      },
      new ListFeed([1, 2, 3]),
      (e) => errors.push(e),
    );
    const waiting = dispatcher.waitFor(3, 1000);
    dispatcher.push(1);
    dispatcher.push(2);
    dispatcher.push(3);
    expect(errors).toEqual([boom]);
    expect(seen).toEqual([1, 2]);
    expect(feed.closed).toBe(true);
    await expect(waiting).rejects.toBeInstanceOf(SubscriptionClosedError);
    await expect(dispatcher.caughtUp).rejects.toBeInstanceOf(SubscriptionClosedError);
  });
});
