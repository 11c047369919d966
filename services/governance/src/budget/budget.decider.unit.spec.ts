import { describe, expect, it } from 'vitest';
import {
  decideBudget,
  evolveBudget,
  initialBudgetState,
  isExhausted,
  usageAt,
  type ExistingBudget,
  type RecordedBudgetEvent,
  type SetBudget,
} from './budget.decider';

const given = (events: RecordedBudgetEvent[]) => events.reduce(evolveBudget, initialBudgetState);
const set = (period: SetBudget['period'], tokenLimit = 100, costLimitMicros = 0): RecordedBudgetEvent => ({
  type: 'BudgetSet',
  data: { scope: 'AGENT', agentId: 'a1', period, tokenLimit, costLimitMicros },
  time: '2030-01-15T10:00:00.000Z',
});
const used = (tokens: number, time: string, costMicros = 0): RecordedBudgetEvent => ({
  type: 'UsageRecorded',
  data: { scope: 'AGENT', agentId: 'a1', tokens, costMicros, source: 'run-1' },
  time,
});
const record = (now: string) => ({ type: 'RecordUsage', tokens: 10, costMicros: 5, source: 'run-2', now }) as const;

describe('budget decider', () => {
  it('sets a budget, and records nothing when it is set again unchanged', () => {
    const command: SetBudget = {
      type: 'SetBudget',
      scope: 'AGENT',
      agentId: 'a1',
      period: 'DAILY',
      tokenLimit: 100,
      costLimitMicros: 0,
    };
    expect(decideBudget(command, given([]))).toEqual([{ type: 'BudgetSet', data: set('DAILY').data }]);
    expect(decideBudget(command, given([set('DAILY')]))).toEqual([]);
  });

  it('records usage while the budget is not exhausted, even the usage that crosses the limit', () => {
    const state = given([set('DAILY'), used(95, '2030-01-15T11:00:00.000Z')]);
    expect(decideBudget(record('2030-01-15T12:00:00.000Z'), state)).toEqual([
      { type: 'UsageRecorded', data: { scope: 'AGENT', agentId: 'a1', tokens: 10, costMicros: 5, source: 'run-2' } },
    ]);
  });

  it('refuses usage with RESOURCE_EXHAUSTED once used >= limit in the current period', () => {
    const state = given([set('DAILY'), used(100, '2030-01-15T11:00:00.000Z')]);
    expect(() => decideBudget(record('2030-01-15T23:59:59.000Z'), state)).toThrow(
      expect.objectContaining({ code: 'RESOURCE_EXHAUSTED' }),
    );
  });

  it('starts a new UTC day with nothing used', () => {
    const state = given([set('DAILY'), used(100, '2030-01-15T11:00:00.000Z')]) as ExistingBudget;
    expect(usageAt(state, '2030-01-16T00:00:00.000Z')).toEqual({
      tokens: 0,
      costMicros: 0,
      periodStart: '2030-01-16T00:00:00.000Z',
    });
    expect(decideBudget(record('2030-01-16T00:00:01.000Z'), state)).toHaveLength(1);
  });

  it('counts a UTC month across days, and a lifetime across months', () => {
    const events = [used(60, '2030-01-15T11:00:00.000Z'), used(50, '2030-01-20T11:00:00.000Z')];
    const monthly = given([set('MONTHLY'), ...events]) as ExistingBudget;
    expect(isExhausted(monthly, '2030-01-31T23:00:00.000Z')).toBe(true);
    expect(isExhausted(monthly, '2030-02-01T00:00:00.000Z')).toBe(false);
    const lifetime = given([set('LIFETIME'), ...events]) as ExistingBudget;
    expect(usageAt(lifetime, '2031-06-01T00:00:00.000Z')).toEqual({
      tokens: 110,
      costMicros: 0,
      periodStart: '2030-01-15T10:00:00.000Z',
    });
    expect(isExhausted(lifetime, '2031-06-01T00:00:00.000Z')).toBe(true);
  });

  it('applies a cost limit independently of tokens, and treats 0 as no limit', () => {
    const state = given([set('DAILY', 0, 1000), used(1_000_000, '2030-01-15T11:00:00.000Z', 999)]) as ExistingBudget;
    expect(isExhausted(state, '2030-01-15T12:00:00.000Z')).toBe(false);
    const more = evolveBudget(state, used(0, '2030-01-15T12:00:00.000Z', 1)) as ExistingBudget;
    expect(isExhausted(more, '2030-01-15T12:00:00.000Z')).toBe(true);
  });

  it('keeps the usage of the period when the period changes', () => {
    const state = given([
      set('DAILY'),
      used(100, '2030-01-15T11:00:00.000Z'),
      { ...set('MONTHLY', 150), time: '2030-01-16T09:00:00.000Z' },
    ]);
    expect(usageAt(state as ExistingBudget, '2030-01-16T10:00:00.000Z').tokens).toBe(100);
  });

  it('answers NOT_FOUND for usage without a budget', () => {
    expect(() => decideBudget(record('2030-01-15T12:00:00.000Z'), given([]))).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
  });
});
