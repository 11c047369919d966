import { beforeEach, describe, expect, it } from 'vitest';
import { AccessModel, AccessModelError } from '../src/access-model';
import { BUILT_IN_ROLE_NAMES, BUILT_IN_ROLES, PERMISSIONS, isSystemPermission, permissionMatches } from '@aos/domain';
import { GovernanceCategories } from '@aos/domain';
import { GovernanceLog } from './governance-log.fixture';

// Given governance events (applied through AccessModel.apply, in log order),
// then decisions of the tenant's real casbin enforcer.
describe('AccessModel authorization', () => {
  let model: AccessModel;
  let log: GovernanceLog;
  beforeEach(() => {
    model = new AccessModel();
    log = new GovernanceLog(model);
    log.tenant('acme');
    log.principal('acme', 'alice');
  });

  describe('built-in roles', () => {
    const cells = BUILT_IN_ROLE_NAMES.flatMap((role) =>
      PERMISSIONS.map(({ name }) => {
        const expected =
          !isSystemPermission(name) && BUILT_IN_ROLES[role].permissions.some((p) => permissionMatches(p, name));
        return [role, name, expected] as const;
      }),
    );

    it.each(cells)('%s: %s → %s', (role, permission, expected) => {
      log.assign('acme', 'b1', 'user:alice', role);
      const result = model.check('acme', 'user:alice', permission);
      expect(result.decision).toBe(expected ? 'ALLOWED' : 'DENIED');
      if (expected) expect(result).toMatchObject({ matchedRole: role, matchedBindingId: 'b1' });
    });

    it.each([
      ['viewer', 'agents.create', 'DENIED'],
      ['viewer', 'agents.watch', 'ALLOWED'],
      ['operator', 'tasks.cancel', 'ALLOWED'],
      ['operator', 'agents.retire', 'DENIED'],
      ['task-submitter', 'agents.pause', 'DENIED'],
      ['auditor', 'audit.replay', 'ALLOWED'],
      ['auditor', 'keys.create', 'DENIED'],
      ['agent-manager', 'agents.retire', 'ALLOWED'],
      ['agent-manager', 'roles.assign', 'DENIED'],
      ['tenant-admin', 'policies.add', 'ALLOWED'],
      ['tenant-admin', 'system.tenants.create', 'DENIED'],
      ['tenant-admin', 'system.tenants.list', 'DENIED'],
    ] as const)('spot check: %s %s → %s', (role, permission, decision) => {
      log.assign('acme', 'b1', 'user:alice', role);
      expect(model.check('acme', 'user:alice', permission).decision).toBe(decision);
    });
  });

  it('denies by default, saying nothing matched', () => {
    expect(model.check('acme', 'user:alice', 'agents.get')).toEqual({
      decision: 'DENIED',
      explanation: 'denied: no role or rule grants user:alice agents.get on *',
    });
  });

  it('grants a custom role its permissions, and follows its redefinition', () => {
    log.defineRole('acme', 'deployer', ['agents.deploy', 'agents.get']);
    log.assign('acme', 'b1', 'user:alice', 'deployer');
    expect(model.check('acme', 'user:alice', 'agents.deploy').decision).toBe('ALLOWED');
    expect(model.check('acme', 'user:alice', 'agents.retire').decision).toBe('DENIED');
    log.defineRole('acme', 'deployer', ['agents.retire']);
    expect(model.check('acme', 'user:alice', 'agents.deploy').decision).toBe('DENIED');
    expect(model.check('acme', 'user:alice', 'agents.retire')).toMatchObject({
      decision: 'ALLOWED',
      matchedRole: 'deployer',
      matchedPermission: 'agents.retire',
    });
  });

  it('lets a binding to a role defined later grant once the role exists', () => {
    log.assign('acme', 'b1', 'user:alice', 'later');
    expect(model.check('acme', 'user:alice', 'tasks.submit').decision).toBe('DENIED');
    log.defineRole('acme', 'later', ['tasks.*']);
    expect(model.check('acme', 'user:alice', 'tasks.submit').decision).toBe('ALLOWED');
  });

  it('ignores a RoleDefined that would shadow a built-in role', () => {
    log.defineRole('acme', 'viewer', ['*']);
    log.assign('acme', 'b1', 'user:alice', 'viewer');
    expect(model.check('acme', 'user:alice', 'agents.create').decision).toBe('DENIED');
    expect(model.roles('acme').find((r) => r.name === 'viewer')).toMatchObject({
      builtIn: true,
      permissions: BUILT_IN_ROLES.viewer.permissions,
    });
  });

  it('lets a deny rule beat any allow, from a role or a rule', () => {
    log.assign('acme', 'b1', 'user:alice', 'tenant-admin');
    log.rule('acme', 'r-allow', 'user:alice', 'agents.retire', 'agents/precious');
    log.rule('acme', 'r-deny', 'user:alice', 'agents.retire', 'agents/precious', 'DENY');
    expect(model.check('acme', 'user:alice', 'agents.retire', 'agents/precious')).toEqual({
      decision: 'DENIED',
      explanation: 'denied: rule r-deny denies user:alice agents.retire on agents/precious',
      matchedRuleId: 'r-deny',
      matchedPermission: 'agents.retire',
    });
    expect(model.check('acme', 'user:alice', 'agents.retire', 'agents/other').decision).toBe('ALLOWED');
  });

  it('applies a deny rule on a role to everyone bound to it, naming the binding', () => {
    log.assign('acme', 'b1', 'user:alice', 'operator');
    log.rule('acme', 'r1', 'role:operator', 'agents.*', 'agents/prod-*', 'DENY');
    expect(model.check('acme', 'user:alice', 'agents.pause', 'agents/prod-billing')).toMatchObject({
      decision: 'DENIED',
      matchedRuleId: 'r1',
      matchedBindingId: 'b1',
      matchedRole: 'operator',
      explanation:
        'denied: rule r1 denies role:operator agents.* on agents/prod-*; user:alice has role operator (binding b1)',
    });
    expect(model.check('acme', 'user:alice', 'agents.pause', 'agents/dev-billing').decision).toBe('ALLOWED');
  });

  it.each([
    ['tools/*', 'tools/weather', 'ALLOWED'],
    ['tools/*', 'tools/search/web', 'ALLOWED'],
    ['tools/*', 'kb/weather', 'DENIED'],
    ['tools/weather', 'tools/weather', 'ALLOWED'],
    ['tools/weather', 'tools/weather2', 'DENIED'],
    ['context/support/*', 'context/support/faq', 'ALLOWED'],
    ['context/support/*', 'context/sales/faq', 'DENIED'],
    ['*', 'anything/1', 'ALLOWED'],
    ['*', '*', 'ALLOWED'],
    ['tools/*', '*', 'DENIED'],
  ] as const)('matches rule resource %s against %s → %s', (pattern, resource, decision) => {
    log.rule('acme', 'r1', 'agent:a1', 'tools.call', pattern);
    expect(model.check('acme', 'agent:a1', 'tools.call', resource).decision).toBe(decision);
  });

  it.each([
    ['tools.*', 'tools.call', 'ALLOWED'],
    ['tools.*', 'toolsx.call', 'DENIED'],
    ['*', 'kb.read', 'ALLOWED'],
    ['*', 'system.tenants.list', 'DENIED'],
    ['tools.call', 'tools.call', 'ALLOWED'],
    ['tools.call', 'tools.callx', 'DENIED'],
  ] as const)('matches rule action %s against %s → %s', (pattern, action, decision) => {
    log.rule('acme', 'r1', 'agent:a1', pattern, '*');
    expect(model.check('acme', 'agent:a1', action, 'tools/x').decision).toBe(decision);
  });

  it('answers APPROVAL_REQUIRED when an approval rule allows, even beside a plain allow, and DENIED when a deny matches', () => {
    log.assign('acme', 'b1', 'agent:a1', 'operator');
    log.rule('acme', 'r-tools', 'agent:a1', 'tools.*', 'tools/*');
    log.rule('acme', 'r-pay', 'agent:a1', 'tools.call', 'tools/payments', 'ALLOW', true);
    expect(model.check('acme', 'agent:a1', 'tools.call', 'tools/payments')).toEqual({
      decision: 'APPROVAL_REQUIRED',
      explanation:
        "approval required: rule r-pay allows agent:a1 tools.call on tools/payments only with a person's approval",
      matchedRuleId: 'r-pay',
      matchedPermission: 'tools.call',
    });
    expect(model.check('acme', 'agent:a1', 'tools.call', 'tools/weather')).toMatchObject({
      decision: 'ALLOWED',
      matchedRuleId: 'r-tools',
    });
    log.rule('acme', 'r-block', 'agent:a1', 'tools.call', 'tools/payments', 'DENY');
    expect(model.check('acme', 'agent:a1', 'tools.call', 'tools/payments')).toMatchObject({
      decision: 'DENIED',
      matchedRuleId: 'r-block',
    });
  });

  it('stops granting from the moment a binding is revoked or a rule removed', () => {
    log.assign('acme', 'b1', 'user:alice', 'operator');
    log.rule('acme', 'r1', 'user:alice', 'tools.call', 'tools/*');
    expect(model.check('acme', 'user:alice', 'agents.pause').decision).toBe('ALLOWED');
    expect(model.check('acme', 'user:alice', 'tools.call', 'tools/x').decision).toBe('ALLOWED');
    log.revokeRole('acme', 'b1', 'user:alice', 'operator');
    expect(model.check('acme', 'user:alice', 'agents.pause').decision).toBe('DENIED');
    log.removeRule('acme', 'r1');
    expect(model.check('acme', 'user:alice', 'tools.call', 'tools/x').decision).toBe('DENIED');
    expect(model.bindings('acme')).toEqual([]);
    expect(model.rules('acme')).toEqual([]);
  });

  it("remembers an answer only until the tenant's next event, and never shares it with the caller", () => {
    log.assign('acme', 'b1', 'user:alice', 'viewer');
    const first = model.check('acme', 'user:alice', 'agents.get');
    expect(first.decision).toBe('ALLOWED');
    first.decision = 'DENIED';
    expect(model.check('acme', 'user:alice', 'agents.get').decision).toBe('ALLOWED');
    // Another tenant's event leaves acme's answers; acme's own next event (here a deny rule) replaces them.
    log.tenant('globex');
    expect(model.check('acme', 'user:alice', 'agents.get').decision).toBe('ALLOWED');
    log.rule('acme', 'r1', 'user:alice', 'agents.get', '*', 'DENY');
    expect(model.check('acme', 'user:alice', 'agents.get')).toMatchObject({ decision: 'DENIED', matchedRuleId: 'r1' });
  });

  it("forgets a tenant's answers when an event recorded under another tenant reaches it", () => {
    log.assign('later', 'b1', 'user:bob', 'viewer');
    expect(model.check('later', 'user:bob', 'agents.get').decision).toBe('DENIED');
    // A tenant created by a system administrator: the event's metadata names the creator's tenant.
    log.record('system', GovernanceCategories.tenant, 'later', 'TenantCreated', {
      tenantId: 'later',
      displayName: 'L',
    });
    expect(model.check('later', 'user:bob', 'agents.get').decision).toBe('ALLOWED');
  });

  it('keeps a role granted while another binding for it remains', () => {
    log.assign('acme', 'b1', 'user:alice', 'viewer');
    log.assign('acme', 'b2', 'user:alice', 'viewer');
    log.revokeRole('acme', 'b1', 'user:alice', 'viewer');
    expect(model.check('acme', 'user:alice', 'agents.get')).toMatchObject({
      decision: 'ALLOWED',
      matchedBindingId: 'b2',
    });
    log.revokeRole('acme', 'b2', 'user:alice', 'viewer');
    expect(model.check('acme', 'user:alice', 'agents.get').decision).toBe('DENIED');
  });

  it('isolates tenants: a binding or rule in one grants nothing in another', () => {
    log.tenant('globex');
    log.assign('acme', 'b1', 'user:alice', 'tenant-admin');
    log.rule('acme', 'r1', 'agent:a1', 'tools.call', '*');
    expect(model.check('acme', 'user:alice', 'agents.create').decision).toBe('ALLOWED');
    expect(model.check('globex', 'user:alice', 'agents.create').decision).toBe('DENIED');
    expect(model.check('globex', 'agent:a1', 'tools.call', 'tools/x').decision).toBe('DENIED');
    expect(model.rolesOf('globex', 'user:alice')).toEqual([]);
    expect(model.bindings('globex')).toEqual([]);
  });

  it('denies in an unknown tenant, saying so', () => {
    expect(model.check('nowhere', 'user:alice', 'agents.get')).toEqual({
      decision: 'DENIED',
      explanation: 'denied: tenant "nowhere" does not exist',
    });
    expect(model.tenantExists('nowhere')).toBe(false);
  });

  it('treats a tenant as unknown until its TenantCreated arrives, even when its other streams came first', () => {
    log.assign('later', 'b1', 'user:bob', 'viewer');
    expect(model.tenantExists('later')).toBe(false);
    expect(model.check('later', 'user:bob', 'agents.get').decision).toBe('DENIED');
    log.tenant('later');
    expect(model.check('later', 'user:bob', 'agents.get').decision).toBe('ALLOWED');
  });

  it('never allows system.* permissions, whatever the role or rule', () => {
    log.assign('acme', 'b1', 'user:alice', 'tenant-admin');
    log.rule('acme', 'r1', 'user:alice', 'system.*', '*');
    log.defineRole('acme', 'sneaky', ['system.tenants.create']);
    log.assign('acme', 'b2', 'user:alice', 'sneaky');
    expect(model.check('acme', 'user:alice', 'system.tenants.create')).toEqual({
      decision: 'DENIED',
      explanation: 'denied: system.tenants.create is a system permission, held only by system administrators',
    });
  });

  it('explains an allow by the binding and the role permission, and by the rule', () => {
    log.assign('acme', 'b-7', 'user:alice', 'operator');
    expect(model.check('acme', 'user:alice', 'agents.pause', 'agents/a1')).toEqual({
      decision: 'ALLOWED',
      explanation:
        'allowed: user:alice has role operator (binding b-7), whose permission agents.pause matches agents.pause',
      matchedBindingId: 'b-7',
      matchedRole: 'operator',
      matchedPermission: 'agents.pause',
    });
    log.rule('acme', 'r-9', 'role:operator', 'kb.*', 'kb/*');
    expect(model.check('acme', 'user:alice', 'kb.read', 'kb/handbook')).toEqual({
      decision: 'ALLOWED',
      explanation: 'allowed: rule r-9 allows role:operator kb.* on kb/*; user:alice has role operator (binding b-7)',
      matchedBindingId: 'b-7',
      matchedRuleId: 'r-9',
      matchedRole: 'operator',
      matchedPermission: 'kb.*',
    });
  });

  it('follows role inheritance (a role bound to a role), naming the first binding', () => {
    log.defineRole('acme', 'lead', ['approvals.decide']);
    log.assign('acme', 'b-lead', 'user:alice', 'lead');
    log.assign('acme', 'b-inherit', 'role:lead', 'viewer');
    expect(model.check('acme', 'user:alice', 'agents.get')).toMatchObject({
      decision: 'ALLOWED',
      matchedBindingId: 'b-lead',
      matchedRole: 'viewer',
      explanation:
        'allowed: user:alice has role lead (binding b-lead), which inherits role viewer, whose permission agents.get matches agents.get',
    });
  });

  it('grants group subjects through their own bindings', () => {
    log.assign('acme', 'b1', 'group:sre', 'operator');
    expect(model.check('acme', 'group:sre', 'agents.pause').decision).toBe('ALLOWED');
    expect(model.check('acme', 'group:dev', 'agents.pause').decision).toBe('DENIED');
  });
});

