import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuiltinToolError, runExternalAgent, type ExternalAgent, type KnowledgeSearch } from '@aos/agent-sdk';
import {
  RuntimeSubjects,
  type Agent,
  type DirectToolCallReply,
  type KnowledgeBase,
  type PolicyRule,
  type Principal,
  type RunEvent,
  type Task,
  type Tool,
} from '@aos/contracts';
import { createEventStore, type EventStore, type RecordedEvent } from '@aos/event-store';
import type { AosClient } from '@aos/grpc-client';
import { ServiceClient, type RequestContext } from '@aos/messaging';
import {
  firstEvent,
  startScriptedModelServer,
  startTestStack,
  taskEnd,
  type ScriptedModelServer,
  type TestStack,
} from '@aos/testing';
import { startEchoServer, type EchoServer } from './support/echo-server';
import { startExampleAgent, type ExampleAgentProcess } from './support/example-agent';

/**
 * Knowledge and shared context through the runtime, in the whole stack:
 * built-in agents whose model — the scripted OpenAI-compatible server, whose
 * replies are this test's script, not a model's — calls knowledge_search,
 * context_put and context_get; an external agent doing the same through the
 * SDK; and principals' direct tool calls (RuntimeSubjects.callTool, as the
 * gateway's MCP endpoint sends them). Governance decides every call and the
 * log records it; the resources service answers as for any caller.
 */
const TENANT = 'default';
let t: TestStack;
let api: AosClient;
let store: EventStore;
let model: ScriptedModelServer;
let nats: ServiceClient;
let echo: EchoServer;
const externals: ExternalAgent[] = [];
let example: ExampleAgentProcess | undefined;

let handbook: KnowledgeBase;
let vault: KnowledgeBase;
let echoTool: Tool;
const POLICY_TEXT =
  '# Refund policy\n\nRefunds are accepted within 30 days of purchase, with the receipt.\n\n' +
  '## Exchanges\n\nItems may be exchanged for another size at any store.\n';

const rid = () => randomUUID();

beforeAll(async () => {
  model = await startScriptedModelServer();
  echo = await startEchoServer();
  t = await startTestStack({
    env: {
      ...model.env,
      AOS_ROUTER: 'lexical',
    },
  });
  api = t.client;
  store = await createEventStore({ kind: 'jetstream', natsUrl: t.natsUrl });
  nats = new ServiceClient(t.natsUrl);
  await nats.connect();

  handbook = await api.knowledge.createKnowledgeBase({
    knowledgeBase: { name: `handbook-${rid().slice(0, 8)}`, description: 'customer service handbook' },
    requestId: rid(),
  });
  vault = await api.knowledge.createKnowledgeBase({
    knowledgeBase: { name: `vault-${rid().slice(0, 8)}`, description: 'not for agents' },
    requestId: rid(),
  });
  await api.knowledge.addDocument({
    knowledgeBaseId: handbook.id,
    documentId: 'refund-policy',
    contentType: 'text/markdown',
    content: Buffer.from(POLICY_TEXT),
    requestId: rid(),
  });
  await api.knowledge.addDocument({
    knowledgeBaseId: vault.id,
    documentId: 'codes',
    contentType: 'text/plain',
    content: Buffer.from('Refunds above 1000 EUR need the vault code 4711 and a receipt.'),
    requestId: rid(),
  });
  echoTool = await api.tools.registerTool({
    tool: {
      name: `echo-${rid().slice(0, 6)}`,
      description: 'echo over HTTP',
      risk: 'READ' as Tool['risk'],
      http: { endpoint: `${echo.url}/echo`, method: 'POST' },
      inputSchemaJson: '{"type":"object"}',
    } as Tool,
    requestId: rid(),
  });
});

afterAll(async () => {
  example?.child.kill('SIGKILL');
  await Promise.all(externals.map((a) => a.close()));
  await nats?.close();
  await store?.close();
  await t?.stop();
  await model?.stop();
  await echo?.stop();
});

