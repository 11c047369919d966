import { newEnforcer, newModelFromString, type Enforcer } from 'casbin';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_MODEL_CONF, TenantEnforcer, type PolicyLine } from '../src/casbin-model';

// The matcher semantics, on a plain casbin enforcer built from the model text
// (no projection involved), with two tenants sharing it as domains.
describe('casbin model (a real enforcer)', () => {
  let enforcer: Enforcer;
  beforeAll(async () => {
    enforcer = await newEnforcer(newModelFromString(ACCESS_MODEL_CONF));
    const lines: PolicyLine[] = [
      ['role:ops', 't1', '*', 'agents.*', 'allow', 'role:ops'],
      ['role:ops', 't1', '*', 'tasks.submit', 'allow', 'role:ops'],
      ['role:admin', 't1', '*', '*', 'allow', 'role:admin'],
      ['role:ops', 't2', '*', 'agents.*', 'allow', 'role:ops'],
      ['user:alice', 't1', 'agents/secret', 'agents.pause', 'deny', 'rule:r1'],
      ['user:alice', 't1', 'tools/*', 'tools.call', 'allow', 'rule:r2'],
      ['user:alice', 't1', 'kb/handbook', 'kb.read', 'allow', 'rule:r3'],
    ];
    for (const line of lines) await enforcer.addPolicy(...line);
    await enforcer.addGroupingPolicy('user:alice', 'role:ops', 't1');
    await enforcer.addGroupingPolicy('user:root', 'role:admin', 't1');
  });

  it.each([
    // subject, tenant, resource, action, allowed
    ['user:alice', 't1', '*', 'agents.pause', true],
    ['user:alice', 't1', 'agents/a1', 'agents.pause', true],
    ['user:alice', 't1', '*', 'agents.create', true],
    ['user:alice', 't1', '*', 'agentsx.create', false], // "agents.*" is a prefix up to the dot
    ['user:alice', 't1', '*', 'tasks.submit', true],
    ['user:alice', 't1', '*', 'tasks.cancel', false],
    ['user:alice', 't1', 'agents/secret', 'agents.pause', false], // deny beats the role's allow
    ['user:alice', 't1', 'agents/secret', 'agents.get', true], // the deny names one action
    ['user:alice', 't1', 'tools/weather', 'tools.call', true],
    ['user:alice', 't1', 'tools/a/b', 'tools.call', true],
    ['user:alice', 't1', 'toolsx/weather', 'tools.call', false],
    ['user:alice', 't1', '*', 'tools.call', false], // a rule on tools/* does not cover "every resource"
    ['user:alice', 't1', 'kb/handbook', 'kb.read', true],
    ['user:alice', 't1', 'kb/handbook2', 'kb.read', false],
    ['user:root', 't1', 'anything/at-all', 'whatever.verb', true],
    ['user:bob', 't1', '*', 'agents.get', false], // no binding
    ['user:alice', 't2', '*', 'agents.pause', false], // her binding is in t1 only
    ['user:root', 't2', '*', 'agents.get', false],
  ])('%s in %s on %s: %s → %s', (subject, tenant, resource, action, allowed) => {
    expect(enforcer.enforceSync(subject, tenant, resource, action)).toBe(allowed);
  });

  it('explains with the deciding line: the deny that matched', () => {
    expect(enforcer.enforceExSync('user:alice', 't1', 'agents/secret', 'agents.pause')).toEqual([
      false,
      ['user:alice', 't1', 'agents/secret', 'agents.pause', 'deny', 'rule:r1'],
    ]);
    expect(enforcer.enforceExSync('user:alice', 't1', 'tools/x', 'tools.call')).toEqual([
      true,
      ['user:alice', 't1', 'tools/*', 'tools.call', 'allow', 'rule:r2'],
    ]);
    expect(enforcer.enforceExSync('user:bob', 't1', '*', 'agents.get')).toEqual([false, []]);
  });
});