describe('AccessModel projection', () => {
  let model: AccessModel;
  let log: GovernanceLog;
  beforeEach(() => {
    model = new AccessModel();
    log = new GovernanceLog(model);
  });

  it('builds the read models with revisions, positions, times and authors', () => {
    const tenant = log.tenant('acme', 'Acme Inc.');
    const created = log.principal('acme', 'p1', { kind: 'SERVICE', name: 'billing-app', oidcSubject: 'sub-1' });
    log.principal('acme', 'p2', { name: 'root', systemAdmin: true });
    const key = log.apiKey('acme', 'p1', 'k1', 'abcd1234', 'scrypt$…', '2030-01-01T00:00:00.000Z');
    const role = log.defineRole('acme', 'deployer', ['agents.deploy']);
    const binding = log.assign('acme', 'b1', 'service:p1', 'deployer');
    const rule = log.rule('acme', 'r1', 'service:p1', 'tools.call', 'tools/*', 'ALLOW', true);

    expect(model.tenants()).toEqual([
      {
        id: 'acme',
        displayName: 'Acme Inc.',
        createTime: tenant.time,
        createdBy: 'user:admin',
        revision: 0,
        logPosition: tenant.position,
      },
    ]);
    expect(model.principal('acme', 'p1')).toEqual({
      id: 'p1',
      tenantId: 'acme',
      kind: 'SERVICE',
      name: 'billing-app',
      oidcSubject: 'sub-1',
      subject: 'service:p1',
      systemAdmin: false,
      createTime: created.time,
      createdBy: 'user:admin',
      // The key event is in the principal's stream.
      revision: 1,
      logPosition: key.position,
    });
    expect(model.principals('acme').map((p) => p.id)).toEqual(['p1', 'p2']);
    expect(model.principalByName('acme', 'root')?.id).toBe('p2');
    expect(model.principalByName('acme', 'nobody')).toBeUndefined();
    expect(model.principalByOidcSubject('acme', 'sub-1')?.id).toBe('p1');
    expect(model.principalByOidcSubject('acme', '')).toBeUndefined();
    expect(model.apiKeys('acme')).toEqual([
      {
        id: 'k1',
        tenantId: 'acme',
        principalId: 'p1',
        prefix: 'abcd1234',
        description: 'key k1',
        state: 'API_KEY_ACTIVE',
        createTime: key.time,
        expireTime: '2030-01-01T00:00:00.000Z',
        createdBy: 'user:admin',
        logPosition: key.position,
      },
    ]);
    expect(model.apiKey('acme', 'k1', new Date('2031-01-01'))?.state).toBe('API_KEY_EXPIRED');
    expect(model.apiKeys('acme', 'p2')).toEqual([]);
    expect(model.roles('acme').map((r) => [r.name, r.builtIn])).toEqual([
      ...BUILT_IN_ROLE_NAMES.map((n) => [n, true]),
      ['deployer', false],
    ]);
    expect(model.roles('acme').at(-1)).toEqual({
      name: 'deployer',
      permissions: ['agents.deploy'],
      builtIn: false,
      description: 'custom deployer',
      createTime: role.time,
      createdBy: 'user:admin',
      revision: 0,
      logPosition: role.position,
    });
    expect(model.bindings('acme', 'service:p1')).toEqual([
      {
        id: 'b1',
        tenantId: 'acme',
        subject: 'service:p1',
        role: 'deployer',
        createTime: binding.time,
        createdBy: 'user:admin',
        revision: 1,
        logPosition: binding.position,
      },
    ]);
    expect(model.bindings('acme', 'user:p2')).toEqual([]);
    expect(model.rules('acme', 'service:p1')).toEqual([
      {
        id: 'r1',
        tenantId: 'acme',
        subject: 'service:p1',
        action: 'tools.call',
        resource: 'tools/*',
        effect: 'ALLOW',
        requiresApproval: true,
        createTime: rule.time,
        createdBy: 'user:admin',
        revision: 2,
        logPosition: rule.position,
      },
    ]);
    expect(model.policyRevision('acme')).toBe(2);
    expect(model.policyRevision('globex')).toBeUndefined();
    expect(model.position).toBe(rule.position);
  });

  it('returns copies: mutating a view changes nothing inside', () => {
    log.tenant('acme');
    log.defineRole('acme', 'r', ['agents.get']);
    model.roles('acme').at(-1)!.permissions.push('agents.create');
    expect(model.roles('acme').at(-1)!.permissions).toEqual(['agents.get']);
  });

  it('marks a revoked key', () => {
    log.tenant('acme');
    log.principal('acme', 'p1');
    log.apiKey('acme', 'p1', 'k1', 'abcd1234', 'h');
    const revoked = log.revokeKey('acme', 'p1', 'k1');
    expect(model.apiKey('acme', 'k1')).toMatchObject({
      state: 'API_KEY_REVOKED',
      revokeTime: revoked.time,
      logPosition: revoked.position,
    });
    expect(model.apiKey('acme', 'k1')).not.toHaveProperty('expireTime');
    expect(model.apiKey('globex', 'k1')).toBeUndefined();
  });

  it('ignores other categories and event types, and an event at or before its category position', () => {
    log.tenant('acme');
    log.principal('acme', 'p1');
    log.record('acme', 'agent', 'a1', 'AgentCreated', { anything: true });
    log.record('acme', 'approval', 'x', 'ApprovalRequested', { not: 'validated' });
    log.record('acme', 'policy', 'acme', 'SomethingNew', {});
    const assigned = log.assign('acme', 'b1', 'user:p1', 'viewer');
    expect(model.position).toBe(assigned.position);
    // Delivered again (e.g. after a resubscription): no second binding, no change.
    model.apply({ ...assigned, data: { bindingId: 'b2', subject: 'user:p1', role: 'tenant-admin' } });
    expect(model.bindings('acme').map((b) => b.id)).toEqual(['b1']);
  });

  it('reports an event whose data does not match its schema, and moves past it', () => {
    log.tenant('acme');
    expect(() => log.record('acme', 'policy', 'acme', 'RoleAssigned', { bindingId: 'b1' })).toThrow(AccessModelError);
    const next = log.assign('acme', 'b2', 'user:p1', 'viewer');
    expect(model.position).toBe(next.position);
    expect(model.rolesOf('acme', 'user:p1')).toEqual(['viewer']);
  });

  it('lists the roles bound to a subject, sorted, and an identity for principals only', () => {
    log.tenant('acme');
    log.principal('acme', 'p1', { name: 'ann', systemAdmin: true });
    log.assign('acme', 'b1', 'user:p1', 'viewer');
    log.assign('acme', 'b2', 'user:p1', 'auditor');
    expect(model.rolesOf('acme', 'user:p1')).toEqual(['auditor', 'viewer']);
    expect(model.identityForSubject('acme', 'user:p1')).toEqual({
      tenantId: 'acme',
      subject: 'user:p1',
      principalId: 'p1',
      actor: { kind: 'user', id: 'p1' },
      roles: ['auditor', 'viewer'],
      systemAdmin: true,
      authentication: 'oidc',
    });
    expect(model.identityForSubject('acme', 'service:p1')).toBeUndefined();
    expect(model.identityForSubject('acme', 'agent:p1')).toBeUndefined();
    expect(model.identityForSubject('globex', 'user:p1')).toBeUndefined();
  });
});
