import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GovernanceSubjects,
  type Agent,
  type AgentChange,
  type Approval,
  type CheckAccessResponse,
  type CreateTenantResponse,
  type Event,
  type ListAgentsResponse,
  type ListApiKeysResponse,
  type ListEventsResponse,
  type ListPolicyRulesResponse,
  type ListRoleBindingsResponse,
  type PolicyRule,
  type Budget,
} from '@aos/contracts';
import { ServiceClient } from '@aos/messaging';
import { startTestStack, type TestStack } from '@aos/testing';
import { GatewayCaller } from './support/gateway-caller';
import { principalWithKey, rid, unique, type KeyHolder } from './support/governance-fixtures';

/**
 * Tenant A (the default tenant, whose admin is also a system administrator)
 * and tenant B: with A's key, nothing of B's can be read, changed or watched,
 * and B's resources by id are NOT_FOUND, as if they did not exist.
 */
let t: TestStack;
let gateway: GatewayCaller;
let a: string;
let b: { tenantId: string; key: string; agent: Agent; holder: KeyHolder; rule: PolicyRule; approval: Approval };

async function statusOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'OK';
  } catch (err) {
    return (err as { code: string }).code;
  }
}

beforeAll(async () => {
  t = await startTestStack();
  gateway = new GatewayCaller(t.gatewayAddr);
  a = t.apiKey;
  const tenantId = unique('tenant-b');
  const created = await gateway.unary<CreateTenantResponse>(
    'GovernanceService',
    'CreateTenant',
    { tenant: { id: tenantId, displayName: 'Tenant B' }, requestId: rid() },
    a,
  );
  const bKey = created.adminApiKeySecret;
  const agent = await gateway.unary<Agent>(
    'AgentService',
    'CreateAgent',
    { requestId: rid(), agent: { name: unique('b-agent') } },
    bKey,
  );
  await gateway.unary('AgentService', 'DeployAgent', { id: agent.id, requestId: rid() }, bKey);
  const holder = await principalWithKey(gateway, bKey, { role: 'viewer' });
  const rule = await gateway.unary<PolicyRule>(
    'GovernanceService',
    'AddPolicyRule',
    {
      rule: { subject: holder.principal.subject, action: 'agents.get', resource: `agents/${agent.id}`, effect: 'DENY' },
      requestId: rid(),
    },
    bKey,
  );
  await gateway.unary(
    'GovernanceService',
    'SetBudget',
    { scope: 'AGENT', agentId: agent.id, period: 'MONTHLY', tokenLimit: 777_777, requestId: rid() },
    bKey,
  );
  // Approvals are requested by the runtime over NATS, never through the gateway.
  const nats = new ServiceClient(t.natsUrl);
  await nats.connect();
  try {
    const approval = await nats.request(
      GovernanceSubjects.requestApproval,
      { tenantId, actor: { kind: 'agent', id: agent.id }, correlationId: rid() },
      {
        subject: `agent:${agent.id}`,
        action: 'tools.call',
        resource: 'tools/payments',
        reason: 'refund',
        requestId: rid(),
      },
    );
    b = { tenantId, key: bKey, agent, holder, rule, approval };
  } finally {
    await nats.close();
  }
});
afterAll(async () => {
  gateway?.close();
  await t?.stop();
});

