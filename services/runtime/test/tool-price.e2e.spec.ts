import { randomUUID } from 'node:crypto';
import { Client as GrpcClient, credentials, Metadata, status, type ClientDuplexStream } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ExternalAgent, TaskContext } from '@aos/agent-sdk';
import type { Agent, AgentMessage, Budget, RuntimeMessage, Task, Tool, ToolCallResult } from '@aos/contracts';
import { createEventStore, type EventStore, type RecordedEvent } from '@aos/event-store';
import { loadServiceDefinition, type AosClient } from '@aos/grpc-client';
import {
  firstEvent,
  requireApproval,
  startScriptedModelServer,
  startTestStack,
  statusOf,
  taskEnd,
  type ScriptedModelServer,
  type TestStack,
} from '@aos/testing';
import { registerEchoTool, startEchoServer, type EchoServer } from './support/echo-server';
import { attachAgent, submitTo } from './support/external-agents';

/**
 * Per-call tool prices (Tool.price_micros) through the whole stack: each
 * call the runtime makes of a priced tool is charged to the agent's and the
 * tenant's budgets once, before it is made (UsageCharged with the call id in
 * the run, before ToolCalled), a free tool is never charged, and a used-up
 * budget refuses the next priced call with RESOURCE_EXHAUSTED before the
 * tool is called. A call id names one call of a run: a repeated one is
 * refused without calling the tool (nor reusing its approval). External
 * agents call through RuntimeService.Connect (the SDK, and a raw stream to
 * repeat a call id); a person calls directly through the gateway's MCP endpoint.
 */
const LOOKUP_PRICE = 20_000;
let t: TestStack;
let api: AosClient;
let store: EventStore;
let echo: EchoServer;
let model: ScriptedModelServer;
let lookup: Tool;
let note: Tool;
const agents: ExternalAgent[] = [];
const mcpClients: McpClient[] = [];

const rid = () => randomUUID();
const data = (e: RecordedEvent) => e.data as Record<string, unknown>;

beforeAll(async () => {
  [echo, model] = await Promise.all([startEchoServer(), startScriptedModelServer()]);
  // The model loop's runs (built-in agents) call the scripted model server; external agents bring none.
  t = await startTestStack({ env: model.env });
  api = t.client;
  store = await createEventStore({ kind: 'jetstream', natsUrl: t.natsUrl });
  [lookup, note] = await Promise.all([
    registerEchoTool(api, echo, 'lookup', LOOKUP_PRICE),
    registerEchoTool(api, echo, 'note'),
  ]);
  // A tenant budget far from its limit, so that its spend can be read.
  await setBudget('TENANT', '', 1_000_000_000);
}, 120_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await Promise.all(mcpClients.map((c) => c.close().catch(() => undefined)));
  await store?.close();
  await t?.stop();
  await echo?.stop();
  await model?.stop();
});

function setBudget(scope: 'TENANT' | 'AGENT', agentId: string, costLimitMicros: number): Promise<Budget> {
  return api.governance.setBudget({
    scope: scope as never,
    agentId,
    period: 'LIFETIME' as never,
    tokenLimit: 0,
    costLimitMicros,
    requestId: rid(),
  });
}

async function spent(scope: 'TENANT' | 'AGENT', agentId = ''): Promise<number> {
  const budget = await api.governance.getBudget({ scope: scope as never, agentId, minPosition: 0 });
  return Number(budget.costUsedMicros);
}

/** A deployed agent granted both tools, with a budget of `costLimitMicros`: external unless `builtIn`. */
async function pricedAgent(name: string, costLimitMicros: number, builtIn = false): Promise<Agent> {
  const created = await api.agents.createAgent({
    agent: {
      name: `${name}-${rid().slice(0, 6)}`,
      description: builtIn ? `${name} (the model loop)` : `${name} (an external process)`,
      capabilities: [name],
      toolIds: [lookup.id, note.id],
      labels: builtIn ? {} : { 'aos.runtime': 'external' },
    } as Partial<Agent> as Agent,
    requestId: rid(),
  });
  const agent = await api.agents.deployAgent({ id: created.id, requestId: rid(), reason: '' });
  await setBudget('AGENT', agent.id, costLimitMicros);
  return agent;
}

