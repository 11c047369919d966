import type { GetBudgetRequest, SetBudgetRequest } from '@aos/contracts';
import { InvalidArgumentError } from '@aos/errors';
import {
  optionalRequestId,
  requireBody,
  validateEnum,
  validateNonNegative,
  validatePosition,
  validateRequestId,
  validateText,
} from '../governance.request';
import type { BudgetPeriodName, BudgetScopeName } from './budget.decider';

/** The body of `GovernanceSubjects.recordUsage` (internal: runtime → governance). */
export interface RecordUsageBody {
  /** Empty: usage not attributable to an agent, charged to the tenant budget only. */
  agentId?: string;
  tokens?: number;
  costMicros?: number;
  /** What consumed it, e.g. a run id. */
  source?: string;
  /** Optional idempotency key: a retry with it is charged once. */
  requestId?: string;
}

export interface BudgetTarget {
  scope: BudgetScopeName;
  agentId: string;
}
export interface SetBudgetCommand extends BudgetTarget {
  requestId: string;
  period: BudgetPeriodName;
  tokenLimit: number;
  costLimitMicros: number;
}
export interface GetBudgetQuery extends BudgetTarget {
  minPosition: number;
}
export interface RecordUsageCommand {
  requestId: string;
  agentId: string;
  tokens: number;
  costMicros: number;
  source: string;
}

/** Agent ids become part of a stream id (`budget-agent-<id>`), so they have the log's id shape. */
const AGENT_ID = /^[A-Za-z0-9_-]{1,100}$/;

function validateTarget(scopeValue: unknown, agentIdValue: unknown): BudgetTarget {
  const scope = validateEnum('scope', scopeValue, ['TENANT', 'AGENT'] as const);
  if (!scope) throw new InvalidArgumentError('scope', 'is required (TENANT or AGENT)');
  if (scope === 'TENANT') {
    if (agentIdValue === undefined || agentIdValue === null || agentIdValue === '') return { scope, agentId: '' };
    throw new InvalidArgumentError('agent_id', 'must be empty for a TENANT budget (set scope to AGENT)');
  }
  return { scope, agentId: validateAgentId('agent_id', agentIdValue) };
}

function validateAgentId(field: string, value: unknown): string {
  if (value === undefined || value === null || value === '')
    throw new InvalidArgumentError(field, 'is required for an AGENT budget');
  if (typeof value !== 'string' || !AGENT_ID.test(value))
    throw new InvalidArgumentError(field, 'must be 1-100 characters of [A-Za-z0-9_-]');
  return value;
}

export function validateSetBudget(body: SetBudgetRequest | undefined): SetBudgetCommand {
  const request = requireBody(body);
  const requestId = validateRequestId(request.requestId);
  const target = validateTarget(request.scope, request.agentId);
  const period = validateEnum('period', request.period, ['DAILY', 'MONTHLY', 'LIFETIME'] as const);
  if (!period) throw new InvalidArgumentError('period', 'is required (DAILY, MONTHLY or LIFETIME)');
  return {
    ...target,
    requestId,
    period,
    tokenLimit: validateNonNegative('token_limit', request.tokenLimit),
    costLimitMicros: validateNonNegative('cost_limit_micros', request.costLimitMicros),
  };
}

export function validateGetBudget(body: GetBudgetRequest | undefined): GetBudgetQuery {
  const request = requireBody(body);
  return {
    ...validateTarget(request.scope, request.agentId),
    minPosition: validatePosition('min_position', request.minPosition),
  };
}

export function validateRecordUsage(body: RecordUsageBody | undefined, freshId: () => string): RecordUsageCommand {
  const request = requireBody(body);
  const agentId =
    request.agentId === undefined || request.agentId === '' ? '' : validateAgentId('agent_id', request.agentId);
  return {
    requestId: optionalRequestId(request.requestId, freshId),
    agentId,
    tokens: validateNonNegative('tokens', request.tokens),
    costMicros: validateNonNegative('cost_micros', request.costMicros),
    source: validateText('source', request.source, 200),
  };
}