describe('tenant isolation through the gateway', () => {
  it('B sees its own resources (so the ids below are real)', async () => {
    await expect(gateway.unary<Agent>('AgentService', 'GetAgent', { id: b.agent.id }, b.key)).resolves.toMatchObject({
      id: b.agent.id,
    });
    await expect(
      gateway.unary('GovernanceService', 'GetPrincipal', { id: b.holder.principal.id }, b.key),
    ).resolves.toMatchObject({ id: b.holder.principal.id });
    expect(b.approval.id).toBeTruthy();
  });

  it.each([
    ['GetAgent', {}],
    ['UpdateAgent', { agent: { description: 'x' }, updateMask: ['description'], requestId: rid() }],
    ['DeployAgent', { requestId: rid() }],
    ['PauseAgent', { requestId: rid() }],
    ['ResumeAgent', { requestId: rid() }],
    ['RetireAgent', { requestId: rid() }],
    ['ListAgentVersions', {}],
    ['RollbackAgent', { toVersion: 1, requestId: rid() }],
  ])('AgentService.%s on B’s agent → NOT_FOUND', async (method, body) => {
    expect(await statusOf(gateway.unary('AgentService', method, { id: b.agent.id, ...body }, a))).toBe('NOT_FOUND');
  });

  it.each([
    ['GetPrincipal', () => ({ id: b.holder.principal.id })],
    ['CreateApiKey', () => ({ principalId: b.holder.principal.id, requestId: rid() })],
    ['RevokeApiKey', () => ({ id: b.holder.keyId, requestId: rid() })],
    ['RemovePolicyRule', () => ({ id: b.rule.id, requestId: rid() })],
    ['DecideApproval', () => ({ id: b.approval.id, approve: true, reason: 'mine now', requestId: rid() })],
  ])('GovernanceService.%s on B’s id → NOT_FOUND', async (method, body) => {
    expect(await statusOf(gateway.unary('GovernanceService', method, body(), a))).toBe('NOT_FOUND');
  });

  it('B’s key, approval and agent were left untouched by those attempts', async () => {
    await expect(gateway.unary('GovernanceService', 'WhoAmI', {}, b.holder.key)).resolves.toMatchObject({
      tenantId: b.tenantId,
    });
    const agent = await gateway.unary<Agent>('AgentService', 'GetAgent', { id: b.agent.id }, b.key);
    expect(agent.state).toBe('ACTIVE');
    const approvals = await gateway.unary<{ approvals: Approval[] }>('GovernanceService', 'ListApprovals', {}, b.key);
    expect(approvals.approvals.find((x) => x.id === b.approval.id)?.state).toBe('PENDING');
  });

  it('lists and queries by subject show nothing of B', async () => {
    const agents = await gateway.unary<ListAgentsResponse>('AgentService', 'ListAgents', { pageSize: 1000 }, a);
    expect(agents.agents.map((x) => x.id)).not.toContain(b.agent.id);
    const keys = await gateway
      .unary<ListApiKeysResponse>('GovernanceService', 'ListApiKeys', { principalId: b.holder.principal.id }, a)
      .then(
        (r) => r.apiKeys.map((k) => k.id),
        (err: { code: string }) => err.code,
      );
    expect(keys === 'NOT_FOUND' || (Array.isArray(keys) && keys.length === 0)).toBe(true);
    const bindings = await gateway.unary<ListRoleBindingsResponse>(
      'GovernanceService',
      'ListRoleBindings',
      { subject: b.holder.principal.subject },
      a,
    );
    expect(bindings.bindings).toEqual([]);
    const rules = await gateway.unary<ListPolicyRulesResponse>(
      'GovernanceService',
      'ListPolicyRules',
      { subject: b.holder.principal.subject },
      a,
    );
    expect(rules.rules).toEqual([]);
    const approvals = await gateway.unary<{ approvals: Approval[] }>('GovernanceService', 'ListApprovals', {}, a);
    expect(approvals.approvals.map((x) => x.id)).not.toContain(b.approval.id);
    const check = await gateway
      .unary<CheckAccessResponse>(
        'GovernanceService',
        'CheckAccess',
        { subject: b.holder.principal.subject, action: 'agents.list' },
        a,
      )
      .catch(() => undefined);
    expect(check?.allowed ?? false).toBe(false);
    const budget = await gateway
      .unary<Budget>('GovernanceService', 'GetBudget', { scope: 'AGENT', agentId: b.agent.id }, a)
      .catch(() => undefined);
    expect(budget?.tokenLimit ?? 0).not.toBe(777_777);
  });

  it('ListEvents and ReplayEvents from 0 show none of B’s events', async () => {
    const listed: Event[] = [];
    let pageToken = '';
    do {
      const page = await gateway.unary<ListEventsResponse>(
        'AuditService',
        'ListEvents',
        { pageSize: 1000, pageToken },
        a,
      );
      listed.push(...page.events);
      pageToken = page.nextPageToken;
    } while (pageToken);
    const replayed = (await gateway.call('AuditService', 'ReplayEvents', { afterPosition: 0 }, `Bearer ${a}`, 10_000))
      .messages as Event[];
    expect(replayed.length).toBeGreaterThan(0);
    for (const events of [listed, replayed]) {
      expect(events.filter((e) => e.metadata?.tenantId !== 'default')).toEqual([]);
      expect(events.filter((e) => e.stream === `agent-${b.agent.id}` || e.dataJson.includes(b.agent.id))).toEqual([]);
    }
    const byStream = await gateway.unary<ListEventsResponse>(
      'AuditService',
      'ListEvents',
      { stream: `agent-${b.agent.id}` },
      a,
    );
    expect(byStream.events).toEqual([]);
  });

  it('WatchAgents delivers A’s changes and none of B’s', async () => {
    const watching = gateway.call('AgentService', 'WatchAgents', { afterPosition: 0 }, `Bearer ${a}`, 4_000);
    await new Promise((r) => setTimeout(r, 500));
    await gateway.unary('AgentService', 'PauseAgent', { id: b.agent.id, requestId: rid() }, b.key);
    const mine = await gateway.unary<Agent>(
      'AgentService',
      'CreateAgent',
      { requestId: rid(), agent: { name: unique('a-agent') } },
      a,
    );
    await gateway.unary('AgentService', 'ResumeAgent', { id: b.agent.id, requestId: rid() }, b.key);
    const changes = (await watching).messages as AgentChange[];
    expect(changes.map((c) => c.agent?.id)).toContain(mine.id);
    expect(changes.filter((c) => c.agent?.id === b.agent.id || c.agent?.tenantId !== 'default')).toEqual([]);
  });
});
