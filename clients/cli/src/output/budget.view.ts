import type { Budget } from '@aos/contracts';
import { idsAsTheyAre, type IdLabels } from './id-labels';
import { renderKeyValues } from './table';
import { formatEnum, formatMicros, formatTimestamp, formatYesNo } from './values';

/** A limit of 0 means none; usage is shown against the limit. `labels` prints the agent's name beside its id. */
export function renderBudget(budget: Budget, labels: IdLabels = idsAsTheyAre): string {
  const tokens = budget.tokenLimit === 0 ? 'no limit' : String(budget.tokenLimit);
  const cost = budget.costLimitMicros === 0 ? 'no limit' : formatMicros(budget.costLimitMicros);
  return renderKeyValues([
    ['SCOPE', formatEnum(budget.scope)],
    ['AGENT', labels('agent', budget.agentId)],
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
