import type { RuleView } from '@aos/access-control';
// The access-control views' own mappers, re-exported for governance's handlers.
export {
  toProtoApiKey,
  toProtoBinding,
  toProtoPrincipal,
  toProtoRole,
  toProtoRule,
  toProtoTenant,
} from '@aos/access-control';
import {
  ApprovalState,
  BudgetPeriod,
  BudgetScope,
  RuleEffect,
  toTimestamp,
  type Approval,
  type Budget,
  type PolicyRule,
  type RoleBinding,
} from '@aos/contracts';
import type { RecordedEvent } from '@aos/event-store';
import { isExhausted, usageAt } from './budget/budget.decider';
import type { ApprovalRecord, BudgetRecord } from './governance.projection';

/** The read models as the API shows them (ts-proto messages, as proto-loader encodes them). */

/** `<actor kind>:<actor id>` of the request that wrote an event: the `created_by` of what it created. */
export function actorOf(event: Pick<RecordedEvent, 'metadata'>): string {
  return `${event.metadata.actor.kind}:${event.metadata.actor.id}`;
}

/** A binding as its RoleAssigned event recorded it (it may have been revoked since). */
export function bindingFromOrigin(event: RecordedEvent): RoleBinding {
  const data = event.data as { bindingId: string; subject: string; role: string };
  return {
    id: data.bindingId,
    tenantId: event.metadata.tenantId,
    subject: data.subject,
    role: data.role,
    createTime: toTimestamp(event.time),
    createdBy: actorOf(event),
    logPosition: event.position,
  };
}

/** A rule as its PolicyRuleAdded event recorded it (it may have been removed since). */
export function ruleFromOrigin(event: RecordedEvent): PolicyRule {
  const data = event.data as Omit<
    RuleView,
    'id' | 'tenantId' | 'createTime' | 'createdBy' | 'revision' | 'logPosition'
  > & {
    ruleId: string;
  };
  return {
    id: data.ruleId,
    tenantId: event.metadata.tenantId,
    subject: data.subject,
    action: data.action,
    resource: data.resource,
    effect: RuleEffect[data.effect],
    requiresApproval: data.requiresApproval,
    createTime: toTimestamp(event.time),
    createdBy: actorOf(event),
    logPosition: event.position,
  };
}

export function toProtoApproval(record: ApprovalRecord): Approval {
  return {
    id: record.state.approvalId,
    tenantId: record.tenantId,
    subject: record.subject,
    action: record.action,
    resource: record.resource,
    argumentsJson: record.argumentsJson,
    argumentsTruncated: record.argumentsTruncated,
    reason: record.reason,
    state: ApprovalState[record.state.status],
    decidedBy: record.decidedBy,
    decisionReason: record.decisionReason,
    createTime: toTimestamp(record.createTime),
    expireTime: toTimestamp(record.state.expireTime),
    ...(record.decideTime ? { decideTime: toTimestamp(record.decideTime) } : {}),
    revision: record.revision,
    logPosition: record.logPosition,
    correlationId: record.correlationId,
  };
}

/** A budget with its usage in the period that contains `now`. */
export function toProtoBudget(record: BudgetRecord, now: string): Budget {
  const { state } = record;
  const used = usageAt(state, now);
  return {
    tenantId: record.tenantId,
    scope: BudgetScope[state.scope],
    agentId: state.agentId,
    period: BudgetPeriod[state.period],
    tokenLimit: state.tokenLimit,
    costLimitMicros: state.costLimitMicros,
    tokensUsed: used.tokens,
    costUsedMicros: used.costMicros,
    periodStart: toTimestamp(used.periodStart),
    exhausted: isExhausted(state, now),
    logPosition: record.logPosition,
  };
}
