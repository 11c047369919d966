import { PERMISSIONS, isBuiltInRole, isSystemPermission } from '@aos/domain';
import type { GovernanceEvent } from '@aos/domain';
import { assertNever, AlreadyExistsError, InvalidArgumentError, NotFoundError } from '@aos/errors';

/**
 * The Policy aggregate: ONE per tenant (stream `policy-<tenantId>`) holding the
 * tenant's custom roles, role bindings and policy rules, so that concurrent
 * changes to a tenant's authorization serialise on one stream revision (two
 * admins cannot both bind the same subject to the same role).
 */

export type PolicyEvent = Extract<
  GovernanceEvent,
  { type: 'RoleDefined' | 'RoleAssigned' | 'RoleRevoked' | 'PolicyRuleAdded' | 'PolicyRuleRemoved' }
>;

export interface CustomRole {
  permissions: readonly string[];
  description: string;
}
export interface Binding {
  bindingId: string;
  subject: string;
  role: string;
}
export interface Rule {
  ruleId: string;
  subject: string;
  action: string;
  resource: string;
  effect: 'ALLOW' | 'DENY';
  requiresApproval: boolean;
}

export interface PolicyState {
  roles: ReadonlyMap<string, CustomRole>;
  bindings: ReadonlyMap<string, Binding>;
  rules: ReadonlyMap<string, Rule>;
}

export const initialPolicyState: PolicyState = { roles: new Map(), bindings: new Map(), rules: new Map() };

export type DefineRole = { type: 'DefineRole'; role: string; permissions: string[]; description: string };
export type AssignRole = { type: 'AssignRole'; bindingId: string; subject: string; role: string };
export type RevokeRole = { type: 'RevokeRole'; subject: string; role: string };
export type AddPolicyRule = { type: 'AddPolicyRule' } & Rule;
export type RemovePolicyRule = { type: 'RemovePolicyRule'; ruleId: string };
export type PolicyCommand = DefineRole | AssignRole | RevokeRole | AddPolicyRule | RemovePolicyRule;

const CATALOG = new Set(PERMISSIONS.map((p) => p.name));

export function decidePolicy(command: PolicyCommand, state: PolicyState): PolicyEvent[] {
  switch (command.type) {
    case 'DefineRole':
      return decideDefineRole(command, state);
    case 'AssignRole': {
      if (!roleExists(state, command.role)) throw new NotFoundError('role', command.role);
      if (findBinding(state, command.subject, command.role)) {
        throw new AlreadyExistsError('role binding', 'subject', `${command.subject} → ${command.role}`);
      }
      const { bindingId, subject, role } = command;
      return [{ type: 'RoleAssigned', data: { bindingId, subject, role } }];
    }
    case 'RevokeRole': {
      const binding = findBinding(state, command.subject, command.role);
      if (!binding) throw new NotFoundError('role binding', `${command.subject} → ${command.role}`);
      return [{ type: 'RoleRevoked', data: { ...binding } }];
    }
    case 'AddPolicyRule': {
      if (state.rules.has(command.ruleId)) throw new AlreadyExistsError('policy rule', 'id', command.ruleId);
      if (isSystemPermission(command.action)) {
        throw new InvalidArgumentError('rule.action', 'system permissions are never granted by rules');
      }
      const { type: _type, ...rule } = command;
      return [{ type: 'PolicyRuleAdded', data: rule }];
    }
    case 'RemovePolicyRule':
      if (!state.rules.has(command.ruleId)) throw new NotFoundError('policy rule', command.ruleId);
      return [{ type: 'PolicyRuleRemoved', data: { ruleId: command.ruleId } }];
    default:
      return assertNever(command);
  }
}

/** Redefining a role with what it already has records nothing. */
function decideDefineRole(command: DefineRole, state: PolicyState): PolicyEvent[] {
  if (isBuiltInRole(command.role)) {
    throw new InvalidArgumentError('role.name', `${command.role} is a built-in role and cannot be redefined`);
  }
  if (command.permissions.length === 0) throw new InvalidArgumentError('role.permissions', 'must not be empty');
  for (const permission of command.permissions) {
    if (isSystemPermission(permission)) {
      throw new InvalidArgumentError(
        'role.permissions',
        `${permission}: system permissions are never granted by roles`,
      );
    }
    if (!CATALOG.has(permission) && !permission.endsWith('*')) {
      throw new InvalidArgumentError(
        'role.permissions',
        `${permission} is not a known permission (or a pattern ending in *)`,
      );
    }
  }
  const permissions = [...new Set(command.permissions)].sort();
  const current = state.roles.get(command.role);
  if (current && current.description === command.description && sameList(current.permissions, permissions)) return [];
  return [{ type: 'RoleDefined', data: { role: command.role, permissions, description: command.description } }];
}

export function evolvePolicy(state: PolicyState, event: PolicyEvent): PolicyState {
  switch (event.type) {
    case 'RoleDefined': {
      const roles = new Map(state.roles);
      roles.set(event.data.role, { permissions: [...event.data.permissions], description: event.data.description });
      return { ...state, roles };
    }
    case 'RoleAssigned': {
      const bindings = new Map(state.bindings);
      bindings.set(event.data.bindingId, { ...event.data });
      return { ...state, bindings };
    }
    case 'RoleRevoked': {
      const bindings = new Map(state.bindings);
      bindings.delete(event.data.bindingId);
      return { ...state, bindings };
    }
    case 'PolicyRuleAdded': {
      const rules = new Map(state.rules);
      rules.set(event.data.ruleId, { ...event.data });
      return { ...state, rules };
    }
    case 'PolicyRuleRemoved': {
      const rules = new Map(state.rules);
      rules.delete(event.data.ruleId);
      return { ...state, rules };
    }
    default:
      return assertNever(event);
  }
}

export function roleExists(state: PolicyState, role: string): boolean {
  return isBuiltInRole(role) || state.roles.has(role);
}

export function findBinding(state: PolicyState, subject: string, role: string): Binding | undefined {
  for (const binding of state.bindings.values()) {
    if (binding.subject === subject && binding.role === role) return binding;
  }
  return undefined;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
