import { BUILT_IN_ROLES, isBuiltInRole } from '@aos/domain';

/**
 * The permissions the caller's roles grant, read from the same built-in role
 * table the governance service enforces, plus the permissions of custom roles
 * when the caller may list them. It decides only what the console offers: a
 * policy rule (an extra allow or a deny) is not seen here, and the gateway
 * checks every call anyway.
 */
export function grantedPermissions(roles: readonly string[], customRoles: ReadonlyMap<string, string[]>): string[] {
  return roles.flatMap((role) =>
    isBuiltInRole(role) ? BUILT_IN_ROLES[role].permissions : (customRoles.get(role) ?? []),
  );
}

/** A grant is a permission or a prefix ending in `*`; `system.*` permissions are never granted by roles. */
export function allows(granted: readonly string[], permission: string): boolean {
  if (permission.startsWith('system.')) return false;
  return granted.some((g) => g === permission || (g.endsWith('*') && permission.startsWith(g.slice(0, -1))));
}
