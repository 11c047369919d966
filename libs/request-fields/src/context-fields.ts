import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '@aos/errors';

/**
 * The fields of shared context (context.proto) as every reader of them checks
 * them: the resources service that stores entries, the gateway that watches
 * them, and whoever builds a scope for an agent. A label or correlation id in
 * a scope uses the key's characters, so no scope holds a "/" or "*" that
 * would blur the resource `ctx/<scope>/<key>` a permission is checked on.
 */

export const CONTEXT_KEY_MAX = 128;
/** The largest value_json, in UTF-8 bytes. */
export const CONTEXT_VALUE_MAX_BYTES = 64 * 1024;

const KEY_CHARS = `[A-Za-z0-9._:-]{1,${CONTEXT_KEY_MAX}}`;
const KEY = new RegExp(`^${KEY_CHARS}$`);
const KEY_PREFIX = new RegExp(`^[A-Za-z0-9._:-]{0,${CONTEXT_KEY_MAX}}$`);
const SCOPE = new RegExp(`^(?:tenant|team/${KEY_CHARS}|task/${KEY_CHARS})$`);

/**
 * The task scope of a request: `task/<correlation-id>`, or, for a correlation
 * id a client chose with other characters or longer than a key,
 * `task/sha256:<first 32 hex of its SHA-256>` (the same id always gives the
 * same scope).
 */
export function taskScopeOf(correlationId: string): string {
  if (KEY.test(correlationId)) return `task/${correlationId}`;
  return `task/sha256:${createHash('sha256').update(correlationId).digest('hex').slice(0, 32)}`;
}

/** `tenant`, `team/<label>` or `task/<correlation-id>`. */
export function validateContextScope(value: unknown, field = 'scope'): string {
  if (value === undefined || value === null || value === '') {
    throw new InvalidArgumentError(field, 'is required: "tenant", "team/<label>" or "task/<correlation-id>"');
  }
  if (typeof value !== 'string' || !SCOPE.test(value)) {
    throw new InvalidArgumentError(
      field,
      `must be "tenant", "team/<label>" or "task/<correlation-id>", the label or id 1-${CONTEXT_KEY_MAX} characters of [A-Za-z0-9._:-]; got ${JSON.stringify(String(value).slice(0, 200))}`,
    );
  }
  return value;
}

/** 1-128 characters of [A-Za-z0-9._:-]. */
export function validateContextKey(value: unknown, field = 'key'): string {
  if (value === undefined || value === null || value === '') throw new InvalidArgumentError(field, 'is required');
  if (typeof value !== 'string' || !KEY.test(value)) {
    throw new InvalidArgumentError(field, `must be 1-${CONTEXT_KEY_MAX} characters of [A-Za-z0-9._:-]`);
  }
  return value;
}

/** Absent is '' (every key); otherwise at most 128 characters of [A-Za-z0-9._:-]. */
export function validateContextKeyPrefix(value: unknown, field = 'key_prefix'): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string' || !KEY_PREFIX.test(value)) {
    throw new InvalidArgumentError(field, `must be at most ${CONTEXT_KEY_MAX} characters of [A-Za-z0-9._:-]`);
  }
  return value;
}

/** A JSON document of at most 64 KiB, kept exactly as given. */
export function validateContextValue(value: unknown, field = 'value_json'): string {
  if (value === undefined || value === null || value === '') {
    throw new InvalidArgumentError(field, 'is required: a JSON document (e.g. {"a":1}, "text", 42 or null)');
  }
  if (typeof value !== 'string') throw new InvalidArgumentError(field, 'must be a string holding a JSON document');
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > CONTEXT_VALUE_MAX_BYTES) {
    throw new InvalidArgumentError(field, `must be at most ${CONTEXT_VALUE_MAX_BYTES} bytes; got ${bytes}`);
  }
  try {
    JSON.parse(value);
  } catch (err) {
    throw new InvalidArgumentError(field, `is not JSON: ${(err as Error).message}`);
  }
  return value;
}