const attach = (agentId: string, handleTask: (ctx: TaskContext) => Promise<string>): ExternalAgent =>
  attachAgent(t, agents, agentId, handleTask);
const submit = (text: string, agentId: string): Promise<Task> => submitTo(api, text, agentId);

/** Everything the run's stream holds once its end is recorded. */
async function runEvents(runId: string): Promise<RecordedEvent[]> {
  await firstEvent(store, (e) => e.streamId === runId && ['RunSucceeded', 'RunFailed', 'RunStopped'].includes(e.type));
  return store.readStream({ tenantId: 'default', category: 'run', id: runId });
}

/** The echo server's requests that carry `marker` (each call's arguments are echoed as its body). */
const callsWith = (marker: string) => echo.requests.filter((body) => body.includes(marker)).length;

/** RuntimeService.Connect without the SDK: the test says what the agent sends, call ids included. */
function rawSession(agentId: string) {
  const method = loadServiceDefinition('RuntimeService').Connect;
  const client = new GrpcClient(t.gatewayAddr, credentials.createInsecure());
  const md = new Metadata();
  md.set('authorization', `Bearer ${t.apiKey}`);
  const call: ClientDuplexStream<AgentMessage, RuntimeMessage> = client.makeBidiStreamRequest(
    method.path,
    method.requestSerialize as (m: AgentMessage) => Buffer,
    method.responseDeserialize as (b: Buffer) => RuntimeMessage,
    md,
  );
  const received: RuntimeMessage[] = [];
  const waiters: (() => void)[] = [];
  call.on('data', (m: RuntimeMessage) => {
    received.push(m);
    waiters.splice(0).forEach((w) => w());
  });
  call.on('error', (err: { code: number }) => {
    if (err.code !== status.CANCELLED) waiters.splice(0).forEach((w) => w());
  });
  const next = async <T>(pick: (m: RuntimeMessage) => T | undefined, from: number): Promise<T> => {
    for (;;) {
      const found = received
        .slice(from)
        .map(pick)
        .find((x) => x !== undefined);
      if (found !== undefined) return found;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  call.write({ attach: { agentId, maxConcurrentTasks: 1 } } as AgentMessage);
  return {
    received,
    next,
    send: (m: AgentMessage) => call.write(m),
    close: () => {
      call.cancel();
      client.close();
    },
  };
}

describe('a priced tool', () => {
  it('is charged its price once per call the runtime made; a free tool is never charged', async () => {
    const agent = await pricedAgent('charged', 10_000_000);
    const tenantBefore = await spent('TENANT');
    const results: ToolCallResult[] = [];
    const marker = `order-${rid()}`;
    await attach(agent.id, async (ctx) => {
      results.push(await ctx.callTool(lookup.name, { marker }));
      results.push(await ctx.callTool(note.name, { marker }));
      return 'looked it up';
    }).attached;
    const task = await submit('look the order up', agent.id);
    expect((await taskEnd(store, task.id)).type).toBe('RunSucceeded');
    expect(results.map((r) => r.decision)).toEqual(['ALLOWED', 'ALLOWED']);

    const run = await runEvents(`${task.id}-1`);
    const calls = run.filter((e) => e.type === 'ToolCalled').map(data);
    expect(calls.map((c) => c.toolId)).toEqual([lookup.id, note.id]);
    const charges = run.filter((e) => e.type === 'UsageCharged').map(data);
    // Only the priced call, with its call id, charged before its ToolCalled.
    expect(charges).toEqual([{ runId: `${task.id}-1`, tokens: 0, costMicros: LOOKUP_PRICE, callId: calls[0]!.callId }]);
    const types = run.map((e) => e.type);
    expect(types.indexOf('UsageCharged')).toBe(types.indexOf('ToolCalled') - 1);
    expect(callsWith(marker)).toBe(2);

    expect(await spent('AGENT', agent.id)).toBe(LOOKUP_PRICE);
    expect((await spent('TENANT')) - tenantBefore).toBe(LOOKUP_PRICE);
  });

  it('a call repeated with the same call id is refused (INVALID_ARGUMENT naming call_id): not called, not charged again', async () => {
    const agent = await pricedAgent('repeater', 10_000_000);
    const session = rawSession(agent.id);
    try {
      await session.next((m) => m.attached, 0);
      const task = await submit('look it up twice', agent.id);
      const assignment = await session.next((m) => m.task, 0);
      expect(assignment.task?.id).toBe(task.id);
      const marker = `again-${rid()}`;
      const toolCall = {
        taskId: task.id,
        callId: 'c1',
        toolName: lookup.name,
        argumentsJson: JSON.stringify({ marker }),
      };
      const results: ToolCallResult[] = [];
      for (const _ of [1, 2]) {
        const from = session.received.length;
        session.send({ toolCall } as AgentMessage);
        results.push(await session.next((m) => m.toolResult, from));
      }
      expect(results[0]).toMatchObject({ callId: 'c1', decision: 'ALLOWED', error: '' });
      expect(results[1]).toMatchObject({ callId: 'c1', decision: '', result: '' });
      expect(results[1]!.error).toMatch(/^INVALID_ARGUMENT: tool_call\.call_id: "c1" is already used in this run/);
      session.send({
        outcome: { taskId: task.id, succeeded: true, result: 'done', failureReason: '' },
      } as AgentMessage);
      expect((await taskEnd(store, task.id)).type).toBe('RunSucceeded');

      const run = await runEvents(`${task.id}-1`);
      expect(run.filter((e) => e.type === 'ToolCalled').map((e) => data(e).callId)).toEqual(['c1']);
      expect(run.filter((e) => e.type === 'UsageCharged').map(data)).toEqual([
        { runId: `${task.id}-1`, tokens: 0, costMicros: LOOKUP_PRICE, callId: 'c1' },
      ]);
      expect(callsWith(marker)).toBe(1);
      expect(await spent('AGENT', agent.id)).toBe(LOOKUP_PRICE);
    } finally {
      session.close();
    }
  });

  it('a call id used by an approved call is refused: no second call, no reuse of the approval with new arguments', async () => {
    const agent = await pricedAgent('swapper', 10_000_000);
    await requireApproval(api, agent.id, lookup.id);
    const session = rawSession(agent.id);
    try {
      await session.next((m) => m.attached, 0);
      const task = await submit('look it up, then again with other arguments', agent.id);
      await session.next((m) => m.task, 0);
      const runId = `${task.id}-1`;
      const marker = `swap-${rid()}`;
      const callWith = (amount: number) =>
        ({
          toolCall: {
            taskId: task.id,
            callId: 'c1',
            toolName: lookup.name,
            argumentsJson: JSON.stringify({ marker, amount }),
          },
        }) as AgentMessage;
      let from = session.received.length;
      session.send(callWith(10));
      const awaited = await firstEvent(store, (e) => e.type === 'ApprovalAwaited' && e.streamId === runId);
      await api.governance.decideApproval({
        id: String(data(awaited).approvalId),
        approve: true,
        reason: 'ok',
        requestId: rid(),
      });
      const first = await session.next((m) => m.toolResult, from);
      expect(first).toMatchObject({ callId: 'c1', decision: 'APPROVED', error: '' });

      from = session.received.length;
      session.send(callWith(1_000_000));
      const second = await session.next((m) => m.toolResult, from);
      expect(second).toMatchObject({ callId: 'c1', decision: '', result: '' });
      expect(second.error).toMatch(/^INVALID_ARGUMENT: tool_call\.call_id: "c1" is already used in this run/);
      session.send({
        outcome: { taskId: task.id, succeeded: true, result: 'done', failureReason: '' },
      } as AgentMessage);
      expect((await taskEnd(store, task.id)).type).toBe('RunSucceeded');

      const run = await runEvents(runId);
      // One approval, one charge after it and before the one call, made with the approved arguments.
      expect(run.map((e) => e.type)).toEqual([
        'RunStarted',
        'ApprovalAwaited',
        'ApprovalReceived',
        'UsageCharged',
        'ToolCalled',
        'RunSucceeded',
      ]);
      expect(data(run[4]!)).toMatchObject({
        callId: 'c1',
        decision: 'APPROVED',
        argumentsJson: JSON.stringify({ marker, amount: 10 }),
      });
      expect(echo.requests.filter((b) => b.includes(marker) && b.includes('1000000'))).toHaveLength(0);
      expect(callsWith(marker)).toBe(1);
      expect(await spent('AGENT', agent.id)).toBe(LOOKUP_PRICE);
      const { approvals } = await api.governance.listApprovals({ pageSize: 100, minPosition: 0 } as never);
      expect(approvals.filter((a) => a.reason.startsWith(`task ${task.id} `))).toHaveLength(1);
    } finally {
      session.close();
    }
  });

  it('is refused with RESOURCE_EXHAUSTED, without calling it, once a budget is used up; the run fails', async () => {
    // The first call uses the budget up (the call that crosses the limit is charged); the second is refused.
    const agent = await pricedAgent('thrifty', LOOKUP_PRICE);
    const results: ToolCallResult[] = [];
    const marker = `thrift-${rid()}`;
    await attach(agent.id, async (ctx) => {
      results.push(await ctx.callTool(lookup.name, { marker, n: 1 }));
      results.push(await ctx.callTool(lookup.name, { marker, n: 2 }));
      return 'spent';
    }).attached;
    const task = await submit('spend it all', agent.id);
    const end = await taskEnd(store, task.id);
    expect(end.type).toBe('RunFailed');
    expect(data(end)).toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    expect(String(data(end).reason)).toMatch(new RegExp(`budget of agent ${agent.id} is exhausted`));
    // The refusal is sent to the agent before the run ends, but the test may read the run's end before the agent's
    // SDK has handed the refusal back (a CI run saw only the first result at this point).
    await vi.waitFor(() => expect(results).toHaveLength(2), { timeout: 10_000 });
    expect(results.map((r) => r.decision)).toEqual(['ALLOWED', 'DENIED']);
    // Governance's refusal of the charge (made before the call), with the tool's price.
    expect(results[1]!.error).toMatch(
      /is exhausted for this period; usage not recorded; tool .* costs 20000 micros a call and was not called/,
    );
    expect(callsWith(marker)).toBe(1);

    const run = await runEvents(`${task.id}-1`);
    expect(run.filter((e) => e.type === 'UsageCharged')).toHaveLength(1);
    expect(run.filter((e) => e.type === 'ToolCalled').map((e) => data(e).outcome)).toEqual(['ok', 'refused']);
    expect(await spent('AGENT', agent.id)).toBe(LOOKUP_PRICE);
  });

  it('called by the model loop is charged before the call; the charge that uses the budget up ends the run before the next model call', async () => {
    const agent = await pricedAgent('looper', LOOKUP_PRICE, true);
    const marker = `loop-${rid()}`;
    // Default usage: 15 tokens a model call, free (no AOS_MODEL_PRICES).
    model.scriptFor(marker, { toolCalls: [{ name: lookup.name, arguments: { marker } }] }, { content: 'never sent' });
    const task = await submit(`${marker}: look it up`, agent.id);
    const end = await taskEnd(store, task.id);
    expect(end.type).toBe('RunFailed');
    expect(data(end)).toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    expect(String(data(end).reason)).toMatch(/exhausted for this period; the model was not called/);
    expect(model.requests.filter((r) => r.script === marker)).toHaveLength(1);
    expect(callsWith(marker)).toBe(1);

    const run = await runEvents(`${task.id}-1`);
    const call = data(run.find((e) => e.type === 'ToolCalled')!);
    expect(call).toMatchObject({ toolId: lookup.id, decision: 'ALLOWED', outcome: 'ok' });
    expect(run.filter((e) => e.type === 'UsageCharged').map(data)).toEqual([
      { runId: `${task.id}-1`, tokens: 15, costMicros: 0 },
      { runId: `${task.id}-1`, tokens: 0, costMicros: LOOKUP_PRICE, callId: call.callId },
    ]);
    expect(run.map((e) => e.type).slice(1, 5)).toEqual(['ModelCalled', 'UsageCharged', 'UsageCharged', 'ToolCalled']);
    expect(await spent('AGENT', agent.id)).toBe(LOOKUP_PRICE);
  });

  it('called by the model loop with an id the model repeats in the next turn: two calls under keys of their own, each charged', async () => {
    const agent = await pricedAgent('repeating-model', 10_000_000, true);
    const marker = `model-repeat-${rid()}`;
    const ask = (n: number) => ({ toolCalls: [{ id: 'call-same', name: lookup.name, arguments: { marker, n } }] });
    model.scriptFor(marker, ask(1), ask(2), { content: 'looked it up twice' });
    const task = await submit(`${marker}: look it up twice`, agent.id);
    expect((await taskEnd(store, task.id)).type).toBe('RunSucceeded');
    expect(callsWith(marker)).toBe(2);

    const run = await runEvents(`${task.id}-1`);
    const calls = run.filter((e) => e.type === 'ToolCalled').map(data);
    expect(calls.map((c) => [c.callId, c.outcome])).toEqual([
      ['1:call-same', 'ok'],
      ['2:call-same', 'ok'],
    ]);
    const toolCharges = run.filter((e) => e.type === 'UsageCharged' && data(e).callId !== undefined).map(data);
    expect(toolCharges.map((c) => [c.callId, c.costMicros])).toEqual([
      ['1:call-same', LOOKUP_PRICE],
      ['2:call-same', LOOKUP_PRICE],
    ]);
    // The model is answered under its own id.
    const answered = model.requests.filter((r) => r.script === marker).at(-1)!.messages;
    expect(answered.filter((m) => m.role === 'tool').map((m) => m.tool_call_id)).toEqual(['call-same', 'call-same']);
    expect(await spent('AGENT', agent.id)).toBe(2 * LOOKUP_PRICE);
  });

  it('called directly (MCP) is charged to the tenant budget once per request, and refused once it is used up', async () => {
    const client = new McpClient({ name: 'tool-price-e2e', version: '0.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(t.mcpUrl!), {
        requestInit: { headers: { Authorization: `Bearer ${t.apiKey}` } },
      }),
    );
    mcpClients.push(client);
    const marker = `direct-${rid()}`;
    const before = await spent('TENANT');
    const ok = (await client.callTool({ name: `tool_${lookup.name}`, arguments: { marker } })) as CallToolResult;
    expect(ok.isError ?? false).toBe(false);
    expect(await spent('TENANT')).toBe(before + LOOKUP_PRICE);
    const direct = await firstEvent(
      store,
      (e) => e.type === 'UsageCharged' && String(data(e).runId).startsWith('direct_') && e.position > 0,
    );
    expect(data(direct)).toMatchObject({ tokens: 0, costMicros: LOOKUP_PRICE });
    const recorded = await store.readStream({ tenantId: 'default', category: 'run', id: String(data(direct).runId) });
    expect(recorded.map((e) => e.type)).toEqual(['DirectToolCalled', 'UsageCharged']);

    // The tenant budget used up: the next priced call is refused before the tool is called.
    await setBudget('TENANT', '', before + LOOKUP_PRICE);
    const refused = await client.callTool({ name: `tool_${lookup.name}`, arguments: { marker } }).then(
      (r) => JSON.stringify(r),
      (err: unknown) => String(err),
    );
    expect(refused).toMatch(/RESOURCE_EXHAUSTED|tenant budget is exhausted/);
    expect(callsWith(marker)).toBe(1);
    expect(await spent('TENANT')).toBe(before + LOOKUP_PRICE);
  });
});

describe('RegisterTool price_micros', () => {
  it('is served by GetTool and ListTools; a bad price is INVALID_ARGUMENT naming tool.price_micros', async () => {
    expect(Number((await api.tools.getTool({ id: lookup.id, minPosition: 0 })).priceMicros)).toBe(LOOKUP_PRICE);
    expect(Number((await api.tools.getTool({ id: note.id, minPosition: 0 })).priceMicros)).toBe(0);
    const listed = await api.tools.listTools({ pageSize: 1000, minPosition: 0 } as never);
    expect(Number(listed.tools.find((x) => x.id === lookup.id)?.priceMicros)).toBe(LOOKUP_PRICE);
    for (const priceMicros of [-1, 1_000_000_000_001]) {
      const err = await statusOf(
        api.tools.registerTool({
          tool: {
            name: `bad-price-${rid().slice(0, 6)}`,
            risk: 'READ' as Tool['risk'],
            http: { endpoint: `${echo.url}/x`, method: 'POST' },
            priceMicros,
          } as Tool,
          requestId: rid(),
        }),
      );
      expect(err.code, `price ${priceMicros}`).toBe('INVALID_ARGUMENT');
      expect(err.details).toMatch(/tool\.price_micros/);
    }
  });
});
