import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tool } from '@aos/contracts';
import { startTestStack, statusOf, type TestStack } from '@aos/testing';

/**
 * Names wherever ids are taken: the Get methods find an agent, tool, knowledge
 * base or principal by its name (through the gateway, as the CLI asks), and
 * `aos` takes a name wherever it takes an id.
 */
let t: TestStack;
beforeAll(async () => {
  t = await startTestStack();
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

const rid = () => randomUUID();
const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

describe('Get by name through the gateway', () => {
  it('finds an agent by its name, case-insensitively as names are reserved', async () => {
    const name = unique('Billing-Helper');
    const agent = await t.client.agents.createAgent({ agent: { name }, requestId: rid() });
    expect(await t.client.agents.getAgent({ name })).toEqual(agent);
    expect(await t.client.agents.getAgent({ name: name.toLowerCase() })).toEqual(agent);
  });

  it('finds a tool, a knowledge base and a principal by name', async () => {
    const tool = await t.client.tools.registerTool({
      tool: {
        name: unique('refund'),
        description: 'Refunds an order',
        risk: 'READ' as Tool['risk'],
        http: { endpoint: 'https://pay.example.com/refunds', method: 'POST' },
        inputSchemaJson: '{"type":"object"}',
      } as Tool,
      requestId: rid(),
    });
    expect(await t.client.tools.getTool({ name: tool.name })).toEqual(tool);

    const kb = await t.client.knowledge.createKnowledgeBase({
      knowledgeBase: { name: unique('handbook') },
      requestId: rid(),
    });
    expect(await t.client.knowledge.getKnowledgeBase({ name: kb.name })).toEqual(kb);

    const principal = await t.client.governance.createPrincipal({
      principal: { kind: 'USER' as never, name: unique('Alice') },
      requestId: rid(),
    });
    expect(await t.client.governance.getPrincipal({ name: principal.name.toUpperCase() })).toEqual(principal);
  });

  it('answers NOT_FOUND naming a name that names nothing, of each kind', async () => {
    const missing = unique('nobody');
    const answers = await Promise.all([
      statusOf(t.client.agents.getAgent({ name: missing })),
      statusOf(t.client.tools.getTool({ name: missing })),
      statusOf(t.client.knowledge.getKnowledgeBase({ name: missing })),
      statusOf(t.client.governance.getPrincipal({ name: missing })),
    ]);
    expect(answers.map((a) => [a.code, a.details])).toEqual([
      ['NOT_FOUND', `agent "${missing}" not found`],
      ['NOT_FOUND', `tool "${missing}" not found`],
      ['NOT_FOUND', `knowledge base "${missing}" not found`],
      ['NOT_FOUND', `principal "${missing}" not found`],
    ]);
  });

  it('refuses both id and name, and neither, naming the field', async () => {
    const id = randomUUID();
    const both = await Promise.all([
      statusOf(t.client.agents.getAgent({ id, name: 'x' })),
      statusOf(t.client.tools.getTool({ id, name: 'x' })),
      statusOf(t.client.knowledge.getKnowledgeBase({ id, name: 'x' })),
      statusOf(t.client.governance.getPrincipal({ id, name: 'x' })),
    ]);
    for (const answer of both) {
      expect([answer.code, answer.details]).toEqual([
        'INVALID_ARGUMENT',
        'name: must not be set together with id (give one of them)',
      ]);
    }
    const neither = await statusOf(t.client.agents.getAgent({}));
    expect([neither.code, neither.details]).toEqual(['INVALID_ARGUMENT', 'id: is required (or name instead)']);
  });

  it('asks about the knowledge base it found: a rule denying kb/<id> is not sidestepped by its name', async () => {
    const kb = await t.client.knowledge.createKnowledgeBase({
      knowledgeBase: { name: unique('secret') },
      requestId: rid(),
    });
    const principal = await t.client.governance.createPrincipal({
      principal: { kind: 'USER' as never, name: unique('reader') },
      requestId: rid(),
    });
    await t.client.governance.assignRole({ subject: principal.subject, role: 'viewer', requestId: rid() });
    const rule = await t.client.governance.addPolicyRule({
      rule: { subject: principal.subject, action: 'knowledge.read', resource: `kb/${kb.id}`, effect: 'DENY' as never },
      requestId: rid(),
    });
    const { secret } = await t.client.governance.createApiKey({ principalId: principal.id, requestId: rid() });
    const asReader = t.clientWithKey(secret);
    const byName = await statusOf(
      asReader.knowledge.getKnowledgeBase({ name: kb.name, minPosition: rule.logPosition }),
    );
    expect([byName.code, byName.details]).toEqual([
      'PERMISSION_DENIED',
      `the caller lacks permission knowledge.read on kb/${kb.id}`,
    ]);
    const other = await t.client.knowledge.createKnowledgeBase({
      knowledgeBase: { name: unique('open') },
      requestId: rid(),
    });
    expect((await asReader.knowledge.getKnowledgeBase({ name: other.name, minPosition: other.logPosition })).id).toBe(
      other.id,
    );
  });
});
