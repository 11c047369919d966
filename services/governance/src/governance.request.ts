import { InvalidArgumentError } from '@aos/errors';
import type { RequestContext } from '@aos/messaging';
// The fields every service checks alike; the governance-specific ones follow.
export {
  requireBody,
  validateRequestId,
  validateId,
  validateText,
  validatePosition,
  validatePageSize,
  validateEnum,
  isNonNegativeInteger,
  encodePageToken,
  decodePageToken,
} from '@aos/request-fields';
import { CONTROL_CHARS, charLength as length, isNonNegativeInteger, validateRequestId } from '@aos/request-fields';

/**
 * Validation shared by every governance request. Bodies arrive over NATS from
 * any client (as @grpc/proto-loader decoded them at the gateway), so types are
 * checked at run time; every error names the proto field in snake_case.
 */

export const LIMITS = {
  requestId: 128,
  name: 100,
  displayName: 200,
  description: 2000,
  reason: 1000,
  subject: 200,
  resource: 256,
  defaultPageSize: 50,
  maxPageSize: 1000,
} as const;

export { TENANT_ID_PATTERN as TENANT_ID } from '@aos/messaging';
const SUBJECT = /^(user|service|agent|group|role):[^\s:][^\s]{0,199}$/;
const ACTION = /^(\*|[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*(\.\*|\*)?)$/;
/**
 * `*`, or `<kind>/<id>` with at most a trailing `*`: casbin's keyMatch cuts a
 * pattern at its first `*`, so one in the middle would grant everything after
 * the prefix.
 */
const RESOURCE = /^(\*|[^\s*]{1,255}\*?)$/;

/** Every governance request's context is checked the same way as every other service's. */
export { validateRequestContext as validateContext } from '@aos/messaging';

/**
 * The subject the caller acts as: "user:<principalId>" for the actor
 * {user, <principalId>}. An OIDC caller without a principal is its own
 * subject ("oidc:<sub>"), as the access model names it.
 */
export function callerSubject(ctx: RequestContext): string {
  return ctx.actor.id.startsWith('oidc:') ? ctx.actor.id : `${ctx.actor.kind}:${ctx.actor.id}`;
}

/** For internal commands whose body may omit a request id: a fresh one, so the command is recorded once. */
export function optionalRequestId(value: unknown, fresh: () => string): string {
  return value === undefined || value === null || value === '' ? fresh() : validateRequestId(value);
}

export function validateNonNegative(field: string, value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (!isNonNegativeInteger(value)) throw new InvalidArgumentError(field, 'must be a non-negative integer');
  return value;
}

export function validateName(field: string, value: unknown, max: number = LIMITS.name): string {
  if (value === undefined || value === null) throw new InvalidArgumentError(field, 'is required');
  if (typeof value !== 'string') throw new InvalidArgumentError(field, 'must be a string');
  const name = value.trim();
  if (name === '') throw new InvalidArgumentError(field, 'is required');
  if (length(name) > max) throw new InvalidArgumentError(field, `must be at most ${max} characters`);
  if (CONTROL_CHARS.test(name)) throw new InvalidArgumentError(field, 'must not contain control characters');
  return name;
}

export function validateSubject(field: string, value: unknown): string {
  if (value === undefined || value === null || value === '') throw new InvalidArgumentError(field, 'is required');
  if (typeof value !== 'string' || !SUBJECT.test(value)) {
    throw new InvalidArgumentError(field, 'must be user:<id>, service:<id>, agent:<id>, group:<name> or role:<name>');
  }
  return value;
}

export function validateAction(field: string, value: unknown): string {
  if (value === undefined || value === null || value === '') throw new InvalidArgumentError(field, 'is required');
  if (typeof value !== 'string' || value.length > 128 || !ACTION.test(value)) {
    throw new InvalidArgumentError(field, 'must be a permission <area>.<verb>, possibly ending in *');
  }
  return value;
}

export function validateResource(field: string, value: unknown): string {
  if (value === undefined || value === null || value === '') return '*';
  if (typeof value !== 'string' || !RESOURCE.test(value)) {
    throw new InvalidArgumentError(
      field,
      'must be * or <kind>/<id>, optionally ending in * (no other *), without whitespace',
    );
  }
  // Resources are compared in lower case, as the gateway names them (ids are lowercase UUIDs and slugs).
  return value.toLowerCase();
}

/** One page of items in log order, after the position in the page token. */
export function pageOf<T>(
  items: readonly T[],
  positionOf: (item: T) => number,
  after: number,
  pageSize: number,
): { page: T[]; nextAfter: number | undefined } {
  const rest = items.filter((item) => positionOf(item) > after);
  const page = rest.slice(0, pageSize);
  return { page, nextAfter: rest.length > pageSize ? positionOf(page[page.length - 1]!) : undefined };
}

/** ISO time of a google.protobuf.Timestamp as proto-loader delivers it; undefined when unset. */
export function validateTimestamp(field: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object') throw new InvalidArgumentError(field, 'must be a Timestamp');
  const { seconds, nanos } = value as { seconds?: unknown; nanos?: unknown };
  const s = typeof seconds === 'string' ? Number(seconds) : seconds;
  const n = nanos ?? 0;
  if (
    typeof s !== 'number' ||
    !Number.isSafeInteger(s) ||
    typeof n !== 'number' ||
    !Number.isInteger(n) ||
    n < 0 ||
    n > 999_999_999
  ) {
    throw new InvalidArgumentError(field, 'must be a Timestamp with integer seconds and nanos');
  }
  if (s === 0 && n === 0) return undefined;
  const ms = s * 1000 + Math.floor(n / 1_000_000);
  if (!Number.isFinite(new Date(ms).getTime())) throw new InvalidArgumentError(field, 'is out of range');
  return new Date(ms).toISOString();
}
