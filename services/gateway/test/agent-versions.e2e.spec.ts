import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, statusOf, type TestStack } from '@aos/testing';
import { rid, unique } from './support/governance-fixtures';

/** Definition history and rollback (issue 13's Agents page), through the gRPC gateway of the whole stack. */
let t: TestStack;
beforeAll(async () => {
  t = await startTestStack();
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

describe('AgentService.ListAgentVersions and RollbackAgent', () => {
  it('lists versions newest first, rolls back to v1 as a new v4 with its definition, and the audit shows it', async () => {
    const api = t.client.agents;
    const name = unique('history');
    const created = await api.createAgent({
      agent: { name, model: 'gpt-a', instructions: 'Be brief.', capabilities: ['billing'] },
      requestId: rid(),
    });
    await api.updateAgent({
      id: created.id,
      agent: { model: 'gpt-b', toolIds: ['t-1'] },
      updateMask: ['model', 'tool_ids'],
      requestId: rid(),
    });
    const v3 = await api.updateAgent({
      id: created.id,
      agent: { instructions: 'Be thorough.', capabilities: ['billing', 'refunds'] },
      updateMask: ['instructions', 'capabilities'],
      requestId: rid(),
    });
    expect(v3.definitionVersion).toBe(3);

    const listed = await api.listAgentVersions({ id: created.id, minPosition: v3.logPosition });
    expect(listed.totalSize).toBe(3);
    expect(
      listed.versions.map((v) => [v.definitionVersion, v.model, v.toolIds, v.instructions, v.changedFields]),
    ).toEqual([
      [3, 'gpt-b', ['t-1'], 'Be thorough.', ['capabilities', 'instructions']],
      [2, 'gpt-b', ['t-1'], 'Be brief.', ['model', 'tool_ids']],
      [1, 'gpt-a', [], 'Be brief.', []],
    ]);
    expect(listed.versions.every((v) => v.name === name && v.createdBy === created.createdBy)).toBe(true);

    const rolled = await api.rollbackAgent({
      id: created.id,
      toVersion: 1,
      expectedRevision: v3.revision,
      requestId: rid(),
    });
    expect(rolled).toMatchObject({
      definitionVersion: 4,
      model: 'gpt-a',
      toolIds: [],
      instructions: 'Be brief.',
      capabilities: ['billing'],
    });
    const [newest] = (await api.listAgentVersions({ id: created.id, minPosition: rolled.logPosition })).versions;
    expect(newest).toMatchObject({
      definitionVersion: 4,
      rolledBackTo: 1,
      model: 'gpt-a',
      logPosition: rolled.logPosition,
    });

    const audit = await t.client.audit.listEvents({ stream: `agent-${created.id}`, pageSize: 100 });
    const last = audit.events.at(-1)!;
    expect(last.type).toBe('AgentUpdated');
    expect(JSON.parse(last.dataJson)).toMatchObject({
      definitionVersion: 4,
      rolledBackTo: 1,
      changedFields: ['capabilities', 'instructions', 'model', 'toolIds'],
    });
  });

  it('answers NOT_FOUND for a missing version or agent and INVALID_ARGUMENT naming to_version', async () => {
    const agent = await t.client.agents.createAgent({ agent: { name: unique('short') }, requestId: rid() });
    const missing = await statusOf(t.client.agents.rollbackAgent({ id: agent.id, toVersion: 2, requestId: rid() }));
    expect([missing.code, missing.details]).toEqual(['NOT_FOUND', `agent version "${agent.id} v2" not found`]);
    const nobody = await statusOf(t.client.agents.listAgentVersions({ id: randomUUID() }));
    expect(nobody.code).toBe('NOT_FOUND');
    const zero = await statusOf(t.client.agents.rollbackAgent({ id: agent.id, toVersion: 0, requestId: rid() }));
    expect([zero.code, zero.details]).toEqual(['INVALID_ARGUMENT', 'to_version: is required']);
  });

  it('lets a viewer read the history but not roll back', async () => {
    const agent = await t.client.agents.createAgent({ agent: { name: unique('guarded') }, requestId: rid() });
    await t.client.agents.updateAgent({
      id: agent.id,
      agent: { model: 'gpt-b' },
      updateMask: ['model'],
      requestId: rid(),
    });
    const principal = await t.client.governance.createPrincipal({
      principal: { kind: 'USER' as never, name: unique('viewer') },
      requestId: rid(),
    });
    await t.client.governance.assignRole({ subject: principal.subject, role: 'viewer', requestId: rid() });
    const { secret } = await t.client.governance.createApiKey({ principalId: principal.id, requestId: rid() });
    const asViewer = t.clientWithKey(secret);

    expect((await asViewer.agents.listAgentVersions({ id: agent.id })).totalSize).toBe(2);
    const refused = await statusOf(asViewer.agents.rollbackAgent({ id: agent.id, toVersion: 1, requestId: rid() }));
    expect([refused.code, refused.details]).toEqual([
      'PERMISSION_DENIED',
      `${principal.subject} lacks permission agents.update on agents/${agent.id}, required by AgentService.RollbackAgent`,
    ]);
    expect((await t.client.agents.getAgent({ id: agent.id })).definitionVersion).toBe(2);
  });
});
