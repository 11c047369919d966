import {
  AosError,
  DeadlineExceededError,
  InvalidArgumentError,
  RevisionMismatchError,
  UnavailableError,
} from '@aos/errors';
import {
  ConcurrencyError,
  EventStoreUnavailableError,
  InvalidEventError,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type ExpectedRevision,
  type StreamRef,
} from '@aos/event-store';
import type { RequestContext } from '@aos/messaging';

/** Something that follows the log and can say when it has applied a position. */
export interface LogFollower {
  waitFor(position: number, timeoutMs?: number): Promise<void>;
}

export interface CommandLogWaits {
  /** How long a query waits for `min_position`. */
  readMs: number;
  /** How long a command waits for its own events to reach the read model. */
  writeMs: number;
  /** How long to wait for the read model to reach the head after losing a race. */
  catchUpMs: number;
}

export interface CommandLogOptions {
  store: Pick<EventStore, 'append' | 'headPosition'>;
  /** The read models a reply must wait for (every one of them). */
  followers: readonly LogFollower[];
  /** False once a subscription has stopped for good: the read model would answer from stale state. */
  isFollowing: () => boolean;
  /** Names the read model in errors, e.g. "task" → "the task read model did not reach …". */
  model: string;
  /** The envelope's schema_version of the events this writer appends. */
  schemaVersion: number;
  /** The id of the `index`-th event a request appends (derived from the request_id: retries are duplicates). */
  eventIdFor: (tenantId: string, requestId: string, index: number) => string;
  waits: CommandLogWaits;
}

/** Decisions lost to a concurrent writer before a command gives up with ABORTED. */
export const MAX_DECIDE_ATTEMPTS = 5;

/**
 * How a service that owns streams writes a decided command and waits to read
 * it back: events get the request's metadata and ids derived from its
 * request_id (so a retry is dropped as a duplicate), log failures become the
 * status codes callers can act on, and read-your-writes waits are bounded and
 * say which read model fell behind.
 */
export class CommandLog {
  constructor(private readonly options: CommandLogOptions) {}

  /** Throws UNAVAILABLE once the read model has stopped following the log. */
  requireFollowing(): void {
    if (!this.options.isFollowing()) {
      throw new UnavailableError(`the ${this.options.model} read model has stopped following the log`);
    }
  }

  /**
   * Appends with the stream's expected revision. A ConcurrencyError passes
   * through: the caller decides again against newer state, or answers ABORTED.
   */
  async append(
    ctx: RequestContext,
    requestId: string,
    stream: StreamRef,
    events: readonly { type: string; data: unknown }[],
    expectedRevision: ExpectedRevision,
    firstIndex = 0,
  ): Promise<AppendResult> {
    const metadata: EventMetadata = {
      tenantId: stream.tenantId,
      actor: ctx.actor,
      correlationId: ctx.correlationId,
      causationId: requestId,
      requestId,
      schemaVersion: this.options.schemaVersion,
      ...(ctx.traceparent ? { traceparent: ctx.traceparent } : {}),
    };
    const newEvents = events.map((event, i) => ({
      id: this.options.eventIdFor(stream.tenantId, requestId, firstIndex + i),
      type: event.type,
      data: event.data,
      metadata,
    }));
    try {
      return await this.options.store.append(stream, newEvents, { expectedRevision });
    } catch (err) {
      // Written or not, a retry with the same request_id is safe: the event ids come from it.
      if (err instanceof EventStoreUnavailableError) {
        throw new UnavailableError('the event log is unavailable; retry with the same request_id', { cause: err });
      }
      // The event ids come from the request_id, and the log has them in another stream.
      if (err instanceof InvalidEventError) {
        throw new InvalidArgumentError('request_id', 'was already used for a different request');
      }
      throw err;
    }
  }

  /**
   * Optimistic concurrency around one command: `attempt` decides against the
   * read model and appends with the revision it decided on. When another
   * writer got there first (ConcurrencyError), a caller's explicit expected
   * revision is answered with RevisionMismatchError (ABORTED, naming the
   * actual revision: the error's, else the caught-up read model's `current()`);
   * otherwise the read model catches up and `attempt` decides again, at most
   * MAX_DECIDE_ATTEMPTS times, then ABORTED naming `what` changed.
   */
  async decideUntilAppended<T>(
    what: string,
    expectedRevision: number | undefined,
    current: () => number,
    attempt: () => Promise<T>,
  ): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (err) {
        if (!(err instanceof ConcurrencyError)) throw err;
        if (expectedRevision !== undefined) {
          if (typeof err.actual === 'number') throw new RevisionMismatchError(expectedRevision, err.actual);
          await this.catchUp().catch(() => undefined);
          throw new RevisionMismatchError(expectedRevision, current());
        }
        if (n >= MAX_DECIDE_ATTEMPTS) {
          throw new AosError(
            'ABORTED',
            `${what} changed ${MAX_DECIDE_ATTEMPTS} times while this request was decided; retry`,
          );
        }
        await this.catchUp();
      }
    }
  }

  /** Read-your-writes: resolves once the read model has applied a command's own events. */
  written(position: number): Promise<void> {
    return this.waitFor(position, this.options.waits.writeMs);
  }

  /** A query's `min_position` (0: no wait). */
  async reach(minPosition: number): Promise<void> {
    if (minPosition > 0) await this.waitFor(minPosition, this.options.waits.readMs);
  }

  /**
   * What `find` sees in the read model; when it sees nothing and `catchUp` is
   * set, what it sees once the read model has applied everything in the log
   * right now (a stream written by another instance a moment ago).
   */
  async find<T>(find: () => T | undefined, catchUp: boolean): Promise<T | undefined> {
    const found = find();
    if (found !== undefined || !catchUp) return found;
    await this.catchUp();
    return find();
  }

  /** Waits until the read model has applied everything in the log right now. */
  async catchUp(): Promise<void> {
    await this.waitFor(await this.options.store.headPosition(), this.options.waits.catchUpMs);
  }

  async waitFor(position: number, timeoutMs: number): Promise<void> {
    try {
      await Promise.all(this.options.followers.map((f) => f.waitFor(position, timeoutMs)));
    } catch (err) {
      if ((err as Error)?.name === 'TimeoutError') {
        throw new DeadlineExceededError(
          `the ${this.options.model} read model did not reach log position ${position} within ${timeoutMs} ms`,
        );
      }
      throw new UnavailableError(`the ${this.options.model} read model is not following the log`, { cause: err });
    }
  }
}
