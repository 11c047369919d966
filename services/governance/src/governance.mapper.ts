import type { ApiKeyView, BindingView, PrincipalView, RoleView, RuleView, TenantView } from '@aos/access-control';
import {
  ApiKeyState,
  ApprovalState,
  BudgetPeriod,
  BudgetScope,
  PrincipalKind,
  RuleEffect,
  toTimestamp,
  type ApiKey,
  type Approval,
  type Budget,
  type Principal,
  type PolicyRule,
  type Role,
  type RoleBinding,
  type Tenant,
} from '@aos/contracts';
import type { RecordedEvent } from '@aos/event-store';
import { isExhausted, usageAt } from './budget/budget.decider';
import type { ApprovalRecord, BudgetRecord } from './governance.projection';

/** The read models as the API shows them (ts-proto messages, as proto-loader encodes them). */

/** `<actor kind>:<actor id>` of the request that wrote an event: the `created_by` of what it created. */
export function actorOf(event: Pick<RecordedEvent, 'metadata'>): string {
  return `${event.metadata.actor.kind}:${event.metadata.actor.id}`;
}

export function toProtoTenant(view: TenantView): Tenant {
  return {
    id: view.id,
    displayName: view.displayName,
    createTime: toTimestamp(view.createTime),
    createdBy: view.createdBy,
    revision: view.revision,
    logPosition: view.logPosition,
  };
}

export function toProtoPrincipal(view: PrincipalView): Principal {
  return {
    id: view.id,
    tenantId: view.tenantId,
    kind: PrincipalKind[view.kind],
    name: view.name,
    oidcSubject: view.oidcSubject,
    subject: view.subject,
    createTime: toTimestamp(view.createTime),
    createdBy: view.createdBy,
    revision: view.revision,
    logPosition: view.logPosition,
  };
}

export function toProtoApiKey(view: ApiKeyView): ApiKey {
  return {
    id: view.id,
    tenantId: view.tenantId,
    principalId: view.principalId,
    prefix: view.prefix,
    description: view.description,
    state: ApiKeyState[view.state],
    createTime: toTimestamp(view.createTime),
    ...(view.expireTime ? { expireTime: toTimestamp(view.expireTime) } : {}),
    ...(view.revokeTime ? { revokeTime: toTimestamp(view.revokeTime) } : {}),
    createdBy: view.createdBy,
    logPosition: view.logPosition,
  };
}

export function toProtoRole(view: RoleView): Role {
  return { name: view.name, permissions: [...view.permissions], builtIn: view.builtIn, description: view.description };
}

export function toProtoBinding(view: BindingView): RoleBinding {
  return {
    id: view.id,
    tenantId: view.tenantId,
    subject: view.subject,
    role: view.role,
    createTime: toTimestamp(view.createTime),
    createdBy: view.createdBy,
    logPosition: view.logPosition,
  };
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

export function toProtoRule(view: RuleView): PolicyRule {
  return {
    id: view.id,
    tenantId: view.tenantId,
    subject: view.subject,
    action: view.action,
    resource: view.resource,
    effect: RuleEffect[view.effect],
    requiresApproval: view.requiresApproval,
    createTime: toTimestamp(view.createTime),
    createdBy: view.createdBy,
    logPosition: view.logPosition,
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
