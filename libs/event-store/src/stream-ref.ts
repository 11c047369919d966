import { validate as isUuid } from 'uuid';
import { InvalidEventError, InvalidStreamRefError } from './errors';
import type { EventFilter, ExpectedRevision, NewEvent, StreamRef } from './event-store.port';

// Every part becomes one NATS subject token (and part of an EventStoreDB stream name), so
// none may contain '.', '*', '>' or whitespace; the shapes are kept narrow on purpose.
const TENANT = /^[a-z0-9][a-z0-9-]{0,62}$/;
const CATEGORY = /^[a-z][a-z0-9]{0,31}$/;
const ID = /^[A-Za-z0-9_-]{1,128}$/;

const TENANT_RULE = 'must match [a-z0-9][a-z0-9-]{0,62}';
const CATEGORY_RULE = 'must match [a-z][a-z0-9]{0,31}';
const ID_RULE = 'must match [A-Za-z0-9_-]{1,128}';

export function assertTenantId(value: unknown): asserts value is string {
  if (typeof value !== 'string' || !TENANT.test(value)) {
    throw new InvalidStreamRefError('tenantId', value, TENANT_RULE);
  }
}

export function assertCategory(value: unknown): asserts value is string {
  if (typeof value !== 'string' || !CATEGORY.test(value)) {
    throw new InvalidStreamRefError('category', value, CATEGORY_RULE);
  }
}

export function assertStreamRef(ref: StreamRef): void {
  assertTenantId(ref?.tenantId);
  assertCategory(ref.category);
  if (typeof ref.id !== 'string' || !ID.test(ref.id)) {
    throw new InvalidStreamRefError('id', ref.id, ID_RULE);
  }
}

export function assertFilter(filter: EventFilter | undefined): void {
  if (filter?.tenantId !== undefined) assertTenantId(filter.tenantId);
  if (filter?.category !== undefined) assertCategory(filter.category);
}

/**
 * A position, revision or count argument must be a non-negative safe integer. A bad one is a
 * programming error, hence a plain RangeError.
 */
export function assertCounter(field: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
    throw new RangeError(`${field} must be a non-negative integer, got ${String(value)}`);
  }
}

export function assertExpectedRevision(expected: ExpectedRevision): void {
  if (expected === 'any' || expected === 'no_stream' || expected === 'exists') return;
  // Also catches strings outside the union arriving from untyped callers.
  assertCounter('expectedRevision', expected);
}

/** The name users see for a stream, the same in every adapter. */
export function streamName(ref: Pick<StreamRef, 'category' | 'id'>): string {
  return `${ref.category}-${ref.id}`;
}

/**
 * Checks what the log cannot check for us. Repeated ids matter most: the log would silently
 * drop the second event as a duplicate of the first.
 */
export function assertNewEvents(ref: StreamRef, events: NewEvent[]): void {
  if (!Array.isArray(events) || events.length === 0) {
    throw new InvalidEventError(-1, 'append needs at least one event');
  }
  const seen = new Set<string>();
  events.forEach((event, index) => {
    if (typeof event?.id !== 'string' || !isUuid(event.id)) {
      throw new InvalidEventError(index, `id ${JSON.stringify(event?.id)} is not a UUID`);
    }
    const id = event.id.toLowerCase();
    if (seen.has(id)) throw new InvalidEventError(index, `id ${event.id} appears twice in one append`);
    seen.add(id);
    if (typeof event.type !== 'string' || event.type.length === 0) {
      throw new InvalidEventError(index, 'type must be a non-empty string');
    }
    if (event.metadata?.tenantId !== ref.tenantId) {
      throw new InvalidEventError(
        index,
        `metadata.tenantId ${JSON.stringify(event.metadata?.tenantId)} does not match stream tenant ${ref.tenantId}`,
      );
    }
  });
}