describe('TenantEnforcer', () => {
  it('decides over the lines the subject reaches exactly as casbin does over every line', () => {
    const tenant = new TenantEnforcer('t1');
    const roles = ['a', 'b', 'c', 'd'];
    const actions = ['agents.get', 'agents.pause', 'tasks.submit', 'tools.call', 'kb.read'];
    const resources = ['*', 'agents/1', 'agents/2', 'tools/x', 'tools/y', 'kb/1'];
    const patterns = ['*', 'agents.*', 'agents.get', 'tools.call', 'tasks.*', 'kb.read'];
    const resourcePatterns = ['*', 'agents/*', 'agents/1', 'tools/*', 'tools/x', 'kb/1'];
    // A deterministic pseudo-random policy: role permissions, role inheritance, bindings, rules.
    let seed = 42;
    const next = (n: number) => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n) | 0;
    };
    for (const role of roles)
      for (let i = 0; i < 3; i++)
        tenant.addLine([`role:${role}`, 't1', '*', patterns[next(patterns.length)]!, 'allow', `role:${role}`]);
    tenant.addLink('role:d', 'role:a');
    for (let u = 0; u < 20; u++) if (next(3) > 0) tenant.addLink(`user:${u}`, `role:${roles[next(roles.length)]}`);
    for (let r = 0; r < 200; r++) {
      const subject = next(5) === 0 ? `role:${roles[next(roles.length)]}` : `user:${next(20)}`;
      tenant.addLine(
        [
          subject,
          't1',
          resourcePatterns[next(resourcePatterns.length)]!,
          patterns[next(patterns.length)]!,
          next(4) === 0 ? 'deny' : 'allow',
          `rule:${r}`,
        ],
        next(5) === 0,
      );
    }
    let allowed = 0;
    for (let i = 0; i < 2000; i++) {
      const subject = `user:${next(22)}`;
      const resource = resources[next(resources.length)]!;
      const action = actions[next(actions.length)]!;
      const decision = tenant.decide(subject, resource, action);
      expect(decision.allowed, `${subject} ${resource} ${action}`).toBe(
        tenant.decideOverAllLines(subject, resource, action),
      );
      if (decision.allowed) allowed++;
    }
    // The sample must exercise both outcomes to prove anything.
    expect(allowed).toBeGreaterThan(200);
    expect(allowed).toBeLessThan(1800);
  });

  it('reports the approval-requiring allow when one matches, and the first hop of the role path', () => {
    const tenant = new TenantEnforcer('t1');
    tenant.addLine(['role:ops', 't1', '*', 'tools.*', 'allow', 'role:ops']);
    tenant.addLine(['role:ops', 't1', 'tools/pay', 'tools.call', 'allow', 'rule:approve'], true);
    tenant.addLine(['role:base', 't1', '*', 'agents.get', 'allow', 'role:base']);
    tenant.addLink('user:u', 'role:ops');
    tenant.addLink('role:ops', 'role:base');
    expect(tenant.decide('user:u', 'tools/pay', 'tools.call')).toEqual({
      allowed: true,
      line: ['role:ops', 't1', 'tools/pay', 'tools.call', 'allow', 'rule:approve'],
      via: 'role:ops',
    });
    expect(tenant.decide('user:u', 'tools/other', 'tools.call').line?.[5]).toBe('role:ops');
    expect(tenant.decide('user:u', '*', 'agents.get')).toEqual({
      allowed: true,
      line: ['role:base', 't1', '*', 'agents.get', 'allow', 'role:base'],
      via: 'role:ops',
    });
  });

  it('applies removals at once: a removed link or line grants nothing in the same tick', async () => {
    const tenant = new TenantEnforcer('t1');
    tenant.addLine(['role:ops', 't1', '*', 'agents.pause', 'allow', 'role:ops']);
    tenant.addLine(['user:u', 't1', '*', 'tasks.submit', 'allow', 'rule:1']);
    tenant.addLink('user:u', 'role:ops');
    expect(tenant.decide('user:u', '*', 'agents.pause').allowed).toBe(true);
    tenant.removeLink('user:u', 'role:ops');
    expect(tenant.decide('user:u', '*', 'agents.pause').allowed).toBe(false);
    expect(tenant.decideOverAllLines('user:u', '*', 'agents.pause')).toBe(false);
    tenant.removeLine(['user:u', 't1', '*', 'tasks.submit', 'allow', 'rule:1']);
    expect(tenant.decide('user:u', '*', 'tasks.submit').allowed).toBe(false);
    expect(await tenant.enforcer.getPolicy()).toEqual([['role:ops', 't1', '*', 'agents.pause', 'allow', 'role:ops']]);
    expect(await tenant.enforcer.getGroupingPolicy()).toEqual([]);
  });
});
