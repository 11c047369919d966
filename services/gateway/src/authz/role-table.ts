// Loaded first: the Nest decorators the controllers use need it, also without Nest booting.
import 'reflect-metadata';
import { AccessModel, BUILT_IN_ROLE_NAMES, type BuiltInRole } from '@aos/access-control';
import type { Caller } from '../auth/authenticator';
import { authorize } from './authorize';
import { permissionDeclarations } from './permission.registry';
import { SyntheticGovernanceLog } from './synthetic-governance-log';
// The controllers declare the permissions; importing them fills the registry.
import '../agent.controller';
import '../audit.controller';
import '../governance.controller';
import '../tool.controller';
import '../task.controller';
import '../runtime.controller';
import '../knowledge.controller';
import '../context.controller';
import '../command.controller';

export const SYSTEM_ADMIN_COLUMN = 'system admin';
export type RoleTableColumn = BuiltInRole | typeof SYSTEM_ADMIN_COLUMN;

export interface RoleTableRow {
  service: string;
  method: string;
  permission: string;
  /** Whether a caller of each column may call the method (on any resource). */
  allowed: Record<RoleTableColumn, boolean>;
}

const TENANT = 'role-table';

/**
 * Who may call which gateway method: for every declared method, the decision
 * of the same authorize() the PermissionGuard applies, for a principal holding
 * exactly one built-in role, and for a system administrator holding no role.
 * The AccessModel is a real one, fed the events governance would append.
 */
export function roleTable(): RoleTableRow[] {
  const columns: RoleTableColumn[] = [...BUILT_IN_ROLE_NAMES, SYSTEM_ADMIN_COLUMN];
  const model = new AccessModel();
  const events = new SyntheticGovernanceLog(model, TENANT);
  events.append('tenant', TENANT, { type: 'TenantCreated', data: { tenantId: TENANT, displayName: 'role table' } });
  const callers = new Map<RoleTableColumn, Caller>();
  for (const column of columns) {
    const principalId = column.replace(' ', '-');
    events.append('principal', principalId, {
      type: 'PrincipalCreated',
      data: {
        principalId,
        kind: 'USER',
        name: principalId,
        oidcSubject: '',
        systemAdmin: column === SYSTEM_ADMIN_COLUMN,
      },
    });
    if (column !== SYSTEM_ADMIN_COLUMN) {
      events.append('policy', TENANT, {
        type: 'RoleAssigned',
        data: { bindingId: `binding-${principalId}`, subject: `user:${principalId}`, role: column },
      });
    }
  }
  for (const column of columns) {
    const identity = model.identityForSubject(TENANT, `user:${column.replace(' ', '-')}`);
    if (!identity) throw new Error(`the access model does not know the principal of column ${column}`);
    callers.set(column, { identity, grantSubjects: [identity.subject] });
  }

  return permissionDeclarations().map(({ service, method, permission }) => {
    if (!permission) throw new Error(`${service}.${method} declares no permission`);
    const allowed = Object.fromEntries(
      columns.map((c) => [c, authorize(model, callers.get(c)!, permission, '*').allowed]),
    ) as Record<RoleTableColumn, boolean>;
    return { service, method, permission, allowed };
  });
}

/** The table as Markdown: rows `Service.Method (permission)`, a column per built-in role and one for system admins. */
export function renderRoleTable(rows: RoleTableRow[]): string {
  const columns: RoleTableColumn[] = [...BUILT_IN_ROLE_NAMES, SYSTEM_ADMIN_COLUMN];
  const lines = [
    `| method (permission) | ${columns.join(' | ')} |`,
    `|---|${columns.map(() => ':-:').join('|')}|`,
    ...rows.map(
      (r) =>
        `| \`${r.service}.${r.method}\` (\`${r.permission}\`) | ${columns.map((c) => (r.allowed[c] ? '✓' : '—')).join(' | ')} |`,
    ),
  ];
  return lines.join('\n');
}
