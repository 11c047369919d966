import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GovernanceSubjects,
  type CreateApiKeyResponse,
  type CreateTenantResponse,
  type Event,
  type ListEventsResponse,
  type PolicyRule,
  type Principal,
  type WhoAmIResponse,
} from '@aos/contracts';
import { ServiceClient } from '@aos/messaging';
import { startTestStack, type TestStack } from '@aos/testing';
import { GatewayCaller } from './support/gateway-caller';
import { rid, unique } from './support/governance-fixtures';

/** Every governance change made through the gateway is in the audit trail, with the admin who made it as actor. */
let t: TestStack;
let gateway: GatewayCaller;

beforeAll(async () => {
  t = await startTestStack();
  gateway = new GatewayCaller(t.gatewayAddr);
});
afterAll(async () => {
  gateway?.close();
  await t?.stop();
});

async function eventsAfter(position: number, key: string): Promise<Event[]> {
  const events: Event[] = [];
  let pageToken = '';
  do {
    const page = await gateway.unary<ListEventsResponse>(
      'AuditService',
      'ListEvents',
      { pageSize: 1000, pageToken },
      key,
    );
    events.push(...page.events.filter((e) => e.position > position));
    pageToken = page.nextPageToken;
  } while (pageToken);
  return events;
}

describe('governance changes in the audit trail', () => {
  it('records each change with its actor', async () => {
    const admin = await gateway.unary<WhoAmIResponse>('GovernanceService', 'WhoAmI', {}, t.apiKey);
    const adminActor = { kind: 'user', id: admin.principal!.id };
    const before =
      (await gateway.unary<ListEventsResponse>('AuditService', 'ListEvents', { pageSize: 1000 }, t.apiKey)).events.at(
        -1,
      )?.position ?? 0;

    const gov = <T>(method: string, body: object) =>
      gateway.unary<T>('GovernanceService', method, { requestId: rid(), ...body }, t.apiKey);
    const principal = await gov<Principal>('CreatePrincipal', { principal: { kind: 'USER', name: unique('p') } });
    const key = await gov<CreateApiKeyResponse>('CreateApiKey', { principalId: principal.id });
    await gov('RevokeApiKey', { id: key.apiKey!.id });
    const role = unique('role');
    await gov('DefineRole', { role: { name: role, permissions: ['agents.get'], description: 'e2e' } });
    await gov('AssignRole', { subject: principal.subject, role });
    await gov('RevokeRole', { subject: principal.subject, role });
    const rule = await gov<PolicyRule>('AddPolicyRule', {
      rule: { subject: principal.subject, action: 'agents.get', resource: '*', effect: 'ALLOW' },
    });
    await gov('RemovePolicyRule', { id: rule.id });
    await gov('SetBudget', { scope: 'TENANT', period: 'MONTHLY', tokenLimit: 1000 });
    const nats = new ServiceClient(t.natsUrl);
    await nats.connect();
    const approval = await nats
      .request(
        GovernanceSubjects.requestApproval,
        { tenantId: 'default', actor: { kind: 'agent', id: 'a-1' }, correlationId: rid() },
        { subject: 'agent:a-1', action: 'tools.call', resource: 'tools/x', reason: 'e2e', requestId: rid() },
      )
      .finally(() => nats.close());
    await gov('DecideApproval', { id: approval.id, approve: false, reason: 'not today' });

    const expected = [
      'PrincipalCreated',
      'ApiKeyCreated',
      'ApiKeyRevoked',
      'RoleDefined',
      'RoleAssigned',
      'RoleRevoked',
      'PolicyRuleAdded',
      'PolicyRuleRemoved',
      'BudgetSet',
      'ApprovalRejected',
    ];
    const events = (await eventsAfter(before, t.apiKey)).filter((e) => expected.includes(e.type));
    expect(events.map((e) => e.type)).toEqual(expected);
    for (const e of events) expect(e.metadata?.actor, e.type).toEqual(adminActor);

    // A new tenant's creation is in that tenant's trail, made by the system administrator of the default tenant.
    const tenantId = unique('tenant');
    const created = await gov<CreateTenantResponse>('CreateTenant', { tenant: { id: tenantId, displayName: 'T' } });
    const theirs = await eventsAfter(0, created.adminApiKeySecret);
    expect(theirs.map((e) => e.type)).toEqual(
      expect.arrayContaining(['TenantCreated', 'PrincipalCreated', 'RoleAssigned', 'ApiKeyCreated']),
    );
    for (const e of theirs) {
      expect(e.metadata?.tenantId).toBe(tenantId);
      expect(e.metadata?.actor, e.type).toEqual(adminActor);
    }
  });
});
