import type { RecordedEvent } from './event-store.port';

/**
 * Thrown by a projection for an event it cannot apply: the log holds
 * something its owner would never write (a bug, a hand-written event). The
 * host skips the event and reports this (see followProjection).
 */
export class ProjectionError extends Error {
  override name = 'ProjectionError';
  constructor(
    readonly event: Pick<RecordedEvent, 'id' | 'type' | 'stream' | 'position'>,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(
      `cannot apply ${event.type} ${event.id} at position ${event.position} of ${event.stream}: ${problem}`,
      options,
    );
  }
}

/**
 * The event as its family's parser reads it: undefined for a type this
 * version does not know (written by a newer one: skipped, not fatal), a
 * ProjectionError for data that does not match its schema.
 */
export function parseRecorded<E>(
  event: RecordedEvent,
  parse: (type: string, data: unknown) => E | undefined,
): E | undefined {
  try {
    return parse(event.type, event.data);
  } catch (err) {
    throw new ProjectionError(event, 'its data does not match the schema', { cause: err });
  }
}

/** Runs `apply` (an evolve, a model update) for `event`; what it throws becomes a ProjectionError naming the event. */
export function applyRecorded<T>(event: RecordedEvent, apply: () => T): T {
  try {
    return apply();
  } catch (err) {
    if (err instanceof ProjectionError) throw err;
    throw new ProjectionError(event, (err as Error).message, { cause: err });
  }
}
