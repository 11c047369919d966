import { describe, expect, it } from 'vitest';
import { decidePolicy, evolvePolicy, initialPolicyState, type PolicyEvent } from './policy.decider';

const given = (events: PolicyEvent[]) => events.reduce(evolvePolicy, initialPolicyState);
const bound: PolicyEvent = { type: 'RoleAssigned', data: { bindingId: 'b1', subject: 'user:p1', role: 'operator' } };
const ruleAdded: PolicyEvent = {
  type: 'PolicyRuleAdded',
  data: {
    ruleId: 'r1',
    subject: 'agent:a1',
    action: 'tools.call',
    resource: 'tools/weather',
    effect: 'ALLOW',
    requiresApproval: false,
  },
};

describe('policy decider: roles', () => {
  it('defines a custom role with catalog permissions and patterns, sorted and deduplicated', () => {
    const events = decidePolicy(
      { type: 'DefineRole', role: 'support', permissions: ['tasks.*', 'agents.get', 'agents.get'], description: 'd' },
      given([]),
    );
    expect(events).toEqual([
      { type: 'RoleDefined', data: { role: 'support', permissions: ['agents.get', 'tasks.*'], description: 'd' } },
    ]);
  });

  it('refuses a built-in name', () => {
    expect(() =>
      decidePolicy({ type: 'DefineRole', role: 'operator', permissions: ['agents.get'], description: '' }, given([])),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'role.name' }));
  });

  it.each([['agents.fly'], ['system.tenants.create'], ['system.*']])('refuses permission %s', (permission) => {
    expect(() =>
      decidePolicy({ type: 'DefineRole', role: 'x', permissions: [permission], description: '' }, given([])),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'role.permissions' }));
  });

  it('records nothing when a role is redefined as it is', () => {
    const defined: PolicyEvent = {
      type: 'RoleDefined',
      data: { role: 'x', permissions: ['agents.get'], description: 'd' },
    };
    expect(
      decidePolicy({ type: 'DefineRole', role: 'x', permissions: ['agents.get'], description: 'd' }, given([defined])),
    ).toEqual([]);
  });
});

describe('policy decider: bindings', () => {
  it('assigns a built-in role', () => {
    expect(
      decidePolicy({ type: 'AssignRole', bindingId: 'b1', subject: 'user:p1', role: 'operator' }, given([])),
    ).toEqual([bound]);
  });

  it('assigns a defined custom role', () => {
    const defined: PolicyEvent = {
      type: 'RoleDefined',
      data: { role: 'x', permissions: ['agents.get'], description: '' },
    };
    expect(
      decidePolicy({ type: 'AssignRole', bindingId: 'b2', subject: 'user:p1', role: 'x' }, given([defined])),
    ).toHaveLength(1);
  });

  it('refuses an unknown role with NOT_FOUND', () => {
    expect(() =>
      decidePolicy({ type: 'AssignRole', bindingId: 'b1', subject: 'user:p1', role: 'ghost' }, given([])),
    ).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('refuses a duplicate binding with ALREADY_EXISTS', () => {
    expect(() =>
      decidePolicy({ type: 'AssignRole', bindingId: 'b2', subject: 'user:p1', role: 'operator' }, given([bound])),
    ).toThrow(expect.objectContaining({ code: 'ALREADY_EXISTS' }));
  });

  it('revokes an existing binding, naming it', () => {
    expect(decidePolicy({ type: 'RevokeRole', subject: 'user:p1', role: 'operator' }, given([bound]))).toEqual([
      { type: 'RoleRevoked', data: { bindingId: 'b1', subject: 'user:p1', role: 'operator' } },
    ]);
  });

  it('refuses to revoke a missing binding with NOT_FOUND', () => {
    const revoked: PolicyEvent = {
      type: 'RoleRevoked',
      data: bound.data as { bindingId: string; subject: string; role: string },
    };
    expect(() =>
      decidePolicy({ type: 'RevokeRole', subject: 'user:p1', role: 'operator' }, given([bound, revoked])),
    ).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });
});

describe('policy decider: rules', () => {
  it('adds a rule', () => {
    const { data } = ruleAdded as Extract<PolicyEvent, { type: 'PolicyRuleAdded' }>;
    expect(decidePolicy({ type: 'AddPolicyRule', ...data }, given([]))).toEqual([ruleAdded]);
  });

  it('refuses a rule granting a system permission', () => {
    const { data } = ruleAdded as Extract<PolicyEvent, { type: 'PolicyRuleAdded' }>;
    expect(() => decidePolicy({ type: 'AddPolicyRule', ...data, action: 'system.tenants.create' }, given([]))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'rule.action' }),
    );
  });

  it('removes an existing rule and refuses a missing one', () => {
    expect(decidePolicy({ type: 'RemovePolicyRule', ruleId: 'r1' }, given([ruleAdded]))).toEqual([
      { type: 'PolicyRuleRemoved', data: { ruleId: 'r1' } },
    ]);
    expect(() => decidePolicy({ type: 'RemovePolicyRule', ruleId: 'r1' }, given([]))).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
  });
});
