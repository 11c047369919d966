import { SubscriptionClosedError, TimeoutError } from './errors';
import type { EventHandler, RecordedEvent, Subscription, WaitForOptions } from './event-store.port';

/** The adapter-specific half of a subscription: where raw events come from. */
export interface EventFeed {
  /** The dispatcher's queue is full: stop delivering until resume(). */
  pause(): void;
  /** Deliver again, starting right after the last raw event pushed. */
  resume(): void;
  /** Stop for good and release server-side resources. */
  close(): Promise<void>;
  /**
   * Position of the first event matching the subscription's filter with position in
   * (after, upTo], or null when there is none. This is how waitFor sees past positions
   * that belong to events the subscription never receives.
   */
  firstMatchBetween(after: number, upTo: number): Promise<number | null>;
}

export interface DispatcherOptions<Raw> {
  after: number;
  handler: EventHandler;
  /** Turns a raw delivery into an event; runs once per event, only when it is about to be handled. */
  decode: (raw: Raw) => RecordedEvent;
  onError?: (error: unknown) => void;
  /** Called once when the subscription closes, whatever closed it. */
  onClosed?: () => void;
  /** Queue length at which the feed is paused (SubscribeOptions.queueLimit); default HIGH_WATER. */
  highWater?: number;
}

interface Waiter {
  readonly target: number;
  /** No point asking the log again before this position has been handled. */
  recheckAt: number;
  probing: boolean;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

const CAUGHT_UP = Symbol('caught-up');
/** Queue length at which the feed is paused, and the length at which it resumes. */
const HIGH_WATER = 8192;
const LOW_WATER = 1024;
const RECHECK_INTERVAL_MS = 50;
const DEFAULT_WAIT_MS = 5000;

/**
 * Everything about a subscription that does not depend on the log technology: the queue,
 * sequential (awaited) delivery, position tracking, caughtUp, waitFor, backpressure and error
 * handling. Synchronous handlers run inline from push(), so replay costs no promise per event.
 */
export class SubscriptionDispatcher<Raw> implements Subscription {
  readonly caughtUp: Promise<void>;
  private handledPosition: number;
  private feed: EventFeed | undefined;
  private items: Array<Raw | typeof CAUGHT_UP | undefined> = [];
  private head = 0;
  private pumping = false;
  private paused = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private resolveCaughtUp!: () => void;
  private rejectCaughtUp!: (error: unknown) => void;
  private caughtUpSettled = false;
  private readonly waiters = new Set<Waiter>();
  private recheckTimer: ReturnType<typeof setInterval> | undefined;

  private readonly highWater: number;
  private readonly lowWater: number;

  constructor(private readonly options: DispatcherOptions<Raw>) {
    this.highWater = Math.max(1, options.highWater ?? HIGH_WATER);
    this.lowWater = Math.max(0, Math.min(LOW_WATER, Math.floor(this.highWater / 8)));
    this.handledPosition = options.after;
    this.caughtUp = new Promise<void>((resolve, reject) => {
      this.resolveCaughtUp = resolve;
      this.rejectCaughtUp = reject;
    });
    // Callers often never await caughtUp; its rejection on close must not crash the process.
    this.caughtUp.catch(() => undefined);
  }

  get position(): number {
    return this.handledPosition;
  }

  attach(feed: EventFeed): void {
    this.feed = feed;
  }

  /** Called by the feed for each raw event, in log order. */
  push(raw: Raw): void {
    if (this.closed) return;
    this.items.push(raw);
    if (!this.paused && this.items.length - this.head >= this.highWater) {
      this.paused = true;
      this.feed?.pause();
    }
    this.pump();
  }

  /** Called by the feed right after the last event that existed at subscribe time was pushed. */
  pushCaughtUp(): void {
    if (this.closed) return;
    this.items.push(CAUGHT_UP);
    this.pump();
  }

  /** Called by the feed when it can no longer deliver. */
  fail(error: unknown): void {
    if (this.closed) return;
    const report = this.options.onError ?? defaultErrorReport;
    try {
      report(error);
    } finally {
      void this.shutdown(new SubscriptionClosedError({ cause: error }));
    }
  }

