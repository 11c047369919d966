import { isSystemPermission, type AccessModel } from '@aos/access-control';
import type { Caller } from '../auth/authenticator';

export interface Authorization {
  allowed: boolean;
  /** Why; for the PERMISSION_DENIED message and the logs. */
  explanation: string;
}

/**
 * The gateway's one authorization decision, used by the PermissionGuard for
 * every call and by the README's role table, so the table cannot drift from
 * what is enforced. `system.*` permissions belong to system administrators
 * only; anything else is the tenant's casbin enforcer's answer for the
 * caller's subjects (an OIDC caller without a principal has its groups): an
 * explicit deny wins, then a rule requiring approval, then one allowing is enough.
 */
export function authorize(model: AccessModel, caller: Caller, permission: string, resource: string): Authorization {
  const { identity } = caller;
  if (isSystemPermission(permission)) {
    return identity.systemAdmin
      ? { allowed: true, explanation: `${identity.subject} is a system administrator` }
      : { allowed: false, explanation: `${permission} is reserved to system administrators` };
  }
  const checks = caller.grantSubjects.map((subject) => model.check(identity.tenantId, subject, permission, resource));
  const explicitDeny = checks.find((c) => c.decision === 'DENIED' && c.matchedRuleId !== undefined);
  if (explicitDeny) return { allowed: false, explanation: explicitDeny.explanation };
  // Deny, then approval, then allow — as for a single subject: a rule that asks for
  // a person's approval is not waived because another of the caller's groups allows.
  // Approvals gate actions the runtime takes for agents; a gateway call cannot wait for a person.
  const approval = checks.find((c) => c.decision === 'APPROVAL_REQUIRED');
  if (approval) return { allowed: false, explanation: approval.explanation };
  const allowing = checks.find((c) => c.decision === 'ALLOWED');
  if (allowing) return { allowed: true, explanation: allowing.explanation };
  return { allowed: false, explanation: checks[0]?.explanation ?? `${identity.subject} has no grants` };
}
