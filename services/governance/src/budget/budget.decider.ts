import type { GovernanceEvent } from '@aos/domain';
import { assertNever, AosError, NotFoundError } from '@aos/errors';

/**
 * The Budget aggregate (stream `budget-tenant` or `budget-agent-<agentId>` in
 * the tenant's space): limits per period and the usage charged against them.
 * Periods are computed from the times the log recorded the usage, in UTC, so
 * every instance (and every replay) agrees on what the current period holds.
 * Usage is kept per UTC day, per UTC month and for the lifetime at once, so a
 * change of period takes effect without losing what was already consumed.
 */

export type BudgetEvent = Extract<GovernanceEvent, { type: 'BudgetSet' | 'UsageRecorded' }>;
/** A budget event as the log recorded it: the period of a usage is that of its record time. */
export type RecordedBudgetEvent = BudgetEvent & { time: string };

export type BudgetScopeName = 'TENANT' | 'AGENT';
export type BudgetPeriodName = 'DAILY' | 'MONTHLY' | 'LIFETIME';

export interface Usage {
  tokens: number;
  costMicros: number;
}
interface PeriodUsage extends Usage {
  /** ISO start of the UTC day or month this usage belongs to. */
  start: string;
}

export interface ExistingBudget {
  status: 'SET';
  scope: BudgetScopeName;
  agentId: string;
  period: BudgetPeriodName;
  tokenLimit: number;
  costLimitMicros: number;
  /** When the budget was first set: the start of a LIFETIME period. */
  createTime: string;
  day: PeriodUsage;
  month: PeriodUsage;
  lifetime: Usage;
}
export type BudgetState = { status: 'NONE' } | ExistingBudget;

export const initialBudgetState: BudgetState = { status: 'NONE' };

export type SetBudget = {
  type: 'SetBudget';
  scope: BudgetScopeName;
  agentId: string;
  period: BudgetPeriodName;
  tokenLimit: number;
  costLimitMicros: number;
};
export type RecordUsage = { type: 'RecordUsage'; tokens: number; costMicros: number; source: string; now: string };
export type BudgetCommand = SetBudget | RecordUsage;

export function decideBudget(command: BudgetCommand, state: BudgetState): BudgetEvent[] {
  switch (command.type) {
    case 'SetBudget': {
      const { type: _type, ...data } = command;
      // Setting what is already set records nothing.
      if (
        state.status === 'SET' &&
        state.period === data.period &&
        state.tokenLimit === data.tokenLimit &&
        state.costLimitMicros === data.costLimitMicros
      ) {
        return [];
      }
      return [{ type: 'BudgetSet', data }];
    }
    case 'RecordUsage': {
      if (state.status === 'NONE') throw new NotFoundError('budget', 'the subject has no budget');
      // Usage is refused only once the budget is ALREADY used up: the call that crosses the
      // limit is still recorded, because the tokens it reports have been spent already.
      if (isExhausted(state, command.now)) {
        throw new AosError('RESOURCE_EXHAUSTED', `the ${describeBudget(state)} is exhausted for this period`);
      }
      const { scope, agentId } = state;
      return [
        {
          type: 'UsageRecorded',
          data: { scope, agentId, tokens: command.tokens, costMicros: command.costMicros, source: command.source },
        },
      ];
    }
    default:
      return assertNever(command);
  }
}

export function evolveBudget(state: BudgetState, event: RecordedBudgetEvent): BudgetState {
  switch (event.type) {
    case 'BudgetSet': {
      const { scope, agentId, period, tokenLimit, costLimitMicros } = event.data;
      if (state.status === 'SET') return { ...state, period, tokenLimit, costLimitMicros };
      return {
        status: 'SET',
        scope,
        agentId,
        period,
        tokenLimit,
        costLimitMicros,
        createTime: event.time,
        day: { start: startOfUtcDay(event.time), tokens: 0, costMicros: 0 },
        month: { start: startOfUtcMonth(event.time), tokens: 0, costMicros: 0 },
        lifetime: { tokens: 0, costMicros: 0 },
      };
    }
    case 'UsageRecorded': {
      if (state.status === 'NONE') throw new Error('UsageRecorded before BudgetSet');
      const { tokens, costMicros } = event.data;
      return {
        ...state,
        day: addTo(state.day, startOfUtcDay(event.time), tokens, costMicros),
        month: addTo(state.month, startOfUtcMonth(event.time), tokens, costMicros),
        lifetime: { tokens: state.lifetime.tokens + tokens, costMicros: state.lifetime.costMicros + costMicros },
      };
    }
    default:
      return assertNever(event);
  }
}

/** What the budget's current period (the one containing `now`) has consumed, and when it started. */
export function usageAt(state: ExistingBudget, now: string): Usage & { periodStart: string } {
  switch (state.period) {
    case 'DAILY':
      return current(state.day, startOfUtcDay(now));
    case 'MONTHLY':
      return current(state.month, startOfUtcMonth(now));
    case 'LIFETIME':
      return { ...state.lifetime, periodStart: state.createTime };
    default:
      return assertNever(state.period);
  }
}

/** Used up when any limit that is set (non-zero) is reached in the current period. */
export function isExhausted(state: ExistingBudget, now: string): boolean {
  const used = usageAt(state, now);
  return (
    (state.tokenLimit > 0 && used.tokens >= state.tokenLimit) ||
    (state.costLimitMicros > 0 && used.costMicros >= state.costLimitMicros)
  );
}

export function startOfUtcDay(iso: string): string {
  const t = new Date(iso);
  return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate())).toISOString();
}

export function startOfUtcMonth(iso: string): string {
  const t = new Date(iso);
  return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), 1)).toISOString();
}

function current(usage: PeriodUsage, periodStart: string): Usage & { periodStart: string } {
  // Usage recorded in an earlier period does not count against this one.
  if (usage.start !== periodStart) return { tokens: 0, costMicros: 0, periodStart };
  return { tokens: usage.tokens, costMicros: usage.costMicros, periodStart };
}

function addTo(usage: PeriodUsage, start: string, tokens: number, costMicros: number): PeriodUsage {
  if (usage.start !== start) return { start, tokens, costMicros };
  return { start, tokens: usage.tokens + tokens, costMicros: usage.costMicros + costMicros };
}

function describeBudget(state: ExistingBudget): string {
  return state.scope === 'TENANT' ? 'tenant budget' : `budget of agent ${state.agentId}`;
}
