import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '@aos/testing';
import type { Event } from '@aos/contracts';

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack();
});
afterAll(async () => {
  await t?.stop();
});

describe('the audit trail through the gateway', () => {
  it('ReplayEvents from position 0 returns every event with its full envelope', async () => {
    const requestId = randomUUID();
    const agent = await t.client.agents.createAgent({ requestId, agent: { name: `replay-${requestId.slice(0, 8)}` } });
    await t.client.agents.deployAgent({ id: agent.id, requestId: randomUUID() });

    const events: Event[] = [];
    for await (const e of t.client.audit.replayEvents({ afterPosition: 0 })) events.push(e);
    const positions = events.map((e) => e.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    const created = events.find((e) => e.type === 'AgentCreated' && e.stream === `agent-${agent.id}`)!;
    expect(created).toBeDefined();
    expect(created.revision).toBe(0);
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.time?.seconds).toBeGreaterThan(1_700_000_000);
    expect(JSON.parse(created.dataJson)).toMatchObject({ agentId: agent.id, definition: { name: agent.name } });
    // The actor is the bootstrap admin's principal, which lifecycle also records as the creator.
    const { createdBy } = await t.client.agents.getAgent({ id: agent.id });
    expect(createdBy).not.toBe('');
    expect(created.metadata).toMatchObject({
      tenantId: 'default',
      actor: { kind: 'user', id: createdBy },
      requestId,
      causationId: requestId,
      schemaVersion: 1,
    });
    expect(created.metadata?.correlationId).toBeTruthy();
    expect(events.some((e) => e.type === 'AgentDeployed' && e.stream === `agent-${agent.id}`)).toBe(true);
  });

  it('with follow, a new event arrives within 1 s of its append', async () => {
    const head = await t.client.audit.listEvents({ pageSize: 1000 });
    const after = head.events.at(-1)?.position ?? 0;
    const stream = t.client.audit.replayEvents({ afterPosition: after, follow: true });
    const iterator = stream[Symbol.asyncIterator]();
    const firstEvent = iterator.next();
    // Give the subscription a moment to be in place, so that what is measured is delivery.
    await new Promise((r) => setTimeout(r, 200));
    const sentAt = Date.now();
    const agent = await t.client.agents.createAgent({
      requestId: randomUUID(),
      agent: { name: `follow-${randomUUID().slice(0, 8)}` },
    });
    const { value } = await firstEvent;
    const latencyMs = Date.now() - sentAt;
    stream.cancel();
    expect((value as Event).stream).toBe(`agent-${agent.id}`);
    expect(latencyMs).toBeLessThan(1000);
  });

  it('ListEvents filters by stream, event type and actor', async () => {
    const agent = await t.client.agents.createAgent({
      requestId: randomUUID(),
      agent: { name: `audit-${randomUUID().slice(0, 8)}` },
    });
    const deployed = await t.client.agents.deployAgent({ id: agent.id, requestId: randomUUID() });
    const byStream = await t.client.audit.listEvents({
      stream: `agent-${agent.id}`,
      minPosition: deployed.logPosition,
    });
    expect(byStream.events.map((e) => e.type)).toEqual(['AgentCreated', 'AgentDeployed']);
    const byType = await t.client.audit.listEvents({ stream: `agent-${agent.id}`, eventTypes: ['AgentDeployed'] });
    expect(byType.events.map((e) => e.type)).toEqual(['AgentDeployed']);
    const nobody = await t.client.audit.listEvents({ stream: `agent-${agent.id}`, actorId: 'someone-else' });
    expect(nobody.events).toEqual([]);
  });
});
