import type { Budget } from '../gen/aos/v1/governance_pb';
import { BudgetPeriod } from '../gen/aos/v1/governance_pb';
import { unitsOf } from './governance/budget-money';

const dollars = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 4 });
const count = new Intl.NumberFormat('en-US');

export function money(micros: bigint): string {
  return dollars.format(unitsOf(micros));
}

/** Share of a limit used, in percent; undefined when there is no limit (0 means none), never a made-up 0 %. */
export function percentUsed(used: bigint, limit: bigint): number | undefined {
  if (limit <= 0n) return undefined;
  return Math.round((Number(used) / Number(limit)) * 1000) / 10;
}

const PERIOD_WORDS: Record<number, string> = {
  [BudgetPeriod.DAILY]: 'today',
  [BudgetPeriod.MONTHLY]: 'this month',
  [BudgetPeriod.LIFETIME]: 'in all',
};

/** "$1.25 of $10.00 spent this month (12.5 %)" — or what was spent when no cost limit is set. */
export function costWords(b: Budget): string {
  const period = PERIOD_WORDS[b.period] ?? '';
  if (b.costLimitMicros <= 0n) return `${money(b.costUsedMicros)} spent ${period}; no cost limit set`;
  return `${money(b.costUsedMicros)} of ${money(b.costLimitMicros)} spent ${period} (${percentUsed(b.costUsedMicros, b.costLimitMicros)} %)`;
}

export function tokenWords(b: Budget): string {
  const period = PERIOD_WORDS[b.period] ?? '';
  if (b.tokenLimit <= 0n) return `${count.format(b.tokensUsed)} tokens used ${period}; no token limit set`;
  return `${count.format(b.tokensUsed)} of ${count.format(b.tokenLimit)} tokens used ${period} (${percentUsed(b.tokensUsed, b.tokenLimit)} %)`;
}
