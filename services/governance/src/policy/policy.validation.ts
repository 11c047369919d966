import type {
  AddPolicyRuleRequest,
  AssignRoleRequest,
  DefineRoleRequest,
  ListPolicyRulesRequest,
  ListRoleBindingsRequest,
  RemovePolicyRuleRequest,
  RevokeRoleRequest,
} from '@aos/contracts';
import { InvalidArgumentError } from '@aos/errors';
import {
  LIMITS,
  requireBody,
  validateAction,
  validateEnum,
  validateId,
  validatePosition,
  validateRequestId,
  validateResource,
  validateSubject,
  validateText,
} from '../governance.request';
import type { AddPolicyRule, AssignRole, DefineRole, RemovePolicyRule, RevokeRole } from './policy.decider';

/** A validated policy change: the decider's command (less the ids the handler derives) and its request_id. */
export type PolicyMutation =
  | (DefineRole & { requestId: string })
  | (Omit<AssignRole, 'bindingId'> & { requestId: string })
  | (RevokeRole & { requestId: string })
  | (Omit<AddPolicyRule, 'ruleId'> & { requestId: string })
  | (RemovePolicyRule & { requestId: string });

export interface PolicyListQuery {
  subject: string | undefined;
  minPosition: number;
}

const ROLE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const MAX_PERMISSIONS = 200;

export function validateDefineRole(body: DefineRoleRequest | undefined): PolicyMutation {
  const request = requireBody(body);
  const requestId = validateRequestId(request.requestId);
  const role = request.role;
  if (!role || typeof role !== 'object') throw new InvalidArgumentError('role', 'is required');
  if (typeof role.name !== 'string' || !ROLE_NAME.test(role.name)) {
    throw new InvalidArgumentError('role.name', 'must be 1-63 characters of [a-z0-9-]');
  }
  const permissions = role.permissions ?? [];
  if (!Array.isArray(permissions) || permissions.length > MAX_PERMISSIONS) {
    throw new InvalidArgumentError('role.permissions', `must be a list of at most ${MAX_PERMISSIONS} permissions`);
  }
  return {
    type: 'DefineRole',
    requestId,
    role: role.name,
    permissions: permissions.map((p) => validateAction('role.permissions', p)),
    description: validateText('role.description', role.description, LIMITS.description),
  };
}

export function validateAssignRole(
  body: AssignRoleRequest | RevokeRoleRequest | undefined,
  type: 'AssignRole' | 'RevokeRole',
): PolicyMutation {
  const request = requireBody(body);
  const requestId = validateRequestId(request.requestId);
  const subject = validateSubject('subject', request.subject);
  if (typeof request.role !== 'string' || !ROLE_NAME.test(request.role)) {
    throw new InvalidArgumentError('role', 'must be a role name (1-63 characters of [a-z0-9-])');
  }
  return { type, requestId, subject, role: request.role };
}

export function validateAddPolicyRule(body: AddPolicyRuleRequest | undefined): PolicyMutation {
  const request = requireBody(body);
  const requestId = validateRequestId(request.requestId);
  const rule = request.rule;
  if (!rule || typeof rule !== 'object') throw new InvalidArgumentError('rule', 'is required');
  const effect = validateEnum('rule.effect', rule.effect, ['ALLOW', 'DENY'] as const);
  if (!effect) throw new InvalidArgumentError('rule.effect', 'is required (ALLOW or DENY)');
  if (rule.requiresApproval !== undefined && typeof rule.requiresApproval !== 'boolean') {
    throw new InvalidArgumentError('rule.requires_approval', 'must be a boolean');
  }
  return {
    type: 'AddPolicyRule',
    requestId,
    subject: validateSubject('rule.subject', rule.subject),
    action: validateAction('rule.action', rule.action),
    resource: validateResource('rule.resource', rule.resource),
    effect,
    requiresApproval: rule.requiresApproval ?? false,
  };
}

export function validateRemovePolicyRule(body: RemovePolicyRuleRequest | undefined): PolicyMutation {
  const request = requireBody(body);
  return {
    type: 'RemovePolicyRule',
    requestId: validateRequestId(request.requestId),
    ruleId: validateId('id', request.id),
  };
}

export function validatePolicyList(
  body: ListRoleBindingsRequest | ListPolicyRulesRequest | undefined,
): PolicyListQuery {
  const request = requireBody(body);
  const subject = request.subject ? validateSubject('subject', request.subject) : undefined;
  return { subject, minPosition: validatePosition('min_position', request.minPosition) };
}
