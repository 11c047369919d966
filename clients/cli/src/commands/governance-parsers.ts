import { InvalidArgumentError } from 'commander';
import type { Timestamp } from '@aos/contracts';

/**
 * Commander value parsers for the governance commands. Enum values are
 * returned as the proto enum names proto-loader sends (the CLI imports no
 * runtime code from @aos/contracts, so `aos --help` stays fast).
 */

const SUBJECT_KINDS = ['user', 'service', 'agent', 'group', 'role'] as const;
export type SubjectKind = (typeof SUBJECT_KINDS)[number];

/** What a subject argument takes, for help texts (roles and rules; rules also take role:<role>). */
export const SUBJECT_HELP =
  'a principal by name or id (alice), user:<principal>, service:<principal>, agent:<agent> (each by id or name) ' +
  'or group:<oidc-group>';

const SUBJECT_HINT =
  'expected a principal name or id, user:<principal>, service:<principal>, agent:<agent>, group:<oidc-group> ' +
  'or role:<role> (a principal or agent by its id or name).';

/**
 * `alice`, `user:6f1c…`, `service:ci-bot`, `agent:billing-helper`,
 * `group:ops`, `role:operator`: what roles and rules name, with names where
 * ids go (NameRefs.subjectOf finds them). A bare value is a principal, so it
 * has no colon: a colon means a kind, and an unknown kind is a typo.
 */
export function parseSubject(value: string): string {
  const colon = value.indexOf(':');
  const kind = value.slice(0, colon);
  const name = value.slice(colon + 1);
  const known = colon < 0 || SUBJECT_KINDS.includes(kind as SubjectKind);
  if (!known || name.trim() !== name || name === '') throw new InvalidArgumentError(SUBJECT_HINT);
  return value;
}

const DURATION_UNITS_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const DURATION = /^(?:\d+[smhdw])+$/;

/** `30d`, `12h`, `1d12h`, `90m`, `2w`, `45s` → milliseconds; undefined when not a duration. */
export function parseDurationMs(value: string): number | undefined {
  const text = value.trim().toLowerCase();
  if (!DURATION.test(text)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)([smhdw])/g)) {
    ms += Number(amount) * DURATION_UNITS_MS[unit as keyof typeof DURATION_UNITS_MS];
  }
  return ms;
}

/**
 * `--expires`: an ISO-8601 time (`2026-01-31`, `2026-01-31T12:00:00Z`) or a
 * duration from now (`30d`, `12h`, `1d12h`), as a Timestamp in the future.
 */
export function parseExpiry(value: string, now: Date = new Date()): Timestamp {
  const duration = parseDurationMs(value);
  // Date.parse accepts oddities like "1" (the year 2001), so an ISO date must lead.
  const ms =
    duration !== undefined
      ? now.getTime() + duration
      : /^\d{4}-\d{2}-\d{2}/.test(value.trim())
        ? Date.parse(value.trim())
        : Number.NaN;
  if (Number.isNaN(ms) || !Number.isSafeInteger(ms)) {
    throw new InvalidArgumentError(
      'expected an ISO-8601 time (2026-01-31T12:00:00Z) or a duration (30d, 12h, 1d12h, 90m, 2w).',
    );
  }
  if (ms <= now.getTime()) throw new InvalidArgumentError('the expiry must be in the future.');
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

const MICROS_PER_UNIT = 1_000_000;

/**
 * `--cost 12.50` (currency units) → 12_500_000 micros, exactly: decimal text is
 * converted digit by digit, never through a binary float.
 */
export function parseCostMicros(value: string): number {
  const match = /^(\d*)(?:\.(\d*))?$/.exec(value.trim());
  const whole = match?.[1] ?? '';
  const fraction = match?.[2] ?? '';
  if (!match || (whole === '' && fraction === '')) {
    throw new InvalidArgumentError('expected an amount in currency units ≥ 0, e.g. 12.50.');
  }
  if (fraction.length > 6) throw new InvalidArgumentError('at most 6 decimal places (the unit is a millionth).');
  const micros = Number(whole || '0') * MICROS_PER_UNIT + Number(fraction.padEnd(6, '0'));
  if (!Number.isSafeInteger(micros)) throw new InvalidArgumentError('the amount is too large.');
  return micros;
}

/** Reads an enum flag case-insensitively and returns the proto enum name. */
function enumParser<const Names extends readonly string[]>(names: Names, toProto: (name: Names[number]) => string) {
  return (value: string): string => {
    const lower = value.trim().toLowerCase();
    const name = names.find((n) => n === lower);
    if (name === undefined) throw new InvalidArgumentError(`expected one of ${names.join(', ')}.`);
    return toProto(name);
  };
}

export const PRINCIPAL_KINDS = ['user', 'service'] as const;
/** `user` → 'USER', `service` → 'SERVICE' (aos.v1.PrincipalKind). */
export const parsePrincipalKind = enumParser(PRINCIPAL_KINDS, (n) => n.toUpperCase());

/** withdrawn: the run that asked ended (cancelled, abandoned) before anyone decided. */
export const APPROVAL_STATES = ['pending', 'approved', 'rejected', 'expired', 'withdrawn'] as const;
/** `pending` → 'PENDING' (aos.v1.ApprovalState). */
export const parseApprovalState = enumParser(APPROVAL_STATES, (n) => n.toUpperCase());

export const BUDGET_PERIODS = ['daily', 'monthly', 'lifetime'] as const;
/** `monthly` → 'MONTHLY' (aos.v1.BudgetPeriod). */
export const parseBudgetPeriod = enumParser(BUDGET_PERIODS, (n) => n.toUpperCase());
