import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from 'commander';
import { UsageError } from '../src/cli-context';
import { budgetScope } from '../src/commands/budgets.command';
import {
  parseApprovalState,
  parseBudgetPeriod,
  parseCostMicros,
  parseDurationMs,
  parseExpiry,
  parsePrincipalKind,
  parseSubject,
} from '../src/commands/governance-parsers';
import { formatEnum, formatMicros } from '../src/output/values';

const NOW = new Date('2025-01-31T12:00:00.000Z');
const NOW_S = 1_738_324_800;

describe('parseSubject', () => {
  it('accepts every subject kind with a non-empty name', () => {
    for (const subject of [
      'user:6f1c',
      'service:p-2',
      'agent:a1',
      'group:platform team',
      'role:operator',
      'user:oidc:00u1',
    ]) {
      expect(parseSubject(subject)).toBe(subject);
    }
  });

  it('takes a bare principal name or id (found by the server later)', () => {
    for (const subject of ['alice', '6f1c0c3e-0000-4000-8000-000000000001', 'ci bot']) {
      expect(parseSubject(subject)).toBe(subject);
    }
  });

  it('refuses an unknown kind, an empty name and blanks around the name', () => {
    for (const bad of ['admin:x', 'User:x', 'user:', ':x', 'user: x', 'agent:a1 ', ' alice', '']) {
      expect(() => parseSubject(bad), bad).toThrow(InvalidArgumentError);
    }
    expect(() => parseSubject('admin:x')).toThrow(/a principal name or id, user:<principal>, service:<principal>/);
  });
});

describe('parseDurationMs', () => {
  it('reads single and combined units', () => {
    expect(parseDurationMs('45s')).toBe(45_000);
    expect(parseDurationMs('90m')).toBe(5_400_000);
    expect(parseDurationMs('12h')).toBe(43_200_000);
    expect(parseDurationMs('30d')).toBe(2_592_000_000);
    expect(parseDurationMs('2w')).toBe(1_209_600_000);
    expect(parseDurationMs('1d12h')).toBe(129_600_000);
    expect(parseDurationMs('1D')).toBe(86_400_000);
  });

  it('is undefined for anything that is not a duration', () => {
    for (const text of ['30', 'd', '30 days', '1.5d', '-1d', '2025-01-31', '3y']) {
      expect(parseDurationMs(text), text).toBeUndefined();
    }
  });
});

describe('parseExpiry', () => {
  it('turns a duration into a Timestamp that far after now', () => {
    expect(parseExpiry('30d', NOW)).toEqual({ seconds: NOW_S + 30 * 86_400, nanos: 0 });
    expect(parseExpiry('90m', NOW)).toEqual({ seconds: NOW_S + 5_400, nanos: 0 });
  });

  it('takes an ISO-8601 time as it is, to the millisecond', () => {
    expect(parseExpiry('2026-01-31T12:00:00.250Z', NOW)).toEqual({ seconds: 1_769_860_800, nanos: 250_000_000 });
    expect(parseExpiry('2026-01-31', NOW)).toEqual({ seconds: 1_769_817_600, nanos: 0 });
  });

  it('refuses a time in the past, a zero duration and text that is neither', () => {
    expect(() => parseExpiry('2025-01-01T00:00:00Z', NOW)).toThrow(/in the future/);
    expect(() => parseExpiry('0d', NOW)).toThrow(/in the future/);
    // Date.parse would read "1" as the year 2001 and "next week" as NaN.
    expect(() => parseExpiry('1', NOW)).toThrow(/ISO-8601 time .* or a duration/);
    expect(() => parseExpiry('next week', NOW)).toThrow(InvalidArgumentError);
  });
});

describe('parseCostMicros', () => {
  it('converts currency units to micros exactly', () => {
    expect(parseCostMicros('12.50')).toBe(12_500_000);
    expect(parseCostMicros('0')).toBe(0);
    expect(parseCostMicros('500')).toBe(500_000_000);
    expect(parseCostMicros('.5')).toBe(500_000);
    expect(parseCostMicros('0.000001')).toBe(1);
    // 0.29 * 1e6 is 289999.99999999994 in binary floating point.
    expect(parseCostMicros('0.29')).toBe(290_000);
    expect(parseCostMicros('1234567.891011')).toBe(1_234_567_891_011);
  });

  it('refuses negatives, exponents, separators, more than 6 decimals and overflow', () => {
    for (const bad of ['-1', '1e3', '1,50', '12.5 EUR', '', '.', 'abc']) {
      expect(() => parseCostMicros(bad), bad).toThrow(/amount in currency units/);
    }
    expect(() => parseCostMicros('0.0000001')).toThrow(/at most 6 decimal places/);
    expect(() => parseCostMicros('9007199254741')).toThrow(/too large/);
  });
});

describe('enum flags', () => {
  it('read case-insensitively and become proto enum names', () => {
    expect(parsePrincipalKind('service')).toBe('SERVICE');
    expect(parseApprovalState('Pending')).toBe('PENDING');
    expect(parseApprovalState('withdrawn')).toBe('WITHDRAWN');
    expect(parseBudgetPeriod('LIFETIME')).toBe('LIFETIME');
  });

  it('list the accepted values when refusing one', () => {
    expect(() => parsePrincipalKind('agent')).toThrow('expected one of user, service.');
    expect(() => parseApprovalState('open')).toThrow(
      'expected one of pending, approved, rejected, expired, withdrawn.',
    );
    expect(() => parseBudgetPeriod('weekly')).toThrow('expected one of daily, monthly, lifetime.');
  });
});

describe('budgetScope', () => {
  it('is TENANT with --tenant and AGENT with --agent', () => {
    expect(budgetScope({ tenant: true })).toEqual({ scope: 'TENANT', agentId: '' });
    expect(budgetScope({ agent: 'a1' })).toEqual({ scope: 'AGENT', agentId: 'a1' });
  });

  it('needs exactly one of them', () => {
    expect(() => budgetScope({})).toThrow(UsageError);
    expect(() => budgetScope({ tenant: true, agent: 'a1' })).toThrow(/not both/);
  });
});

describe('value formatting', () => {
  it('shows micros as currency units with at least two decimals', () => {
    expect(formatMicros(12_500_000)).toBe('12.50');
    expect(formatMicros(0)).toBe('0.00');
    expect(formatMicros(1_234_567)).toBe('1.234567');
    expect(formatMicros(10)).toBe('0.00001');
  });

  it('drops an enum type prefix only where it is one', () => {
    expect(formatEnum('API_KEY_REVOKED', 'API_KEY_')).toBe('REVOKED');
    expect(formatEnum('DENIED', 'API_KEY_')).toBe('DENIED');
    expect(formatEnum(undefined)).toBe('');
  });
});
