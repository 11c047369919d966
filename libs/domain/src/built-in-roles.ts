/**
 * The built-in roles every tenant has. They are code, not events, so every
 * enforcer gets them when its tenant is created; custom roles (RoleDefined)
 * may not reuse these names.
 */
export type BuiltInRole = 'tenant-admin' | 'agent-manager' | 'operator' | 'task-submitter' | 'auditor' | 'viewer';

export const BUILT_IN_ROLE_NAMES: readonly BuiltInRole[] = [
  'tenant-admin',
  'agent-manager',
  'operator',
  'task-submitter',
  'auditor',
  'viewer',
];

export const BUILT_IN_ROLES: Readonly<Record<BuiltInRole, { permissions: string[]; description: string }>> = {
  'tenant-admin': {
    // `*` never reaches system.* permissions: check() refuses those before casbin.
    permissions: ['*'],
    description: 'Every permission in the tenant',
  },
  'agent-manager': {
    permissions: [
      'agents.*',
      'tools.get',
      'tools.list',
      'knowledge.*',
      'context.*',
      'roles.list',
      'access.check',
      'budgets.get',
      'self.whoami',
      // A plan never does what the caller could not do by hand: every step is checked on its own.
      'commands.*',
    ],
    description: 'Creates and manages agents',
  },
  operator: {
    permissions: [
      'agents.get',
      'agents.list',
      'agents.watch',
      'agents.deploy',
      'agents.pause',
      'agents.resume',
      'approvals.list',
      'approvals.decide',
      'budgets.get',
      'tasks.*',
      'tools.get',
      'tools.list',
      'tools.disable',
      'knowledge.read',
      'context.*',
      'self.whoami',
      // A plan never does what the caller could not do by hand: every step is checked on its own.
      'commands.*',
    ],
    description: 'Runs the fleet day to day: deploys, pauses, resumes, decides approvals',
  },
  'task-submitter': {
    permissions: [
      'agents.get',
      'agents.list',
      'tasks.submit',
      'tasks.get',
      'tasks.list',
      'tasks.watch',
      'knowledge.read',
      'context.read',
      'self.whoami',
      // A plan never does what the caller could not do by hand: every step is checked on its own.
      'commands.*',
    ],
    description: 'Submits tasks and follows them',
  },
  auditor: {
    permissions: [
      'audit.*',
      'agents.get',
      'agents.list',
      'agents.watch',
      'tools.get',
      'tools.list',
      'knowledge.read',
      'context.read',
      'principals.get',
      'principals.list',
      'keys.list',
      'roles.list',
      'policies.list',
      'approvals.list',
      'budgets.get',
      'access.check',
      'self.whoami',
      // A plan never does what the caller could not do by hand: every step is checked on its own.
      'commands.*',
    ],
    description: 'Reads the audit trail and the configuration, changes nothing',
  },
  viewer: {
    permissions: [
      'agents.get',
      'agents.list',
      'agents.watch',
      'tools.get',
      'tools.list',
      'knowledge.read',
      'context.read',
      'roles.list',
      'self.whoami',
      // A plan never does what the caller could not do by hand: every step is checked on its own.
      'commands.*',
    ],
    description: 'Reads agents, tools, knowledge bases and shared context',
  },
};

export function isBuiltInRole(name: string): name is BuiltInRole {
  return Object.hasOwn(BUILT_IN_ROLES, name);
}
