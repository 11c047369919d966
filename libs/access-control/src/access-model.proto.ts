import {
  ApiKeyState,
  PrincipalKind,
  RuleEffect,
  toTimestamp,
  type ApiKey,
  type PolicyRule,
  type Principal,
  type Role,
  type RoleBinding,
  type Tenant,
} from '@aos/contracts';
import type { ApiKeyView, BindingView, PrincipalView, RoleView, RuleView, TenantView } from './access-model.views';

/** The access model's views as the API shows them (ts-proto messages, as proto-loader encodes them). */

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
