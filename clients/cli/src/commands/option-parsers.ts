import { InvalidArgumentError } from 'commander';
import type { Timestamp } from '@aos/contracts';

/**
 * Commander value parsers. Throwing InvalidArgumentError makes commander
 * report `error: option '--x <v>' argument 'y' is invalid. <reason>` (exit 2).
 */

/** For repeatable options: `--tool a --tool b` → ['a', 'b']; undefined when never given. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `--label team=support` repeated → { team: 'support', ... }. */
export function collectLabel(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected key=value, e.g. team=support.');
  return { ...previous, [value.slice(0, eq).trim()]: value.slice(eq + 1) };
}

export function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError('expected a whole number ≥ 0.');
  return n;
}

export function parsePositiveInt(value: string): number {
  const n = parseNonNegativeInt(value);
  if (n === 0) throw new InvalidArgumentError('expected a whole number ≥ 1.');
  return n;
}

export const AGENT_STATES = ['DRAFT', 'ACTIVE', 'PAUSED', 'RETIRED'] as const;
export type AgentStateName = (typeof AGENT_STATES)[number];

/** A case-insensitive parser of one of `values`: `--state active` → 'ACTIVE'. */
function oneOfUpperCase<T extends string>(values: readonly T[]): (value: string) => T {
  return (value) => {
    const upper = value.trim().toUpperCase();
    const found = values.find((v) => v === upper);
    if (!found) throw new InvalidArgumentError(`expected one of ${values.join(', ')}.`);
    return found;
  };
}

export const parseAgentState = oneOfUpperCase(AGENT_STATES);

export const HEALTH_STATUSES = ['UNKNOWN', 'HEALTHY', 'DEGRADED', 'UNHEALTHY'] as const;
export type HealthStatusName = (typeof HEALTH_STATUSES)[number];
/** `--health unhealthy` → 'UNHEALTHY'. */
export const parseHealthStatus = oneOfUpperCase(HEALTH_STATUSES);

/** An ISO-8601 time (`2025-01-31` or `2025-01-31T12:00:00Z`) as a google.protobuf.Timestamp. */
export function parseIsoTime(value: string): Timestamp {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError('expected an ISO-8601 time, e.g. 2025-01-31T12:00:00Z.');
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

/** A case-insensitive choice: `--risk read` → 'READ'. */
export function choice<T extends string>(allowed: readonly T[]): (value: string) => T {
  return (value) => {
    const upper = value.trim().toUpperCase();
    const found = allowed.find((a) => a === upper);
    if (!found) throw new InvalidArgumentError(`expected one of ${allowed.map((a) => a.toLowerCase()).join(', ')}.`);
    return found;
  };
}

export interface VersionedId {
  id: string;
  /** 0: the current version. */
  version: number;
}

/**
 * `refunds@2` → { id: 'refunds', version: 2 }; `refunds` → version 0 (the
 * current one). The form search results print a citation in. Document ids and
 * context keys cannot hold an `@`, and a `--version` flag would be taken by
 * the program's own `--version`, which commander reads after any subcommand.
 */
export function parseVersionedId(value: string): VersionedId {
  const at = value.lastIndexOf('@');
  if (at < 0) return { id: value, version: 0 };
  const version = value.slice(at + 1);
  if (at === 0 || !/^\d+$/.test(version) || !Number.isSafeInteger(Number(version)) || Number(version) === 0) {
    throw new InvalidArgumentError('expected <id> or <id>@<version> with a version ≥ 1, e.g. refunds@2.');
  }
  return { id: value.slice(0, at), version: Number(version) };
}
