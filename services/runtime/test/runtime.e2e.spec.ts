import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  evolveTask,
  initialTaskState,
  parseRunEvent,
  parseTaskEvent,
  type Agent,
  type Event,
  type Task,
  type TaskStep,
  type Tool,
} from '@aos/contracts';
import { createEventStore, type EventStore, type RecordedEvent } from '@aos/event-store';
import type { AosClient } from '@aos/grpc-client';
import { ServiceProcess, serviceEntry } from '@aos/launcher';
import {
  firstEvent,
  requireApproval,
  startMcpTestServer,
  startScriptedModelServer,
  startTestStack,
  taskEnd,
  type McpTestServer,
  type ScriptedModelServer,
  type TestStack,
} from '@aos/testing';

/**
 * Tasks run by the runtime in the whole stack: routing assigns them, the
 * runtime runs them through the model loop against the scripted
 * OpenAI-compatible server (its replies are this test's script, not a
 * model's), with a real HTTP tool and a real MCP server, governance deciding
 * every tool call, and the log recording every step.
 */
const LEASE_MS = 1500;
let t: TestStack;
let api: AosClient;
let model: ScriptedModelServer;
let mcp: McpTestServer;
let invoices: Server;
const invoiceRequests: { method: string; url: string; body: string }[] = [];
let store: EventStore;
let second: ServiceProcess | undefined;

const tools: Record<string, Tool> = {};
let billing: Agent;

const rid = () => randomUUID();

beforeAll(async () => {
  [model, mcp] = await Promise.all([startScriptedModelServer(), startMcpTestServer()]);
  invoices = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      invoiceRequests.push({ method: req.method!, url: req.url!, body: Buffer.concat(chunks).toString() });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"invoice":"42","amount":"99 EUR"}');
    });
  });
  await new Promise<void>((r) => invoices.listen(0, '127.0.0.1', r));
  // (e) kills one runtime process: every service its own process, as npm start runs them.
  t = await startTestStack({
    topology: 'process-per-service',
    env: {
      ...model.env,
      // (d) prices: 1,000 micro-units per input token, 2,000 per output token.
      AOS_MODEL_PRICES: 'scripted-model=1000/2000',
      // The scripted server answers the runtime's model calls only; the LLM router has its own test.
      AOS_ROUTER: 'lexical',
      AOS_RUN_LEASE_MS: String(LEASE_MS),
    },
  });
  api = t.client;
  store = await createEventStore({ kind: 'jetstream', natsUrl: t.natsUrl });

  const port = (invoices.address() as AddressInfo).port;
  const http = (name: string, path: string) =>
    api.tools.registerTool({
      tool: {
        name,
        description: `${name} over HTTP`,
        risk: 'WRITE' as Tool['risk'],
        http: { endpoint: `http://127.0.0.1:${port}/${path}`, method: 'POST' },
        inputSchemaJson: '{"type":"object","properties":{"invoice":{"type":"string"}}}',
      } as Tool,
      requestId: rid(),
    });
  tools.lookup = await http('lookup_invoice', 'invoices');
  tools.refund = await http('refund', 'refunds');
  tools.wire = await http('wire_money', 'wires');
  const server = await api.tools.registerMcpServer({ url: mcp.url, namePrefix: 'wx_', requestId: rid() });
  tools.forecast = server.tools.find((x) => x.name === 'wx_get_forecast')!;
  billing = await agent(
    'billing',
    [tools.lookup.id, tools.forecast.id, tools.refund.id],
    'You answer billing questions.',
  );
});

afterAll(async () => {
  await second?.stop();
  await store?.close();
  await t?.stop();
  await model?.stop();
  await mcp?.stop();
  await new Promise((r) => invoices?.close(r));
});

async function agent(name: string, toolIds: string[], instructions = ''): Promise<Agent> {
  const created = await api.agents.createAgent({
    agent: {
      name: `${name}-${rid().slice(0, 6)}`,
      description: name,
      instructions,
      toolIds,
    } as Partial<Agent> as Agent,
    requestId: rid(),
  });
  return api.agents.deployAgent({ id: created.id, requestId: rid(), reason: '' });
}