async function agent(name: string, definition: Partial<Agent>): Promise<Agent> {
  const created = await api.agents.createAgent({
    agent: { name: `${name}-${rid().slice(0, 6)}`, description: name, ...definition },
    requestId: rid(),
  });
  return api.agents.deployAgent({ id: created.id, requestId: rid(), reason: '' });
}

/** Submits the task with the request's correlation id: tasks submitted with the same one share a context scope. */
function submit(text: string, agentId: string, correlationId: string): Promise<Task> {
  return api.tasks.submitTask(
    { task: { text, agentId } as Partial<Task> as Task, requestId: rid() },
    { metadata: { 'x-correlation-id': correlationId } },
  );
}

function rule(subject: string, action: string, resource: string, extra: Partial<PolicyRule> = {}) {
  return api.governance.addPolicyRule({
    rule: { subject, action, resource, effect: 'DENY' as PolicyRule['effect'], ...extra } as PolicyRule,
    requestId: rid(),
  });
}

/** The run's events once its end is recorded. */
async function runOf(taskId: string): Promise<RecordedEvent[]> {
  const end = await taskEnd(store, taskId);
  expect(end.type, JSON.stringify(end.data)).toBe('RunSucceeded');
  return store.readStream({ tenantId: TENANT, category: 'run', id: end.streamId });
}
type RunData<T extends RunEvent['type']> = Extract<RunEvent, { type: T }>['data'];
const ofType = <T extends RunEvent['type']>(events: RecordedEvent[], type: T): RunData<T>[] =>
  events.filter((e) => e.type === type).map((e) => e.data as RunData<T>);
const direct = (e: RecordedEvent) => e.data as RunData<'DirectToolCalled'>;

/** A code point slice of the document's extracted text (citation offsets count code points). */
async function quoted(knowledgeBaseId: string, documentId: string, start: number, end: number): Promise<string> {
  const doc = await api.knowledge.getDocument({ knowledgeBaseId, documentId, includeText: true });
  return [...doc.text].slice(start, end).join('');
}

