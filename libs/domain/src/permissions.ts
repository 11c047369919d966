/**
 * The permission catalog: every permission a gateway method or a runtime
 * check may require. Permissions are `<area>.<verb>`; `system.*` ones are
 * never granted by a role or rule, only by a principal's `systemAdmin` flag.
 */
export interface PermissionInfo {
  name: string;
  description: string;
}

export const PERMISSIONS: readonly PermissionInfo[] = [
  { name: 'system.tenants.create', description: 'Create a tenant (system administrators only)' },
  { name: 'system.tenants.list', description: 'List tenants (system administrators only)' },
  { name: 'agents.create', description: 'Create an agent' },
  { name: 'agents.get', description: 'Read an agent' },
  { name: 'agents.list', description: 'List agents' },
  { name: 'agents.update', description: "Update an agent's definition" },
  { name: 'agents.deploy', description: 'Deploy an agent' },
  { name: 'agents.pause', description: 'Pause an agent' },
  { name: 'agents.resume', description: 'Resume a paused agent' },
  { name: 'agents.retire', description: 'Retire an agent' },
  { name: 'agents.watch', description: 'Watch agent changes' },
  { name: 'tasks.submit', description: 'Submit a task' },
  { name: 'tasks.get', description: 'Read a task' },
  { name: 'tasks.list', description: 'List tasks' },
  { name: 'tasks.watch', description: 'Watch a task' },
  { name: 'tasks.cancel', description: 'Cancel a task' },
  { name: 'tasks.reassign', description: 'Reassign a task to another agent' },
  { name: 'tools.register', description: 'Register an HTTP tool or an MCP server and its tools' },
  { name: 'tools.get', description: 'Read a tool' },
  { name: 'tools.list', description: 'List tools' },
  { name: 'tools.disable', description: 'Disable a tool' },
  { name: 'tools.call', description: 'Call a tool (checked by the runtime for agents)' },
  { name: 'knowledge.create', description: 'Create a knowledge base' },
  {
    name: 'knowledge.read',
    description: 'Read and search a knowledge base (resource kb/<id>; checked by the runtime for agents)',
  },
  { name: 'knowledge.write', description: 'Add documents to and remove them from a knowledge base (resource kb/<id>)' },
  { name: 'context.read', description: 'Read and watch shared context (resource ctx/<scope>/<key>)' },
  { name: 'context.write', description: 'Put and delete shared context (resource ctx/<scope>/<key>)' },
  { name: 'runtime.attach', description: 'Attach an external agent process as an agent (RuntimeService.Connect)' },
  { name: 'audit.list', description: 'List audit events' },
  { name: 'audit.replay', description: 'Replay the audit trail' },
  { name: 'principals.create', description: 'Create a principal' },
  { name: 'principals.get', description: 'Read a principal' },
  { name: 'principals.list', description: 'List principals' },
  { name: 'keys.create', description: 'Create an API key' },
  { name: 'keys.list', description: 'List API keys' },
  { name: 'keys.revoke', description: 'Revoke an API key' },
  { name: 'roles.define', description: 'Define a custom role' },
  { name: 'roles.list', description: 'List roles and role bindings' },
  { name: 'roles.assign', description: 'Bind a subject to a role' },
  { name: 'roles.revoke', description: 'Remove a role binding' },
  { name: 'policies.add', description: 'Add a policy rule' },
  { name: 'policies.remove', description: 'Remove a policy rule' },
  { name: 'policies.list', description: 'List policy rules' },
  { name: 'access.check', description: "Check another subject's access" },
  { name: 'self.whoami', description: 'Describe the caller' },
  { name: 'approvals.list', description: 'List approvals' },
  { name: 'approvals.decide', description: 'Approve or reject a pending approval' },
  { name: 'budgets.set', description: 'Set a budget' },
  { name: 'budgets.get', description: 'Read a budget' },
  {
    name: 'commands.interpret',
    description: 'Turn plain language into a plan (CommandService.Interpret; records the plan, runs nothing)',
  },
  {
    name: 'commands.execute',
    description: "Execute one's own confirmed plan (each step also needs its own permission)",
  },
];

export const SYSTEM_PERMISSION_PREFIX = 'system.';

/** True for permissions only a system administrator holds (roles and rules never grant them). */
export function isSystemPermission(action: string): boolean {
  return action === 'system' || action.startsWith(SYSTEM_PERMISSION_PREFIX);
}

/**
 * Whether `pattern` (a permission, possibly ending in `*`, or `*` alone)
 * covers `permission`. The same semantics the casbin matcher applies, for
 * validation and for explaining decisions without an enforcer.
 */
export function permissionMatches(pattern: string, permission: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return permission.startsWith(pattern.slice(0, -1));
  return pattern === permission;
}