function submit(text: string, agentId: string): Promise<Task> {
  return api.tasks.submitTask({ task: { text, agentId } as Partial<Task> as Task, requestId: rid() });
}

function getTask(id: string, minPosition = 0): Promise<Task> {
  return api.tasks.getTask({ id, minPosition });
}

/** The first event of the task (its own or its runs') that matches; waits for it to be appended. */
function logEvent(taskId: string, match: (e: RecordedEvent) => boolean): Promise<RecordedEvent> {
  const ofTask = (e: RecordedEvent) => e.streamId === taskId || e.streamId.startsWith(`${taskId}-`);
  return firstEvent(store, (e) => ofTask(e) && match(e), { related: ofTask });
}

/** The event that ended the task: its run's RunSucceeded or RunFailed (the task's end is derived from it). */
const taskEnded = (taskId: string) => taskEnd(store, taskId);

/** Sets the agent's lifetime budget, then runs one task whose model call (20 + 10 tokens) crosses it and succeeds. */
async function spendOverLimit(
  agentId: string,
  limits: { tokenLimit: number; costLimitMicros: number },
  script: string,
): Promise<Task> {
  await api.governance.setBudget({
    scope: 'AGENT' as never,
    agentId,
    period: 'LIFETIME' as never,
    ...limits,
    requestId: rid(),
  });
  model.scriptFor(script, { content: 'first answer', usage: { promptTokens: 20, completionTokens: 10 } });
  const task = await submit(`${script}: spend`, agentId);
  expect((await taskEnded(task.id)).type).toBe('RunSucceeded');
  return task;
}

/** A run's events as the audit trail replays them. */
async function runEvents(runId: string): Promise<Event[]> {
  // Audit follows the log on its own: asked to reflect everything appended so far (the run's end included).
  const minPosition = await store.headPosition();
  const reply = await api.audit.listEvents({ stream: `run-${runId}`, pageSize: 200, minPosition });
  return reply.events;
}
const data = (e: Event | RecordedEvent) =>
  ('dataJson' in e ? JSON.parse(e.dataJson) : e.data) as Record<string, unknown>;