describe('built-in agents search knowledge and share context through the runtime', () => {
  const correlation = `req-${rid()}`;
  let researcher: Agent;

  it("(a) a scripted model calls knowledge_search and context_put: the run records the search with its citations (a DENY'd knowledge base left out) and the write", async () => {
    researcher = await agent('researcher', {
      instructions: 'You research refund questions.',
      knowledgeBaseIds: [handbook.id, vault.id],
    });
    await rule(`agent:${researcher.id}`, 'knowledge.read', `kb/${vault.id}`);
    model.scriptFor(
      'case-a',
      { toolCalls: [{ id: 'search-1', name: 'knowledge_search', arguments: { query: 'refunds receipt days' } }] },
      {
        toolCalls: [
          {
            id: 'put-1',
            name: 'context_put',
            arguments: { key: 'refund-window', value: { days: 30 }, expected_version: 0 },
          },
        ],
      },
      { content: 'Refunds within 30 days [refund-policy].' },
    );
    const task = await submit('case-a: how long do customers have for refunds?', researcher.id, correlation);
    const events = await runOf(task.id);

    const [search] = ofType(events, 'KnowledgeSearched');
    expect(search).toMatchObject({
      callId: '1:search-1',
      query: 'refunds receipt days',
      topK: 5,
      knowledgeBaseIds: [handbook.id],
      decision: 'ALLOWED',
      outcome: 'ok',
      error: '',
    });
    expect(search!.refused).toEqual([
      { knowledgeBaseId: vault.id, reason: expect.stringMatching(/^denied: rule .* denies/) },
    ]);
    expect(search!.citations.length).toBeGreaterThan(0);
    const cited = search!.citations[0]!;
    expect(cited).toMatchObject({ knowledgeBaseId: handbook.id, documentId: 'refund-policy', documentVersion: 1 });
    // The offsets point at the cited text: the vault's chunk (which also matches) was never scored.
    expect(await quoted(handbook.id, 'refund-policy', cited.startOffset, cited.endOffset)).toContain(
      'Refunds are accepted within 30 days',
    );
    expect(search!.citations.every((c) => c.knowledgeBaseId === handbook.id)).toBe(true);

    // The model got the same citations, with snippets, as the tool's result; and the built-in tools as functions.
    const requests = model.requests.filter((r) => r.script === 'case-a');
    expect(requests[0]!.tools.map((x) => x.function.name).sort()).toEqual([
      'context_get',
      'context_put',
      'knowledge_search',
    ]);
    const toolResult = JSON.parse(String(requests[1]!.messages.at(-1)!.content)) as KnowledgeSearch;
    expect(toolResult.results[0]!.citation).toMatchObject({
      documentId: 'refund-policy',
      startOffset: cited.startOffset,
    });
    expect(toolResult.results[0]!.snippet).toMatch(/30 days/);
    expect(toolResult.refused.map((r) => r.knowledgeBaseId)).toEqual([vault.id]);

    const [put] = ofType(events, 'ToolCalled');
    expect(put).toMatchObject({
      callId: '2:put-1',
      toolId: 'builtin:context_put',
      toolName: 'context_put',
      decision: 'ALLOWED',
      outcome: 'ok',
    });
    expect(JSON.parse(put!.result)).toMatchObject({ scope: `task/${correlation}`, key: 'refund-window', version: 1 });
    // The write is the resources service's too (ctx-*), by the agent, and readable through the API.
    const entry = await api.context.getContext({ scope: `task/${correlation}`, key: 'refund-window' });
    expect(entry).toMatchObject({ valueJson: '{"days":30}', version: 1, updatedBy: `agent:${researcher.id}` });

    // GetTask shows the search as a step of the task.
    const steps = (await api.tasks.getTask({ id: task.id })).steps;
    expect(steps.find((s) => s.type === 'KnowledgeSearched')?.summary).toMatch(
      /^knowledge search "refunds receipt days" in \[.+\]: \d+ citations?$/,
    );
  });

  it('(b) a second agent on the same request reads what the first wrote; its stale write comes back ABORTED and the run goes on', async () => {
    const writer = await agent('writer', { instructions: 'You write answers.' });
    model.scriptFor(
      'case-b',
      { toolCalls: [{ id: 'get-1', name: 'context_get', arguments: { key: 'refund-window' } }] },
      {
        toolCalls: [
          {
            id: 'put-2',
            name: 'context_put',
            arguments: { key: 'refund-window', value: { days: 14 }, expected_version: 0 },
          },
        ],
      },
      { content: 'The window is 30 days.' },
    );
    const task = await submit('case-b: write the refund answer', writer.id, correlation);
    const events = await runOf(task.id);
    const [get, stalePut] = ofType(events, 'ToolCalled');
    expect(get).toMatchObject({ toolId: 'builtin:context_get', decision: 'ALLOWED', outcome: 'ok' });
    expect(JSON.parse(get!.result)).toMatchObject({
      scope: `task/${correlation}`,
      value: { days: 30 },
      version: 1,
      updatedBy: `agent:${researcher.id}`,
    });
    const requests = model.requests.filter((r) => r.script === 'case-b');
    expect(JSON.parse(String(requests[1]!.messages.at(-1)!.content))).toMatchObject({ value: { days: 30 } });
    expect(stalePut).toMatchObject({ toolId: 'builtin:context_put', decision: 'ALLOWED', outcome: 'error' });
    expect(stalePut!.error).toMatch(/^ABORTED: /);
    expect(String(requests[2]!.messages.at(-1)!.content)).toMatch(/^Tool call failed: ABORTED: /);
    expect((await api.context.getContext({ scope: `task/${correlation}`, key: 'refund-window' })).version).toBe(1);
  });

  it('(c) an agent without the grant gets recorded refusals: a knowledge base not among its knowledge_base_ids, another team, a DENY rule', async () => {
    const outsider = await agent('outsider', { knowledgeBaseIds: [vault.id], labels: { team: 'sales' } });
    await rule(`agent:${outsider.id}`, 'context.write', 'ctx/tenant/prices');
    model.scriptFor(
      'case-c',
      {
        toolCalls: [
          { id: 's', name: 'knowledge_search', arguments: { query: 'refunds', knowledge_base_ids: [handbook.id] } },
          { id: 'p1', name: 'context_put', arguments: { scope: 'team/finance', key: 'budget', value: 1 } },
          { id: 'p2', name: 'context_put', arguments: { scope: 'tenant', key: 'prices', value: 2 } },
          { id: 'p3', name: 'context_put', arguments: { scope: 'team/sales', key: 'lead', value: 'acme' } },
        ],
      },
      { content: 'Some calls were refused.' },
    );
    const task = await submit('case-c: look around', outsider.id, `req-${rid()}`);
    const events = await runOf(task.id);
    const [search] = ofType(events, 'KnowledgeSearched');
    expect(search).toMatchObject({ decision: 'DENIED', outcome: 'refused', knowledgeBaseIds: [], citations: [] });
    expect(search!.error).toMatch(new RegExp(`knowledge base ${handbook.id} is not granted to the agent`));
    const [team, denied, own] = ofType(events, 'ToolCalled');
    expect(team).toMatchObject({ decision: 'DENIED', outcome: 'refused' });
    expect(team!.error).toMatch(/scope team\/finance is not granted to the agent: it is not in team finance/);
    expect(denied).toMatchObject({ decision: 'DENIED', outcome: 'refused' });
    expect(denied!.error).toMatch(/^denied: rule .* denies/);
    expect(own).toMatchObject({ decision: 'ALLOWED', outcome: 'ok' });
    // The model was told, and nothing was written where it was refused.
    const requests = model.requests.filter((r) => r.script === 'case-c');
    const told = requests[1]!.messages.filter((m) => m.role === 'tool').map((m) => String(m.content));
    expect(told.slice(0, 3).every((c) => c.startsWith('Tool call refused: '))).toBe(true);
    const missing = await api.context.getContext({ scope: 'tenant', key: 'prices' }).catch((e: { code: string }) => e);
    expect((missing as { code: string }).code).toBe('NOT_FOUND');
    expect((await api.context.getContext({ scope: 'team/sales', key: 'lead' })).valueJson).toBe('"acme"');
  });
});

