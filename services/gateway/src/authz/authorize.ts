import { authorizeSubjects, isSystemPermission, type AccessModel, type Authorization } from '@aos/access-control';
import type { Caller } from '../auth/authenticator';

export type { Authorization } from '@aos/access-control';

/**
 * The gateway's one authorization decision, used by the PermissionGuard for
 * every call and by the README's role table, so the table cannot drift from
 * what is enforced. `system.*` permissions belong to system administrators
 * only; anything else is the tenant's casbin enforcer's answer for the
 * caller's subjects (an OIDC caller without a principal has its groups): an
 * explicit deny wins, then a rule requiring approval, then one allowing is
 * enough (authorizeSubjects, which the resources service applies too).
 */
export function authorize(model: AccessModel, caller: Caller, permission: string, resource: string): Authorization {
  const { identity } = caller;
  if (isSystemPermission(permission)) {
    return identity.systemAdmin
      ? { allowed: true, explanation: `${identity.subject} is a system administrator` }
      : { allowed: false, explanation: `${permission} is reserved to system administrators` };
  }
  return authorizeSubjects(model, identity.tenantId, caller.grantSubjects, permission, resource);
}
