import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent, Task, Tool } from '@aos/contracts';
import { startTestStack, statusOf, type TestStack } from '@aos/testing';
import { aosBinary } from './aos-binary';

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

const { aos, json } = aosBinary(() => t);
const rid = () => randomUUID();
const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

function registerTool(name: string): Promise<Tool> {
  const tool = {
    name,
    description: 'Looks up an invoice',
    risk: 'READ' as Tool['risk'],
    http: { endpoint: 'https://pay.example.com/invoices', method: 'GET' },
    inputSchemaJson: '{"type":"object"}',
  } as Tool;
  return t.client.tools.registerTool({ tool, requestId: rid() });
}

describe('Get by name through the gateway', () => {
  it('finds an agent by its name, case-insensitively as names are reserved', async () => {
    const name = unique('Billing-Helper');
    const agent = await t.client.agents.createAgent({ agent: { name }, requestId: rid() });
    expect(await t.client.agents.getAgent({ name })).toEqual(agent);
    expect(await t.client.agents.getAgent({ name: name.toLowerCase() })).toEqual(agent);
  });

  it('finds a tool, a knowledge base and a principal by name', async () => {
    const tool = await registerTool(unique('refund'));
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

describe('aos takes names wherever it takes ids', () => {
  it('pauses an agent by its name (the acceptance check of issue 12)', async () => {
    const name = unique('billing-helper');
    const agent = await t.client.agents.createAgent({ agent: { name }, requestId: rid() });
    expect((await aos('agents', 'deploy', name)).code).toBe(0);

    const paused = await aos('agents', 'pause', name, '--reason', 'by name');

    expect(paused).toMatchObject({ code: 0, stderr: '' });
    expect(paused.stdout).toMatch(/^STATE +PAUSED$/m);
    expect(await t.client.agents.getAgent({ id: agent.id })).toMatchObject({ state: 'PAUSED', revision: 2 });
  });

  it('answers NOT_FOUND naming a name that names nothing, with exit 1', async () => {
    const missing = unique('no-such-agent');

    const refused = await aos('agents', 'pause', missing);

    expect(refused).toEqual({ code: 1, stdout: '', stderr: `error: NOT_FOUND: agent "${missing}" not found\n` });
  });

  it('takes names for tools, knowledge bases and principals, and gives an agent its tools and knowledge by name', async () => {
    const tool = await registerTool(unique('lookup'));
    const kb = await t.client.knowledge.createKnowledgeBase({
      knowledgeBase: { name: unique('policies') },
      requestId: rid(),
    });
    const principalName = unique('ci-deployer');
    const principal = await json<{ id: string }>('principals', 'create', '--name', principalName, '--kind', 'service');

    expect(await json<Tool>('tools', 'get', tool.name)).toMatchObject({ id: tool.id });
    expect(await json<{ id: string }>('kb', 'get', kb.name)).toMatchObject({ id: kb.id });
    expect(await json<{ id: string }>('principals', 'get', principalName)).toMatchObject({ id: principal.id });
    const key = await aos('keys', 'create', '--principal', principalName, '--json');
    expect(key.code).toBe(0);
    expect((JSON.parse(key.stdout) as { apiKey: { principalId: string } }).apiKey.principalId).toBe(principal.id);

    const agentName = unique('invoice-helper');
    const agent = await json<Agent>('agents', 'create', '--name', agentName, '--tool', tool.name, '--kb', kb.name);
    expect(agent).toMatchObject({ toolIds: [tool.id], knowledgeBaseIds: [kb.id] });
    const shown = await aos('agents', 'get', agentName);
    expect(shown.stdout).toMatch(new RegExp(`^TOOLS +${tool.name} \\(${tool.id.slice(0, 8)}…\\)$`, 'm'));
    expect(shown.stdout).toMatch(new RegExp(`^KNOWLEDGE BASES +${kb.name} \\(${kb.id.slice(0, 8)}…\\)$`, 'm'));

    const disabled = await aos('tools', 'disable', tool.name, '--reason', 'by name');
    expect(disabled.stdout).toMatch(/^STATE +DISABLED$/m);
  });

  it('shows names beside ids in a task, its steps, the task table and the audit view', async () => {
    const admin = (await t.client.governance.whoAmI({})).principal!;
    const name = unique('refund-helper');
    const agent = await t.client.agents.createAgent({
      // External: the built-in runtime leaves its tasks alone, so the task stays ASSIGNED.
      agent: { name, capabilities: ['refunds'], labels: { 'aos.runtime': 'external' } },
      requestId: rid(),
    });
    await aos('agents', 'deploy', name);
    const short = (id: string) => `\\(${id.slice(0, 8)}…\\)`;

    const task = await json<Task>('tasks', 'submit', 'Refund invoice 4411', '--agent', name);
    expect(task.assignedAgentId).toBe(agent.id);

    const shown = await aos('tasks', 'get', task.id);
    expect(shown.stdout).toMatch(new RegExp(`^ASSIGNED AGENT +${name} ${short(agent.id)}$`, 'm'));
    expect(shown.stdout).toMatch(new RegExp(`^CREATED BY +${admin.name} ${short(admin.id)}$`, 'm'));
    expect(shown.stdout).toMatch(
      new RegExp(`submitted by ${admin.name} ${short(admin.id)} for agent ${name} ${short(agent.id)}`),
    );
    expect(shown.stdout).toMatch(new RegExp(`routed to agent ${name} ${short(agent.id)}`));
    expect(shown.stdout).not.toContain(`routed to agent ${agent.id}`);

    const listed = await aos('tasks', 'list', '--agent', name);
    expect(listed.stdout).toMatch(new RegExp(`^${task.id} +ASSIGNED +${name} ${short(agent.id)} `, 'm'));
    expect(listed.stdout).toMatch(/1 of 1 task\(s\)/);

    const audit = await aos('audit', 'list', '--stream', `agent-${agent.id}`, '--actor', admin.name);
    expect(audit.stdout).toMatch(
      new RegExp(`AgentDeployed +agent-${agent.id} +user:${admin.name} ${short(admin.id)}$`, 'm'),
    );
  });
});

describe('aos takes names for subjects and prints names beside the subjects it lists', () => {
  const short = (id: string) => `\\(${id.slice(0, 8)}…\\)`;

  it('assigns a role to a principal by its bare name and lists the binding with the name beside the id', async () => {
    const name = unique('alice');
    const alice = await t.client.governance.createPrincipal({
      principal: { kind: 'USER' as never, name },
      requestId: rid(),
    });

    const assigned = await aos('roles', 'assign', name, 'viewer');

    expect(assigned).toMatchObject({ code: 0, stderr: '' });
    expect(assigned.stdout).toMatch(new RegExp(`^SUBJECT +user:${name} ${short(alice.id)}$`, 'm'));
    const { bindings } = await t.client.governance.listRoleBindings({ subject: alice.subject });
    expect(bindings.map((b) => b.role)).toEqual(['viewer']);
    const listed = await aos('roles', 'bindings', '--subject', `user:${name}`);
    expect(listed.stdout).toMatch(new RegExp(`^\\S+ +user:${name} ${short(alice.id)} +viewer +`, 'm'));
    expect(listed.stdout.trim().split('\n')).toHaveLength(2);

    const checked = await aos('access', 'check', '--subject', name, '--action', 'agents.get');
    expect(checked.code).toBe(0);
    expect(checked.stdout).toMatch(new RegExp(`^SUBJECT +user:${name} ${short(alice.id)}$`, 'm'));

    const revoked = await aos('roles', 'revoke', name, 'viewer');
    expect(revoked.code).toBe(0);
    expect((await t.client.governance.listRoleBindings({ subject: alice.subject })).bindings).toEqual([]);
  });

  it('names a service principal and an agent in a rule, and refuses a kind the principal is not', async () => {
    const botName = unique('ci-bot');
    const bot = await t.client.governance.createPrincipal({
      principal: { kind: 'SERVICE' as never, name: botName },
      requestId: rid(),
    });
    const agentName = unique('payments-helper');
    const agent = await t.client.agents.createAgent({ agent: { name: agentName }, requestId: rid() });

    const rule = await aos('policies', 'add', '--subject', `agent:${agentName}`, '--action', 'tools.call', '--json');
    expect(rule.code).toBe(0);
    expect((JSON.parse(rule.stdout) as { subject: string }).subject).toBe(`agent:${agent.id}`);
    const rules = await aos('policies', 'list', '--subject', `agent:${agentName}`);
    expect(rules.stdout).toMatch(new RegExp(`^\\S+ +agent:${agentName} ${short(agent.id)} +ALLOW +tools.call `, 'm'));

    const assigned = await json<{ subject: string }>('roles', 'assign', `service:${botName}`, 'viewer');
    expect(assigned.subject).toBe(`service:${bot.id}`);
    const wrongKind = await aos('roles', 'assign', `user:${botName}`, 'viewer');
    expect(wrongKind).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: user:${botName} is not a user principal: its subject is service:${bot.id}\n`,
    });
  });

  it('answers NOT_FOUND naming a subject name that names nothing, with exit 1', async () => {
    const missing = unique('nobody');

    const principal = await aos('roles', 'assign', missing, 'viewer');
    const agent = await aos('policies', 'add', '--subject', `agent:${missing}`, '--action', 'tools.call');

    expect(principal).toEqual({ code: 1, stdout: '', stderr: `error: NOT_FOUND: principal "${missing}" not found\n` });
    expect(agent).toEqual({ code: 1, stdout: '', stderr: `error: NOT_FOUND: agent "${missing}" not found\n` });
  });

  it("prints names beside the ids of an API key's principal and an agent's budget", async () => {
    const name = unique('deployer');
    const principal = await t.client.governance.createPrincipal({
      principal: { kind: 'SERVICE' as never, name },
      requestId: rid(),
    });
    await t.client.governance.createApiKey({ principalId: principal.id, requestId: rid() });
    const keys = await aos('keys', 'list', '--principal', name);
    expect(keys.stdout).toMatch(new RegExp(`^\\S+ +\\S+ +${name} ${short(principal.id)} +ACTIVE `, 'm'));

    const agentName = unique('budgeted');
    const agent = await t.client.agents.createAgent({ agent: { name: agentName }, requestId: rid() });
    await aos('budgets', 'set', '--agent', agentName, '--period', 'daily', '--tokens', '1000');
    const budget = await aos('budgets', 'get', '--agent', agent.id);
    expect(budget.stdout).toMatch(new RegExp(`^AGENT +${agentName} ${short(agent.id)}$`, 'm'));
  });
});