describe('a context write whose rule requires approval', () => {
  it('waits for a person (the task is WAITING_APPROVAL), then writes with decision APPROVED', async () => {
    const editor = await agent('editor', {});
    const key = `policy-${rid().slice(0, 8)}`;
    await rule(`agent:${editor.id}`, 'context.write', `ctx/tenant/${key}`, {
      effect: 'ALLOW' as PolicyRule['effect'],
      requiresApproval: true,
    });
    model.scriptFor(
      'put-awaits-approval',
      { toolCalls: [{ id: 'put-a', name: 'context_put', arguments: { scope: 'tenant', key, value: 'v2' } }] },
      { content: 'Written once approved.' },
    );
    const task = await submit('put-awaits-approval: update the policy', editor.id, `req-${rid()}`);
    const awaited = await firstEvent(
      store,
      (e) => e.streamId.startsWith(`${task.id}-`) && e.type === 'ApprovalAwaited',
    );
    expect(awaited.data).toMatchObject({ callId: '1:put-a', toolId: 'builtin:context_put' });
    expect((await api.tasks.getTask({ id: task.id, minPosition: awaited.position })).state).toBe('WAITING_APPROVAL');
    const { approvalId } = awaited.data as RunData<'ApprovalAwaited'>;
    const approval = (await api.governance.listApprovals({})).approvals.find((a) => a.id === approvalId);
    expect(approval).toMatchObject({ action: 'context.write', resource: `ctx/tenant/${key}` });
    // The person deciding sees the value to be written: the call's arguments, beside a reason that names the entry.
    expect(JSON.parse(approval!.argumentsJson)).toEqual({ scope: 'tenant', key, value: 'v2' });
    expect(approval!.reason).toMatch(new RegExp(`wants context_put of tenant/${key}; `));
    await api.governance.decideApproval({ id: approvalId, approve: true, reason: 'fine', requestId: rid() });

    const [put] = ofType(await runOf(task.id), 'ToolCalled');
    expect(put).toMatchObject({ toolId: 'builtin:context_put', decision: 'APPROVED', outcome: 'ok' });
    expect((await api.context.getContext({ scope: 'tenant', key })).valueJson).toBe('"v2"');
  });
});

