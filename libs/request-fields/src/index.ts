import { InvalidArgumentError } from '@aos/errors';
import { validate as isUuid } from 'uuid';

/**
 * Checks of the fields every service's requests share. Bodies arrive over NATS
 * as @grpc/proto-loader decoded them at the gateway (or from any other client),
 * so types are checked at run time; every error names the proto field in
 * snake_case, and the same field is checked the same way in every service.
 */

export const REQUEST_ID_MAX = 128;
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;
export const CONTROL_CHARS = /\p{Cc}/u;
export const CONTROL_CHARS_EXCEPT_WHITESPACE = /[^\P{Cc}\t\n\r]/u;

/** Characters as a person counts them (code points), not UTF-16 units. */
export function charLength(s: string): number {
  let n = 0;
  for (const _ of s) n += 1;
  return n;
}

export function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function requireBody<T>(body: T | undefined): T {
  if (!body || typeof body !== 'object') throw new InvalidArgumentError('body', 'the request message is missing');
  return body;
}

export function validateRequestId(value: unknown): string {
  if (value === undefined || value === null || value === '') {
    throw new InvalidArgumentError('request_id', 'is required on every change (an idempotency key, e.g. a UUID)');
  }
  if (typeof value !== 'string' || charLength(value) > REQUEST_ID_MAX || CONTROL_CHARS.test(value)) {
    throw new InvalidArgumentError('request_id', `must be 1-${REQUEST_ID_MAX} characters without control characters`);
  }
  return value;
}

/** Ids are UUIDs: a malformed one names nothing (INVALID_ARGUMENT); a well-formed unknown one is the caller's NOT_FOUND. */
export function validateId(field: string, value: unknown): string {
  if (value === undefined || value === null || value === '') throw new InvalidArgumentError(field, 'is required');
  if (typeof value !== 'string' || !isUuid(value)) throw new InvalidArgumentError(field, 'must be a UUID');
  return value.toLowerCase();
}

/** Free text: absent is ''; line breaks and tabs are allowed unless `multiline` is false. */
export function validateText(field: string, value: unknown, max: number, opts: { multiline?: boolean } = {}): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new InvalidArgumentError(field, 'must be a string');
  if (charLength(value) > max) throw new InvalidArgumentError(field, `must be at most ${max} characters`);
  const forbidden = (opts.multiline ?? true) ? CONTROL_CHARS_EXCEPT_WHITESPACE : CONTROL_CHARS;
  if (forbidden.test(value)) throw new InvalidArgumentError(field, 'must not contain control characters');
  return value;
}

/** A log position (`min_position`, `after_position`): absent is 0. */
export function validatePosition(field: string, value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (!isNonNegativeInteger(value)) throw new InvalidArgumentError(field, 'must be a non-negative integer');
  return value;
}

export function validatePageSize(raw: unknown): number {
  if (raw === undefined || raw === null || raw === 0) return DEFAULT_PAGE_SIZE;
  if (typeof raw !== 'number' || !Number.isInteger(raw))
    throw new InvalidArgumentError('page_size', 'must be an integer');
  if (raw < 0) throw new InvalidArgumentError('page_size', 'must not be negative');
  // AIP-158: a page size above the maximum is coerced to the maximum, not refused.
  return Math.min(raw, MAX_PAGE_SIZE);
}

/** proto3 enums arrive as their names (proto-loader `enums: String`); the unspecified value means "not given". */
export function validateEnum<T extends string>(field: string, value: unknown, allowed: readonly T[]): T | undefined {
  if (value === undefined || value === null || value === '' || value === 0) return undefined;
  if (typeof value === 'string' && value.endsWith('_UNSPECIFIED')) return undefined;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(field, `must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/**
 * A page token is opaque to callers: base64url of JSON naming the list (e.g.
 * "ListTasks"), where the next page starts (a log position or sequence) and
 * the filter it was issued for. 0 is what an absent token decodes to.
 */
export function encodePageToken(list: string, after: number, filter = ''): string {
  return Buffer.from(JSON.stringify({ list, after, filter }), 'utf8').toString('base64url');
}

export function decodePageToken(raw: unknown, list: string, filter = ''): number {
  if (raw === undefined || raw === null || raw === '') return 0;
  return readPageToken(raw, list, filter, isNonNegativeInteger);
}

/** A page token of a list ordered by a string key (e.g. ListContext by key): the last key of the page before. */
export function encodeKeyPageToken(list: string, afterKey: string, filter = ''): string {
  return Buffer.from(JSON.stringify({ list, after: afterKey, filter }), 'utf8').toString('base64url');
}

/** The key the next page starts after; '' when there is no token. */
export function decodeKeyPageToken(raw: unknown, list: string, filter = ''): string {
  if (raw === undefined || raw === null || raw === '') return '';
  return readPageToken(raw, list, filter, (after): after is string => typeof after === 'string' && after !== '');
}

function readPageToken<T>(raw: unknown, list: string, filter: string, isAfter: (after: unknown) => after is T): T {
  const invalid = () => new InvalidArgumentError('page_token', `is not a token returned by ${list}`);
  if (typeof raw !== 'string') throw invalid();
  let token: { list?: unknown; after?: unknown; filter?: unknown };
  try {
    token = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as typeof token;
  } catch {
    throw invalid();
  }
  if (!token || token.list !== list || !isAfter(token.after)) throw invalid();
  if (token.filter !== filter)
    throw new InvalidArgumentError('page_token', 'was issued for a different filter; start again without it');
  return token.after;
}

/** proto3 `optional int64`: proto-loader gives `undefined` or `null` when absent; both mean "not given". */
export function validateExpectedRevision(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isNonNegativeInteger(value))
    throw new InvalidArgumentError('expected_revision', 'must be a non-negative integer');
  return value;
}

export * from './context-fields';
export * from './reply-size';
export * from './id-or-name';