  waitFor(position: number, timeoutMs: number = DEFAULT_WAIT_MS, options: WaitForOptions = {}): Promise<void> {
    if (position <= this.handledPosition) return Promise.resolve();
    if (this.closed) return Promise.reject(new SubscriptionClosedError());
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        target: position,
        // An event known to come needs no probe: its own delivery ends the wait.
        recheckAt: options.receives ? Number.POSITIVE_INFINITY : this.handledPosition,
        probing: false,
        resolve: () => this.settle(waiter, resolve),
        reject: (error) => this.settle(waiter, () => reject(error)),
        timer: setTimeout(() => waiter.reject(new TimeoutError(position, this.handledPosition, timeoutMs)), timeoutMs),
      };
      this.waiters.add(waiter);
      if (options.receives) return;
      this.startRecheckTimer();
      this.probe(waiter);
    });
  }

  close(): Promise<void> {
    return this.shutdown(new SubscriptionClosedError());
  }

  private shutdown(reason: SubscriptionClosedError): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.items = [];
    this.head = 0;
    if (!this.caughtUpSettled) {
      this.caughtUpSettled = true;
      this.rejectCaughtUp(reason);
    }
    for (const waiter of this.waiters) waiter.reject(reason);
    this.options.onClosed?.();
    // A handler call already running is not awaited: the handler itself may be what called close().
    this.closing = this.feed ? this.feed.close().catch(() => undefined) : Promise.resolve();
    return this.closing;
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.head < this.items.length && !this.closed) {
        const item = this.items[this.head];
        this.items[this.head++] = undefined;
        if (item === CAUGHT_UP) {
          this.markCaughtUp();
          continue;
        }
        const event = this.options.decode(item as Raw);
        const result = this.options.handler(event);
        if (isPromiseLike(result)) {
          // Stay "pumping" so pushes only enqueue until this handler settles.
          this.compact();
          result.then(
            () => {
              this.pumping = false;
              this.handled(event);
              this.pump();
            },
            (error: unknown) => {
              this.pumping = false;
              this.fail(error);
            },
          );
          return;
        }
        this.handled(event);
      }
      this.compact();
      this.pumping = false;
      // The queue may have ended with a caught-up marker, which handled() does not see.
      this.resumeIfDrained();
    } catch (error) {
      this.pumping = false;
      this.fail(error);
    }
  }

  private handled(event: RecordedEvent): void {
    this.handledPosition = event.position;
    if (this.waiters.size > 0) {
      for (const waiter of this.waiters) {
        if (this.handledPosition >= waiter.target) waiter.resolve();
        else if (this.handledPosition >= waiter.recheckAt) this.probe(waiter);
      }
    }
    this.resumeIfDrained();
  }

  private resumeIfDrained(): void {
    if (this.paused && !this.closed && this.items.length - this.head <= this.lowWater) {
      this.paused = false;
      this.feed?.resume();
    }
  }

  private markCaughtUp(): void {
    if (this.caughtUpSettled) return;
    this.caughtUpSettled = true;
    this.resolveCaughtUp();
  }

  /** Drops the consumed prefix of the queue without an O(n) shift per event. */
  private compact(): void {
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > LOW_WATER && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** Asks the log whether anything matching is still due before the waiter's target. */
  private probe(waiter: Waiter): void {
    if (waiter.probing || !this.feed || this.closed) return;
    waiter.probing = true;
    const from = this.handledPosition;
    this.feed.firstMatchBetween(from, waiter.target).then(
      (next) => {
        waiter.probing = false;
        if (next === null) {
          waiter.resolve();
          return;
        }
        waiter.recheckAt = next;
        if (this.handledPosition >= waiter.target) waiter.resolve();
        else if (this.handledPosition >= next) this.probe(waiter);
      },
      // A failed probe is retried by the recheck timer until the waiter times out.
      () => {
        waiter.probing = false;
      },
    );
  }

  private settle(waiter: Waiter, complete: () => void): void {
    if (!this.waiters.delete(waiter)) return;
    clearTimeout(waiter.timer);
    if (this.waiters.size === 0) this.stopRecheckTimer();
    complete();
  }

  private startRecheckTimer(): void {
    if (this.recheckTimer) return;
    this.recheckTimer = setInterval(() => {
      for (const waiter of this.waiters) {
        if (this.handledPosition >= waiter.recheckAt) this.probe(waiter);
      }
    }, RECHECK_INTERVAL_MS);
    this.recheckTimer.unref?.();
  }

  private stopRecheckTimer(): void {
    clearInterval(this.recheckTimer);
    this.recheckTimer = undefined;
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}

function defaultErrorReport(error: unknown): void {
  console.error('[event-store] subscription closed by error:', error);
}
