import type { CheckAccessResponse, PolicyRule, Role, RoleBinding } from '@aos/contracts';
import { renderKeyValues, renderTable, type Column } from './table';
import { formatEnum, formatList, formatTimestamp, formatYesNo } from './values';

const ROLE_COLUMNS: Column<Role>[] = [
  { header: 'NAME', value: (r) => r.name },
  { header: 'BUILT-IN', value: (r) => formatYesNo(r.builtIn) },
  { header: 'PERMISSIONS', value: (r) => formatList(r.permissions), maxWidth: 60 },
  { header: 'DESCRIPTION', value: (r) => r.description, maxWidth: 50 },
];

export function renderRoleTable(roles: readonly Role[]): string {
  return roles.length === 0 ? 'No roles found.\n' : renderTable(ROLE_COLUMNS, roles);
}

export function renderRole(role: Role): string {
  return renderKeyValues([
    ['NAME', role.name],
    ['BUILT-IN', formatYesNo(role.builtIn)],
    ['PERMISSIONS', formatList(role.permissions)],
    ['DESCRIPTION', role.description],
  ]);
}

const BINDING_COLUMNS: Column<RoleBinding>[] = [
  { header: 'ID', value: (b) => b.id },
  { header: 'SUBJECT', value: (b) => b.subject },
  { header: 'ROLE', value: (b) => b.role },
  { header: 'CREATED BY', value: (b) => b.createdBy },
  { header: 'CREATED', value: (b) => formatTimestamp(b.createTime) },
];

export function renderBindingTable(bindings: readonly RoleBinding[]): string {
  return bindings.length === 0 ? 'No role bindings found.\n' : renderTable(BINDING_COLUMNS, bindings);
}

export function renderBinding(binding: RoleBinding): string {
  return renderKeyValues([
    ['ID', binding.id],
    ['SUBJECT', binding.subject],
    ['ROLE', binding.role],
    ['TENANT', binding.tenantId],
    ['CREATED BY', binding.createdBy],
    ['CREATED', formatTimestamp(binding.createTime)],
    ['LOG POSITION', String(binding.logPosition)],
  ]);
}

const RULE_COLUMNS: Column<PolicyRule>[] = [
  { header: 'ID', value: (r) => r.id },
  { header: 'SUBJECT', value: (r) => r.subject },
  { header: 'EFFECT', value: (r) => formatEnum(r.effect) },
  { header: 'ACTION', value: (r) => r.action },
  { header: 'RESOURCE', value: (r) => r.resource, maxWidth: 40 },
  { header: 'APPROVAL', value: (r) => (r.requiresApproval ? 'required' : '') },
  { header: 'CREATED BY', value: (r) => r.createdBy },
];

export function renderRuleTable(rules: readonly PolicyRule[]): string {
  return rules.length === 0 ? 'No policy rules found.\n' : renderTable(RULE_COLUMNS, rules);
}

export function renderRule(rule: PolicyRule): string {
  return renderKeyValues([
    ['ID', rule.id],
    ['SUBJECT', rule.subject],
    ['EFFECT', formatEnum(rule.effect)],
    ['ACTION', rule.action],
    ['RESOURCE', rule.resource],
    ['REQUIRES APPROVAL', formatYesNo(rule.requiresApproval)],
    ['TENANT', rule.tenantId],
    ['CREATED BY', rule.createdBy],
    ['CREATED', formatTimestamp(rule.createTime)],
    ['LOG POSITION', String(rule.logPosition)],
  ]);
}

/** The decision first, so `aos access check … | head -1` is the answer. */
export function renderAccessCheck(check: CheckAccessResponse, asked: { action: string; resource: string }): string {
  const binding = check.matchedBinding;
  const rule = check.matchedRule;
  return renderKeyValues([
    ['DECISION', formatEnum(check.decision)],
    ['SUBJECT', check.subject],
    ['ACTION', asked.action],
    ['RESOURCE', asked.resource || '*'],
    ['EXPLANATION', check.explanation],
    ['BINDING', binding ? `${binding.id} (${binding.subject} → ${binding.role})` : ''],
    ['RULE', rule ? `${rule.id} (${formatEnum(rule.effect)} ${rule.subject} ${rule.action} on ${rule.resource})` : ''],
  ]);
}