describe('the runtime runs routed tasks', () => {
  it('(a) runs a task through the model loop with a real HTTP tool and a real MCP tool; the log replays it step by step', async () => {
    model.scriptFor(
      'case-a',
      {
        toolCalls: [{ id: 'call-a1', name: 'lookup_invoice', arguments: { invoice: '42' } }],
        usage: { promptTokens: 40, completionTokens: 8 },
        // Held until WatchTask has shown the run starting: the steps arrive as they happen, not at the end.
        hold: 'case-a',
      },
      { toolCalls: [{ id: 'call-a2', name: 'wx_get_forecast', arguments: { city: 'Oslo' } }] },
      { content: 'Invoice 42 is 99 EUR, and it is sunny in Oslo.' },
    );
    const task = await submit('case-a: what does invoice 42 say, and the weather in Oslo?', billing.id);
    const watched: TaskStep[] = [];
    for await (const step of api.tasks.watchTask({ id: task.id, afterPosition: 0 })) {
      watched.push(step);
      if (step.type === 'RunStarted') {
        expect(watched.map((x) => x.type)).not.toContain('RunSucceeded');
        model.release('case-a');
      }
    }
    const ended = await taskEnded(task.id);
    expect(ended.type, JSON.stringify(ended.data)).toBe('RunSucceeded');
    const done = await getTask(task.id, ended.position);
    expect(done.state).toBe('SUCCEEDED');
    expect(done.result).toBe('Invoice 42 is 99 EUR, and it is sunny in Oslo.');

    const runId = `${task.id}-1`;
    const events = await runEvents(runId);
    const seenByModel = model.requests
      .filter((r) => r.script === 'case-a')
      .map((r) => ({ reply: r.replyIndex, last: r.messages.at(-1) }));
    expect(
      events.map((e) => e.type),
      JSON.stringify({ seenByModel, events: events.map((e) => e.dataJson) }),
    ).toEqual([
      'RunStarted',
      'ModelCalled',
      'UsageCharged',
      'ToolCalled',
      'ModelCalled',
      'UsageCharged',
      'ToolCalled',
      'ModelCalled',
      'UsageCharged',
      'RunSucceeded',
    ]);
    expect(data(events[0]!)).toMatchObject({
      taskId: task.id,
      attempt: 1,
      agentId: billing.id,
      model: 'scripted-model',
      previousRunId: '',
    });
    expect(data(events[1]!)).toMatchObject({
      turn: 1,
      promptTokens: 40,
      completionTokens: 8,
      totalTokens: 48,
      decision: 'tool_calls',
      toolCalls: [{ callId: '1:call-a1', name: 'lookup_invoice' }],
    });
    expect(data(events[2]!)).toMatchObject({ tokens: 48 });
    expect(data(events[3]!)).toMatchObject({
      callId: '1:call-a1',
      toolId: tools.lookup!.id,
      decision: 'ALLOWED',
      outcome: 'ok',
      result: '{"invoice":"42","amount":"99 EUR"}',
      argumentsJson: '{"invoice":"42"}',
    });
    expect(data(events[6]!)).toMatchObject({
      callId: '2:call-a2',
      toolId: tools.forecast!.id,
      decision: 'ALLOWED',
      outcome: 'ok',
      result: 'sunny in Oslo',
    });
    expect(data(events[7]!)).toMatchObject({
      turn: 3,
      decision: 'answer',
      content: 'Invoice 42 is 99 EUR, and it is sunny in Oslo.',
    });
    expect(data(events[9]!)).toMatchObject({ result: 'Invoice 42 is 99 EUR, and it is sunny in Oslo.' });
    // Every run event comes after the task's TaskStarted; the last one, RunSucceeded, ended the task.
    const started = await logEvent(task.id, (e) => e.type === 'TaskStarted');
    expect(events.every((e) => e.position > started.position && e.position <= ended.position)).toBe(true);
    expect(events.at(-1)!.position).toBe(ended.position);

    // WatchTask showed the task's steps and its run's, in log order, ending with the outcome.
    expect(watched.map((x) => x.type)).toEqual([
      'TaskSubmitted',
      'TaskRouted',
      'TaskStarted',
      ...events.map((e) => e.type),
    ]);
    expect(watched.map((x) => x.position)).toEqual([...watched.map((x) => x.position)].sort((a, b) => a - b));
    expect(watched.filter((x) => x.runId === runId).map((x) => x.position)).toEqual(events.map((e) => e.position));

    // What the model server received: the agent's instructions, the task, its tools, then each tool's result.
    const requests = model.requests.filter((r) => r.script === 'case-a');
    expect(requests).toHaveLength(3);
    expect(requests[0]!.model).toBe('scripted-model');
    expect(requests[0]!.authorization).toBe('Bearer scripted-key');
    expect(requests[0]!.messages.slice(0, 2)).toEqual([
      { role: 'system', content: 'You answer billing questions.' },
      { role: 'user', content: 'case-a: what does invoice 42 say, and the weather in Oslo?' },
    ]);
    // Its tools, and the built-in context tools every agent gets (no knowledge_search: it has no knowledge bases).
    expect(requests[0]!.tools.map((x) => x.function.name).sort()).toEqual([
      'context_get',
      'context_put',
      'lookup_invoice',
      'refund',
      'wx_get_forecast',
    ]);
    expect(requests[1]!.messages.at(-1)).toEqual({
      role: 'tool',
      tool_call_id: 'call-a1',
      content: '{"invoice":"42","amount":"99 EUR"}',
    });
    expect(requests[2]!.messages.at(-1)).toEqual({ role: 'tool', tool_call_id: 'call-a2', content: 'sunny in Oslo' });
    expect(invoiceRequests.at(-1)).toEqual({ method: 'POST', url: '/invoices', body: '{"invoice":"42"}' });
  });

  it('(b) refuses a tool not granted to the agent, records it, and the model receives the refusal', async () => {
    model.scriptFor(
      'case-b',
      { toolCalls: [{ id: 'call-b1', name: 'wire_money', arguments: { invoice: '42' } }] },
      { content: 'I may not wire money.' },
    );
    const wiresBefore = invoiceRequests.length;
    const task = await submit('case-b: wire the money for invoice 42', billing.id);
    expect((await taskEnded(task.id)).type).toBe('RunSucceeded');

    const events = await runEvents(`${task.id}-1`);
    const called = events.filter((e) => e.type === 'ToolCalled').map(data);
    expect(called).toEqual([
      expect.objectContaining({
        callId: '1:call-b1',
        toolId: tools.wire!.id,
        toolName: 'wire_money',
        decision: 'DENIED',
        outcome: 'refused',
      }),
    ]);
    expect(called[0]!.decisionReason).toMatch(/not granted to the agent/);
    const [, second] = model.requests.filter((r) => r.script === 'case-b');
    expect(second!.messages.at(-1)).toEqual({
      role: 'tool',
      tool_call_id: 'call-b1',
      content: `Tool call refused by governance: ${called[0]!.decisionReason}`,
    });
    expect(invoiceRequests.length).toBe(wiresBefore);
  });

  it('(c) waits for a person to approve a tool the policy guards; a rejection fails the task', async () => {
    await requireApproval(api, billing.id, tools.refund!.id);

    model.scriptFor(
      'case-c1',
      { toolCalls: [{ id: 'call-c1', name: 'refund', arguments: { invoice: '42' } }] },
      { content: 'Refunded invoice 42.' },
    );
    const approved = await submit('case-c1: refund invoice 42', billing.id);
    const waiting = await logEvent(approved.id, (e) => e.type === 'ApprovalAwaited');
    expect((await getTask(approved.id, waiting.position)).state).toBe('WAITING_APPROVAL');
    const approvalId = (waiting.data as { approvalId: string }).approvalId;
    const pending = await api.governance.listApprovals({ state: 'PENDING' as never });
    expect(pending.approvals.find((a) => a.id === approvalId)).toMatchObject({
      subject: `agent:${billing.id}`,
      action: 'tools.call',
      resource: `tools/${tools.refund!.id}`,
    });
    // Nothing was refunded while waiting.
    expect(invoiceRequests.some((r) => r.url === '/refunds')).toBe(false);
    await api.governance.decideApproval({ id: approvalId, approve: true, reason: 'fine', requestId: rid() });
    expect((await taskEnded(approved.id)).type).toBe('RunSucceeded');
    const steps = (await runEvents(`${approved.id}-1`)).map((e) => [e.type, data(e)] as const);
    expect(steps.map(([type]) => type)).toEqual([
      'RunStarted',
      'ModelCalled',
      'UsageCharged',
      'ApprovalAwaited',
      'ApprovalReceived',
      'ToolCalled',
      'ModelCalled',
      'UsageCharged',
      'RunSucceeded',
    ]);
    expect(steps[3]![1]).toMatchObject({ approvalId, toolId: tools.refund!.id, callId: '1:call-c1' });
    expect(steps[4]![1]).toMatchObject({ approvalId, approved: true, reason: 'fine' });
    expect(steps[5]![1]).toMatchObject({ decision: 'APPROVED', outcome: 'ok' });
    expect(invoiceRequests.at(-1)).toEqual({ method: 'POST', url: '/refunds', body: '{"invoice":"42"}' });

    model.scriptFor('case-c2', { toolCalls: [{ id: 'call-c2', name: 'refund', arguments: { invoice: '43' } }] });
    const rejected = await submit('case-c2: refund invoice 43', billing.id);
    const waiting2 = await logEvent(rejected.id, (e) => e.type === 'ApprovalAwaited');
    await api.governance.decideApproval({
      id: (waiting2.data as { approvalId: string }).approvalId,
      approve: false,
      reason: 'too large',
      requestId: rid(),
    });
    const failed = await taskEnded(rejected.id);
    expect(failed.type).toBe('RunFailed');
    expect(failed.data).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect((failed.data as { reason: string }).reason).toMatch(/rejected by user:.*too large/);
    const called = (await runEvents(`${rejected.id}-1`)).filter((e) => e.type === 'ToolCalled').map(data);
    expect(called).toEqual([expect.objectContaining({ decision: 'REJECTED', outcome: 'refused' })]);
    expect(invoiceRequests.some((r) => r.body === '{"invoice":"43"}')).toBe(false);
  });

  it('(d) fails a task with RESOURCE_EXHAUSTED once the agent budget is used up, without calling the model', async () => {
    const spender = await agent('spender', []);
    // The call that crosses the limit is charged (its tokens were spent); the next is refused.
    await spendOverLimit(spender.id, { tokenLimit: 10, costLimitMicros: 0 }, 'case-d1');

    model.scriptFor('case-d2', { content: 'never sent' });
    const second = await submit('case-d2: spend again', spender.id);
    const failed = await taskEnded(second.id);
    expect(failed.type).toBe('RunFailed');
    expect(failed.data).toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    expect((failed.data as { reason: string }).reason).toMatch(
      new RegExp(`budget of agent ${spender.id} is exhausted`),
    );
    expect(model.requests.filter((r) => r.script === 'case-d2')).toHaveLength(0);
    const run = await runEvents(`${second.id}-1`);
    expect(run.map((e) => e.type)).toEqual(['RunStarted', 'RunFailed']);
  });

  it('(d) charges model calls at AOS_MODEL_PRICES: a used-up cost limit fails the next task', async () => {
    const payer = await agent('payer', []);
    const first = await spendOverLimit(payer.id, { tokenLimit: 0, costLimitMicros: 30_000 }, 'case-d3');
    // 20 × 1,000 + 10 × 2,000 micro-units.
    const charged = (await runEvents(`${first.id}-1`)).filter((e) => e.type === 'UsageCharged').map(data);
    expect(charged).toEqual([expect.objectContaining({ tokens: 30, costMicros: 40_000 })]);
    const budget = await api.governance.getBudget({ scope: 'AGENT' as never, agentId: payer.id, minPosition: 0 });
    expect(Number(budget.costUsedMicros)).toBe(40_000);
    expect(Number(budget.tokensUsed)).toBe(30);

    model.scriptFor('case-d4', { content: 'never sent' });
    const second = await submit('case-d4: priced again', payer.id);
    const failed = await taskEnded(second.id);
    expect(failed.data).toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    expect(model.requests.filter((r) => r.script === 'case-d4')).toHaveLength(0);
  });

  it('(d) a call that uses the budget up ends the run before the next model call', async () => {
    const thrifty = await agent('thrifty', [tools.lookup!.id]);
    await api.governance.setBudget({
      scope: 'AGENT' as never,
      agentId: thrifty.id,
      period: 'LIFETIME' as never,
      tokenLimit: 25,
      costLimitMicros: 0,
      requestId: rid(),
    });
    // 30 tokens cross the limit; the model asked for a tool, so it would be called again.
    model.scriptFor(
      'case-d5',
      {
        toolCalls: [{ name: tools.lookup!.name, arguments: { invoice: '1' } }],
        usage: { promptTokens: 20, completionTokens: 10 },
      },
      { content: 'never sent' },
    );
    const task = await submit('case-d5: look it up', thrifty.id);
    const failed = await taskEnded(task.id);
    expect(failed.data).toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    expect((failed.data as { reason: string }).reason).toMatch(/budget of agent .* is exhausted/);
    expect(model.requests.filter((r) => r.script === 'case-d5')).toHaveLength(1);
  });

  it('(e) a runtime instance killed mid-run: another takes the task over, never both at once', async () => {
    const env = { ...t.stack.services.runtime.options.env };
    second = new ServiceProcess({ name: 'runtime-2', entry: serviceEntry('runtime'), env, output: 'ignore' });
    await second.start();
    const holder = await agent('holder', [tools.lookup!.id]);
    // Held: the first runner's request waits until it is killed; the reply then goes to the survivor's request.
    model.scriptFor('case-e', { content: 'done by the survivor', hold: 'case-e' });
    const task = await submit('case-e: take your time', holder.id);
    await model.waitForRequests(1, 'case-e');
    const started = await logEvent(task.id, (e) => e.type === 'TaskStarted');
    const runner = (started.data as { runner: string }).runner;
    const victim = [t.stack.services.runtime, second].find((p) => runner.split(':')[1] === String(p.pid));
    expect(victim, `runner ${runner}`).toBeDefined();
    process.kill(victim!.pid!, 'SIGKILL');
    await victim!.exited;
    await logEvent(task.id, (e) => e.type === 'TaskStarted' && (e.data as { attempt: number }).attempt === 2);
    await model.waitForRequests(2, 'case-e');
    model.release('case-e');

    const ended = await taskEnded(task.id);
    expect(ended.type).toBe('RunSucceeded');
    expect(ended.data).toMatchObject({ runId: `${task.id}-2`, result: 'done by the survivor' });
    const taskStream = await store.readStream({ tenantId: 'default', category: 'task', id: task.id });
    const types = taskStream.map((e) => e.type);
    expect(types.filter((x) => x === 'TaskStarted')).toHaveLength(2);
    const abandoned = taskStream.find((e) => e.type === 'TaskAttemptAbandoned')!;
    expect(abandoned.data).toMatchObject({ runId: `${task.id}-1`, attempt: 1, runner });
    const retry = taskStream.filter((e) => e.type === 'TaskStarted')[1]!;
    expect(retry.data).toMatchObject({ attempt: 2 });
    expect((retry.data as { runner: string }).runner).not.toBe(runner);
    expect(retry.position).toBeGreaterThan(abandoned.position);

    const first = await store.readStream({ tenantId: 'default', category: 'run', id: `${task.id}-1` });
    expect(first.map((e) => e.type)).toEqual(['RunStarted']);
    expect(first.every((e) => e.position < abandoned.position)).toBe(true);
    const secondRun = await store.readStream({ tenantId: 'default', category: 'run', id: `${task.id}-2` });
    expect(secondRun[0]!.data).toMatchObject({ attempt: 2, previousRunId: `${task.id}-1` });
    expect(secondRun[0]!.position).toBeGreaterThan(abandoned.position);
    expect(secondRun.map((e) => e.type)).toEqual(['RunStarted', 'ModelCalled', 'UsageCharged', 'RunSucceeded']);
    expect(model.requests.filter((r) => r.script === 'case-e').map((r) => r.replyIndex)).toEqual([-1, 0]);
  });

  it("(f) records each step of a run with an approval once, by the step's owner: the task's stream holds no copy", async () => {
    const clerk = await agent('clerk', [tools.refund!.id]);
    await requireApproval(api, clerk.id, tools.refund!.id);
    model.scriptFor(
      'case-f',
      { toolCalls: [{ id: 'call-f1', name: 'refund', arguments: { invoice: '7' } }] },
      { content: 'Refunded invoice 7.' },
    );
    const task = await submit('case-f: refund invoice 7', clerk.id);
    const awaited = await logEvent(task.id, (e) => e.type === 'ApprovalAwaited');
    const approvalId = (awaited.data as { approvalId: string }).approvalId;
    expect((await getTask(task.id, awaited.position)).state).toBe('WAITING_APPROVAL');
    await api.governance.decideApproval({ id: approvalId, approve: true, reason: 'ok', requestId: rid() });
    const ended = await taskEnded(task.id);
    expect(ended.type).toBe('RunSucceeded');

    // Everything the log holds about the task, its run and its approval, replayed from position 0.
    const about = (e: RecordedEvent) =>
      e.streamId === task.id || e.streamId.startsWith(`${task.id}-`) || e.streamId === approvalId;
    const log: RecordedEvent[] = [];
    for await (const e of store.readAll({ after: 0 })) if (about(e)) log.push(e);
    const appends = (...types: string[]) => log.filter((e) => types.includes(e.type)).length;
    // The old copies in the task's stream (TaskWaitingApproval, TaskApprovalResolved, TaskSucceeded) count as
    // appends of the same step: each step is recorded once, by the one service that knows it.
    expect({
      claim: appends('TaskStarted'),
      runStarted: appends('RunStarted'),
      modelCalls: appends('ModelCalled'),
      approvalRequested: appends('ApprovalRequested'),
      approvalAwaited: appends('ApprovalAwaited', 'TaskWaitingApproval'),
      approvalGranted: appends('ApprovalGranted'),
      approvalReceived: appends('ApprovalReceived', 'TaskApprovalResolved'),
      toolCalled: appends('ToolCalled'),
      outcome: appends('RunSucceeded', 'TaskSucceeded'),
    }).toEqual({
      claim: 1,
      runStarted: 1,
      modelCalls: 2,
      approvalRequested: 1,
      approvalAwaited: 1,
      approvalGranted: 1,
      approvalReceived: 1,
      toolCalled: 1,
      outcome: 1,
    });
    // Routing appended the task's submission, routing and claim; the approval's wait and end are the run's.
    expect(log.filter((e) => e.category === 'task').map((e) => e.type)).toEqual([
      'TaskSubmitted',
      'TaskRouted',
      'TaskStarted',
    ]);
    expect(new Set(log.filter((e) => e.category === 'run').map((e) => e.metadata.actor.id))).toEqual(
      new Set([clerk.id]),
    );
    // A replay of the log rebuilds the task, and GetTask shows the same events as its steps, in log order.
    const steps = log.filter((e) => e.category !== 'approval');
    let replayed = initialTaskState;
    for (const e of steps) {
      const event = e.category === 'task' ? parseTaskEvent(e.type, e.data) : parseRunEvent(e.type, e.data);
      replayed = evolveTask(replayed, event!);
    }
    expect(replayed).toMatchObject({ status: 'SUCCEEDED', result: 'Refunded invoice 7.', attempt: 1 });
    const read = await getTask(task.id, ended.position);
    expect(read).toMatchObject({ state: 'SUCCEEDED', result: 'Refunded invoice 7.' });
    expect(read.steps.map((s) => [s.type, Number(s.position)])).toEqual(steps.map((e) => [e.type, e.position]));
  });

  it("(g) routing killed while a run ends: restarted, it derives the task's end from the run's events again", async () => {
    const finisher = await agent('finisher', []);
    model.scriptFor('case-g', { content: 'finished while routing was down', hold: 'case-g' });
    const task = await submit('case-g: finish without routing', finisher.id);
    await model.waitForRequests(1, 'case-g');
    const routing = t.stack.services.routing;
    routing.kill();
    await routing.exited;
    model.release('case-g');
    // The runtime records the end in the run's stream; the task's owner is not there to see it.
    const ended = await taskEnded(task.id);
    expect(ended.type).toBe('RunSucceeded');
    await routing.start();
    const read = await getTask(task.id, ended.position);
    expect(read).toMatchObject({ state: 'SUCCEEDED', result: 'finished while routing was down', attempt: 1 });
    expect(Number(read.logPosition)).toBe(ended.position);
    // Nothing was repaired or written twice: the task's stream has the claim and no ending of its own.
    const own = await store.readStream({ tenantId: 'default', category: 'task', id: task.id });
    expect(own.map((e) => e.type)).toEqual(['TaskSubmitted', 'TaskRouted', 'TaskStarted']);
    const run = await store.readStream({ tenantId: 'default', category: 'run', id: `${task.id}-1` });
    expect(run.map((e) => e.type)).toEqual(['RunStarted', 'ModelCalled', 'UsageCharged', 'RunSucceeded']);
  });
});
