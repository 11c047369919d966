import type { Budget } from '@aos/contracts';
import { renderKeyValues } from './table';
import { formatEnum, formatMicros, formatTimestamp, formatYesNo } from './values';

/** A limit of 0 means none; usage is shown against the limit. */
export function renderBudget(budget: Budget): string {
  const tokens = budget.tokenLimit === 0 ? 'no limit' : String(budget.tokenLimit);
  const cost = budget.costLimitMicros === 0 ? 'no limit' : formatMicros(budget.costLimitMicros);
  return renderKeyValues([
    ['SCOPE', formatEnum(budget.scope)],
    ['AGENT', budget.agentId],
    ['TENANT', budget.tenantId],
    ['PERIOD', formatEnum(budget.period)],
    ['TOKEN LIMIT', tokens],
    ['TOKENS USED', String(budget.tokensUsed)],
    ['COST LIMIT', cost],
    ['COST USED', formatMicros(budget.costUsedMicros)],
    ['PERIOD START', formatTimestamp(budget.periodStart)],
    ['EXHAUSTED', formatYesNo(budget.exhausted)],
    ['LOG POSITION', String(budget.logPosition)],
  ]);
}
