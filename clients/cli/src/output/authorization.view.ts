import type { CheckAccessResponse, PolicyRule, Role, RoleBinding } from '@aos/contracts';
import { idsAsTheyAre, labelSubject, type IdLabels } from './id-labels';
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

const bindingColumns = (labels: IdLabels): Column<RoleBinding>[] => [
  { header: 'ID', value: (b) => b.id },
  { header: 'SUBJECT', value: (b) => labelSubject(b.subject, labels) },
  { header: 'ROLE', value: (b) => b.role },
  { header: 'CREATED BY', value: (b) => labelSubject(b.createdBy, labels) },
  { header: 'CREATED', value: (b) => formatTimestamp(b.createTime) },
];

/** The subjects a binding or rule view prints, for their names. */
export function subjectsOf(items: readonly (RoleBinding | PolicyRule)[]): string[] {
  return items.flatMap((item) => [item.subject, item.createdBy]);
}

/** `labels` prints each subject's name beside its id. */
export function renderBindingTable(bindings: readonly RoleBinding[], labels: IdLabels = idsAsTheyAre): string {
  return bindings.length === 0 ? 'No role bindings found.\n' : renderTable(bindingColumns(labels), bindings);
}

export function renderBinding(binding: RoleBinding, labels: IdLabels = idsAsTheyAre): string {
  return renderKeyValues([
    ['ID', binding.id],
    ['SUBJECT', labelSubject(binding.subject, labels)],
    ['ROLE', binding.role],
    ['TENANT', binding.tenantId],
    ['CREATED BY', labelSubject(binding.createdBy, labels)],
    ['CREATED', formatTimestamp(binding.createTime)],
    ['LOG POSITION', String(binding.logPosition)],
  ]);
}

const ruleColumns = (labels: IdLabels): Column<PolicyRule>[] => [
  { header: 'ID', value: (r) => r.id },
  { header: 'SUBJECT', value: (r) => labelSubject(r.subject, labels) },
  { header: 'EFFECT', value: (r) => formatEnum(r.effect) },
  { header: 'ACTION', value: (r) => r.action },
  { header: 'RESOURCE', value: (r) => r.resource, maxWidth: 40 },
  { header: 'APPROVAL', value: (r) => (r.requiresApproval ? 'required' : '') },
  { header: 'CREATED BY', value: (r) => labelSubject(r.createdBy, labels) },
];

export function renderRuleTable(rules: readonly PolicyRule[], labels: IdLabels = idsAsTheyAre): string {
  return rules.length === 0 ? 'No policy rules found.\n' : renderTable(ruleColumns(labels), rules);
}

export function renderRule(rule: PolicyRule, labels: IdLabels = idsAsTheyAre): string {
  return renderKeyValues([
    ['ID', rule.id],
    ['SUBJECT', labelSubject(rule.subject, labels)],
    ['EFFECT', formatEnum(rule.effect)],
    ['ACTION', rule.action],
    ['RESOURCE', rule.resource],
    ['REQUIRES APPROVAL', formatYesNo(rule.requiresApproval)],
    ['TENANT', rule.tenantId],
    ['CREATED BY', labelSubject(rule.createdBy, labels)],
    ['CREATED', formatTimestamp(rule.createTime)],
    ['LOG POSITION', String(rule.logPosition)],
  ]);
}

/** The subjects an access check prints: whom it asked about, and those of the binding and rule that decided. */
export function accessCheckSubjects(check: CheckAccessResponse): string[] {
  return [check.subject, check.matchedBinding?.subject ?? '', check.matchedRule?.subject ?? ''];
}

/** The decision first, so `aos access check … | head -1` is the answer. */
export function renderAccessCheck(
  check: CheckAccessResponse,
  asked: { action: string; resource: string },
  labels: IdLabels = idsAsTheyAre,
): string {
  const binding = check.matchedBinding;
  const rule = check.matchedRule;
  const subject = (value: string) => labelSubject(value, labels);
  return renderKeyValues([
    ['DECISION', formatEnum(check.decision)],
    ['SUBJECT', subject(check.subject)],
    ['ACTION', asked.action],
    ['RESOURCE', asked.resource || '*'],
    ['EXPLANATION', check.explanation],
    ['BINDING', binding ? `${binding.id} (${subject(binding.subject)} → ${binding.role})` : ''],
    [
      'RULE',
      rule ? `${rule.id} (${formatEnum(rule.effect)} ${subject(rule.subject)} ${rule.action} on ${rule.resource})` : '',
    ],
  ]);
}