describe('an external agent through the SDK', () => {
  it('searches knowledge and puts and gets context; a stale expected version rejects with ABORTED; all recorded', async () => {
    const ext = await agent('ext', { knowledgeBaseIds: [handbook.id], labels: { 'aos.runtime': 'external' } });
    const seen: { search?: KnowledgeSearch; stale?: unknown; read?: unknown; missing?: unknown } = {};
    const process = runExternalAgent({
      address: t.gatewayAddr,
      apiKey: t.apiKey,
      agentId: ext.id,
      reconnect: false,
      handleTask: async (ctx) => {
        seen.search = await ctx.searchKnowledge('exchange another size', { topK: 3 });
        const put = await ctx.putContext('ext-note', { cited: seen.search.results[0]?.citation?.documentId });
        seen.stale = await ctx.putContext('ext-note', 'late', { expectedVersion: 0 }).catch((e: unknown) => e);
        seen.read = await ctx.getContext('ext-note');
        seen.missing = await ctx.getContext('never-written');
        return `wrote version ${put.version}`;
      },
    });
    externals.push(process);
    await process.attached;
    const correlation = `req-${rid()}`;
    const task = await submit('case-ext: check the exchange policy', ext.id, correlation);
    const events = await runOf(task.id);

    expect(seen.search!.results[0]!.citation).toMatchObject({
      knowledgeBaseId: handbook.id,
      documentId: 'refund-policy',
    });
    expect(seen.search!.results[0]!.snippet).toMatch(/exchanged/);
    expect(seen.stale).toBeInstanceOf(BuiltinToolError);
    expect(seen.stale).toMatchObject({ code: 'ABORTED', decision: 'ALLOWED', tool: 'context_put' });
    expect(seen.read).toMatchObject({ scope: `task/${correlation}`, value: { cited: 'refund-policy' }, version: 1 });
    expect(seen.missing).toBeUndefined();

    const [search] = ofType(events, 'KnowledgeSearched');
    expect(search).toMatchObject({ query: 'exchange another size', topK: 3, decision: 'ALLOWED', outcome: 'ok' });
    expect(search!.citations[0]).toMatchObject({ documentId: 'refund-policy' });
    expect(ofType(events, 'ToolCalled').map((c) => [c.toolName, c.outcome])).toEqual([
      ['context_put', 'ok'],
      ['context_put', 'error'],
      ['context_get', 'ok'],
      ['context_get', 'error'],
    ]);
    expect(events.every((e) => e.metadata.actor.kind === 'agent' && e.metadata.actor.id === ext.id)).toBe(true);
  });
});

