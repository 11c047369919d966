import type { AccessModel } from './access-model';

export interface Authorization {
  allowed: boolean;
  /** Why; for the PERMISSION_DENIED message and the logs. */
  explanation: string;
}

/**
 * Whether a caller who acts with the grants of `subjects` (its own subject,
 * or an OIDC caller's `group:<g>` subjects) may do `permission` on
 * `resource` in the tenant, by the tenant's casbin enforcer: an explicit
 * deny of any subject wins, then a rule requiring approval (an approval is
 * not waived because another subject allows), then one allowing is enough.
 * `system.*` permissions are never granted here (see the gateway's authorize).
 * The gateway's guard and the resources service (which filters knowledge
 * bases inside a search) decide with this one function.
 */
export function authorizeSubjects(
  model: AccessModel,
  tenantId: string,
  subjects: readonly string[],
  permission: string,
  resource: string,
): Authorization {
  const checks = subjects.map((subject) => model.check(tenantId, subject, permission, resource));
  const explicitDeny = checks.find((c) => c.decision === 'DENIED' && c.matchedRuleId !== undefined);
  if (explicitDeny) return { allowed: false, explanation: explicitDeny.explanation };
  // Approvals gate actions the runtime takes for agents; a call cannot wait for a person.
  const approval = checks.find((c) => c.decision === 'APPROVAL_REQUIRED');
  if (approval) return { allowed: false, explanation: approval.explanation };
  const allowing = checks.find((c) => c.decision === 'ALLOWED');
  if (allowing) return { allowed: true, explanation: allowing.explanation };
  return { allowed: false, explanation: checks[0]?.explanation ?? 'the caller has no grants' };
}
