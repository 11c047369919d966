import type { ExpectedRevision } from './event-store.port';

/** Revision a stream actually had when an append was rejected: its last revision, or `no_stream`. */
export type ActualRevision = number | 'no_stream';

/**
 * Thrown when an append's expected revision does not match the stream. `actual` is itself a
 * valid expected revision, so a caller that has caught up can retry with it.
 */
export class ConcurrencyError extends Error {
  override readonly name = 'ConcurrencyError';
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: ActualRevision,
    options?: { cause?: unknown; detail?: string },
  ) {
    super(
      `stream ${stream}: expected revision ${String(expected)}, actual ${String(actual)}` +
        (options?.detail ? ` (${options.detail})` : ''),
      { cause: options?.cause },
    );
  }
}

/** Thrown when a stream reference or a filter holds a tenant, category or id that is not a safe subject token. */
export class InvalidStreamRefError extends Error {
  override readonly name = 'InvalidStreamRefError';
  constructor(
    readonly field: 'tenantId' | 'category' | 'id',
    readonly value: unknown,
    readonly rule: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid ${field} ${JSON.stringify(value)}: ${rule}`, { cause: options?.cause });
  }
}

/** Thrown when events handed to append are malformed: no events, a bad or repeated id, or metadata for another tenant. */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
  constructor(
    readonly index: number,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(index >= 0 ? `event #${index}: ${reason}` : reason, { cause: options?.cause });
  }
}

/**
 * Thrown when the log cannot be reached or did not answer in time. An append that fails this
 * way may or may not have been written; retrying it with the same event ids is safe.
 */
export class EventStoreUnavailableError extends Error {
  override readonly name = 'EventStoreUnavailableError';
  constructor(
    readonly operation: string,
    options?: { cause?: unknown },
  ) {
    super(`event store unavailable during ${operation}: ${describeCause(options?.cause)}`, {
      cause: options?.cause,
    });
  }
}

/**
 * Thrown when the log holds a record that is not an event this library wrote (a foreign
 * publisher on the event subjects, a hand-edited stream). Reading stops rather than skip it.
 */
export class MalformedEventError extends Error {
  override readonly name = 'MalformedEventError';
  constructor(
    /** The subject or stream name the record was found on. */
    readonly location: string,
    readonly position: number,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`record at position ${position} on ${location} is not an AgentOS event: ${reason}`, {
      cause: options?.cause,
    });
  }
}

/** Thrown when Subscription.waitFor does not see the position handled within its timeout. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(
    readonly waitedForPosition: number,
    readonly reachedPosition: number,
    readonly timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super(`position ${waitedForPosition} not reached within ${timeoutMs} ms (handled up to ${reachedPosition})`, {
      cause: options?.cause,
    });
  }
}

/** Thrown when waiting on a subscription (caughtUp, waitFor) that was closed before the wait was satisfied. */
export class SubscriptionClosedError extends Error {
  override readonly name = 'SubscriptionClosedError';
  constructor(options?: { cause?: unknown }) {
    super(
      options?.cause === undefined ? 'subscription closed' : `subscription closed: ${describeCause(options.cause)}`,
      { cause: options?.cause },
    );
  }
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