describe('a principal calls a registered tool directly (RuntimeSubjects.callTool)', () => {
  let alice: Principal;
  let bob: Principal;
  const ctxOf = (p: Principal): RequestContext => ({
    tenantId: TENANT,
    actor: { kind: 'user', id: p.id },
    correlationId: rid(),
  });
  const call = (p: Principal, requestId: string, toolName = echoTool.name): Promise<DirectToolCallReply> =>
    nats.request(RuntimeSubjects.callTool, ctxOf(p), {
      toolName,
      argumentsJson: '{"text":"hello"}',
      requestId,
      grantSubjects: [p.subject],
    });
  /** The call's one event, in `run-direct_<id>`. */
  const recorded = (requestId: string) =>
    firstEvent(store, (e) => e.type === 'DirectToolCalled' && direct(e).requestId === requestId);

  beforeAll(async () => {
    const principal = (name: string) =>
      api.governance.createPrincipal({
        principal: { name: `${name}-${rid().slice(0, 6)}`, kind: 'USER' as Principal['kind'] },
        requestId: rid(),
      });
    [alice, bob] = await Promise.all([principal('alice'), principal('bob')]);
    await rule(alice.subject, 'tools.call', `tools/${echoTool.id}`, { effect: 'ALLOW' as PolicyRule['effect'] });
  });

  it('runs the tool for a principal a rule allows, records it once, and answers a retry from the record', async () => {
    const requestId = rid();
    const before = echo.requests.length;
    const reply = await call(alice, requestId);
    expect(reply).toMatchObject({ decision: 'ALLOWED', error: '' });
    expect(JSON.parse(reply.result)).toEqual({ echoed: { text: 'hello' } });
    const event = await recorded(requestId);
    expect(event.streamId).toMatch(/^direct_[0-9a-f]{32}$/);
    expect(direct(event)).toMatchObject({
      principal: alice.subject,
      grantSubjects: [alice.subject],
      toolId: echoTool.id,
      decision: 'ALLOWED',
      outcome: 'ok',
    });
    expect(reply.logPosition).toBe(event.position);

    expect(await call(alice, requestId)).toEqual(reply);
    expect(echo.requests.length - before).toBe(1);
    expect(await store.readStream({ tenantId: TENANT, category: 'run', id: event.streamId })).toHaveLength(1);
  });

  it('refuses a principal no role or rule grants tools.call, and one whose rule asks for approval; both recorded', async () => {
    const before = echo.requests.length;
    const refusedId = rid();
    const refused = await call(bob, refusedId);
    expect(refused).toMatchObject({ decision: 'DENIED', result: '' });
    expect(refused.decisionReason).toMatch(/no role or rule grants/);
    expect(direct(await recorded(refusedId))).toMatchObject({ principal: bob.subject, outcome: 'refused' });

    await rule(bob.subject, 'tools.call', `tools/${echoTool.id}`, {
      effect: 'ALLOW' as PolicyRule['effect'],
      requiresApproval: true,
    });
    const approvalId = rid();
    const approval = await call(bob, approvalId);
    expect(approval.decision).toBe('DENIED');
    expect(approval.decisionReason).toMatch(/cannot wait for a person's approval/);
    expect(direct(await recorded(approvalId))).toMatchObject({ decision: 'DENIED', outcome: 'refused' });
    expect(echo.requests.length).toBe(before);
  });

  it('answers NOT_FOUND for a tool the tenant does not have, recording nothing', async () => {
    const err = await call(alice, rid(), 'no-such-tool').catch((e: { code: string }) => e);
    expect((err as { code: string }).code).toBe('NOT_FOUND');
  });
});

describe('the example agent (clients/agent-example) with --knowledge', () => {
  it('cites the best match of the task text and notes the citation in the request’s context', async () => {
    const exampleAgent = await agent('example', {
      knowledgeBaseIds: [handbook.id],
      labels: { 'aos.runtime': 'external' },
    });
    example = await startExampleAgent(['--agent', exampleAgent.id, '--knowledge'], t);
    const correlation = `req-${rid()}`;
    const task = await submit('can items be exchanged for another size', exampleAgent.id, correlation);
    const events = await runOf(task.id);
    expect(ofType(events, 'KnowledgeSearched')[0]!.citations[0]).toMatchObject({ documentId: 'refund-policy' });
    const done = await api.tasks.getTask({ id: task.id });
    expect(done.result).toMatch(
      /Best match: "[\s\S]*exchanged[\s\S]*" \(refund-policy v1, characters \d+-\d+; noted as version 1/,
    );
    const noted = await api.context.getContext({ scope: `task/${correlation}`, key: 'example-agent.citation' });
    expect(JSON.parse(noted.valueJson)).toMatchObject({ knowledgeBaseId: handbook.id, documentId: 'refund-policy' });

    expect(await example.stop()).toBe(0);
    example = undefined;
  });
});
