import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, statusOf, type TestStack } from '@aos/testing';
import { rid, unique } from './support/governance-fixtures';

/**
 * GetAgent by name: the guard can only check the tenant before the name is
 * resolved, so the agent found must be checked as a lookup by its id is. A
 * rule denying agents/<id> hides the agent by name as it does by id.
 */
let t: TestStack;
beforeAll(async () => {
  t = await startTestStack();
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

describe('GetAgent by name is authorized on the agent it finds', () => {
  it('refuses by name exactly as by id where a rule denies agents/<id>, and still finds the others', async () => {
    const hidden = await t.client.agents.createAgent({ agent: { name: unique('payroll') }, requestId: rid() });
    const open = await t.client.agents.createAgent({ agent: { name: unique('helpdesk') }, requestId: rid() });
    const principal = await t.client.governance.createPrincipal({
      principal: { kind: 'USER' as never, name: unique('viewer') },
      requestId: rid(),
    });
    // viewer grants agents.get on every agent of the tenant; the rule takes one away.
    await t.client.governance.assignRole({ subject: principal.subject, role: 'viewer', requestId: rid() });
    await t.client.governance.addPolicyRule({
      rule: {
        subject: principal.subject,
        action: 'agents.get',
        resource: `agents/${hidden.id}`,
        effect: 'DENY' as never,
      },
      requestId: rid(),
    });
    const { secret } = await t.client.governance.createApiKey({ principalId: principal.id, requestId: rid() });
    const asViewer = t.clientWithKey(secret);

    const byId = await statusOf(asViewer.agents.getAgent({ id: hidden.id }));
    const byName = await statusOf(asViewer.agents.getAgent({ name: hidden.name }));
    const byOtherCase = await statusOf(asViewer.agents.getAgent({ name: hidden.name.toUpperCase() }));

    const refusal = `${principal.subject} lacks permission agents.get on agents/${hidden.id}, required by AgentService.GetAgent`;
    expect([byId.code, byId.details]).toEqual(['PERMISSION_DENIED', refusal]);
    expect([byName.code, byName.details]).toEqual(['PERMISSION_DENIED', refusal]);
    expect([byOtherCase.code, byOtherCase.details]).toEqual(['PERMISSION_DENIED', refusal]);
    expect(await asViewer.agents.getAgent({ name: open.name })).toEqual(open);
    // The administrator has no such rule: the agent itself is there.
    expect((await t.client.agents.getAgent({ name: hidden.name })).id).toBe(hidden.id);
  });

  it('answers NOT_FOUND for a name that names nothing, for a caller allowed on the tenant', async () => {
    const missing = unique('nobody');
    const answer = await statusOf(t.client.agents.getAgent({ name: missing }));
    expect([answer.code, answer.details]).toEqual(['NOT_FOUND', `agent "${missing}" not found`]);
  });
});
