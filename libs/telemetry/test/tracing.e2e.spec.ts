import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent, Task } from '@aos/contracts';
import { createEventStore, type EventStore } from '@aos/event-store';
import { createAosClient, type AosClient } from '@aos/grpc-client';
import {
  firstEvent,
  startOtlpReceiver,
  startScriptedModelServer,
  startTestStack,
  taskEnd,
  type OtlpReceiver,
  type ReceivedSpan,
  type ScriptedModelServer,
  type TestStack,
} from '@aos/testing';

/**
 * Traces of the whole stack, exported over OTLP/HTTP (JSON) to a receiver
 * this test starts: one CreateAgent is one trace from the gateway through
 * NATS into lifecycle and its append; a runtime task is one trace of the run
 * with its model calls and tool calls under the GenAI conventions.
 */
let receiver: OtlpReceiver;
let model: ScriptedModelServer;
let t: TestStack;
let store: EventStore;
const clients: AosClient[] = [];

const SERVER = 2;
const CLIENT = 3;
const rid = () => randomUUID();
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

beforeAll(async () => {
  [receiver, model] = await Promise.all([startOtlpReceiver(), startScriptedModelServer()]);
  t = await startTestStack({ env: { ...receiver.env, ...model.env, AOS_ROUTER: 'lexical' } });
  store = await createEventStore({ kind: 'jetstream', natsUrl: t.natsUrl });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await store?.close();
  await t?.stop();
  await model?.stop();
  await receiver?.stop();
});

/** The span and its ancestors among `spans`, nearest first. */
function lineage(span: ReceivedSpan, spans: readonly ReceivedSpan[]): ReceivedSpan[] {
  const chain = [span];
  for (let parent = span.parentSpanId; parent !== '';) {
    const next = spans.find((s) => s.spanId === parent);
    if (!next) break;
    chain.push(next);
    parent = next.parentSpanId;
  }
  return chain;
}

describe('tracing (OTEL_EXPORTER_OTLP_ENDPOINT set)', () => {
  it("one CreateAgent is one trace: the gateway's call, the NATS request, lifecycle's handler and its append; the event names it", async () => {
    // The caller's own trace is continued: its traceparent comes in the gRPC metadata.
    const callerTrace = hex(16);
    const callerSpan = hex(8);
    const api = createAosClient({
      address: t.gatewayAddr,
      apiKey: t.apiKey,
      metadata: { traceparent: `00-${callerTrace}-${callerSpan}-01` },
    });
    clients.push(api);
    const agent = await api.agents.createAgent({
      agent: { name: `traced-${rid().slice(0, 8)}`, description: 'traced' } as Partial<Agent> as Agent,
      requestId: rid(),
    });

    const trace = await receiver.waitFor((spans) => {
      const ofTrace = spans.filter((s) => s.traceId === callerTrace);
      const gateway = ofTrace.find((s) => s.name === 'aos.v1.AgentService/CreateAgent');
      const request = ofTrace.find((s) => s.name === 'aos.lifecycle.create' && s.kind === CLIENT);
      const handler = ofTrace.find((s) => s.name === 'aos.lifecycle.create' && s.kind === SERVER);
      const append = ofTrace.find((s) => s.name === 'append agent' && s.attributes['aos.stream.id'] === agent.id);
      return gateway && request && handler && append ? { gateway, request, handler, append, ofTrace } : undefined;
    });
    const { gateway, request, handler, append } = trace;

    expect(gateway.service).toBe('aos-gateway');
    expect(gateway.kind).toBe(SERVER);
    expect(gateway.parentSpanId).toBe(callerSpan);
    expect(gateway.attributes).toMatchObject({
      'rpc.system': 'grpc',
      'rpc.service': 'aos.v1.AgentService',
      'rpc.method': 'CreateAgent',
      'rpc.grpc.status_code': 0,
      'aos.tenant.id': agent.tenantId,
    });
    expect(String(gateway.attributes['aos.principal'])).toMatch(/^(user|service):/);
    // The gateway's NATS request, then lifecycle's handler of it (in the backends process).
    expect(request.service).toBe('aos-gateway');
    expect(request.parentSpanId).toBe(gateway.spanId);
    expect(handler.service).toBe('aos-backends');
    expect(handler.parentSpanId).toBe(request.spanId);
    expect(handler.attributes).toMatchObject({
      'messaging.system': 'nats',
      'messaging.destination.name': 'aos.lifecycle.create',
      'aos.tenant.id': agent.tenantId,
    });
    // The append, under lifecycle's handler: tenant and stream as attributes.
    expect(lineage(append, trace.ofTrace).map((s) => s.spanId)).toContain(handler.spanId);
    expect(append.kind).toBe(CLIENT);
    expect(append.attributes).toMatchObject({
      'aos.stream.category': 'agent',
      'aos.tenant.id': agent.tenantId,
      'db.operation.name': 'append',
    });
    expect(append.attributes['aos.event.count']).toBeGreaterThanOrEqual(1);
    expect(append.attributes['aos.event.types']).toContain('AgentCreated');

    // The event records the trace (and the handler's span) that wrote it.
    const created = await firstEvent(store, (e) => e.type === 'AgentCreated' && e.streamId === agent.id);
    expect(created.metadata.traceparent).toBe(`00-${callerTrace}-${handler.spanId}-01`);
  });

  it("a caller's mistake (NOT_FOUND) is the spans' error.type and status code, not an error status", async () => {
    const callerTrace = hex(16);
    const api = createAosClient({
      address: t.gatewayAddr,
      apiKey: t.apiKey,
      metadata: { traceparent: `00-${callerTrace}-${hex(8)}-01` },
    });
    clients.push(api);
    await expect(api.agents.getAgent({ id: rid() })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const { gateway, handler } = await receiver.waitFor((spans) => {
      const ofTrace = spans.filter((s) => s.traceId === callerTrace);
      const gateway = ofTrace.find((s) => s.name === 'aos.v1.AgentService/GetAgent');
      const handler = ofTrace.find((s) => s.name === 'aos.lifecycle.get' && s.kind === SERVER);
      return gateway && handler ? { gateway, handler } : undefined;
    });
    expect(gateway.attributes).toMatchObject({ 'rpc.grpc.status_code': 5, 'error.type': 'NOT_FOUND' });
    expect(gateway.statusCode).toBe(0);
    expect(handler.attributes['error.type']).toBe('NOT_FOUND');
    expect(handler.statusCode).toBe(0);
  });

  it("an MCP tools/call continues the caller's traceparent header into the service and its append", async () => {
    const callerTrace = hex(16);
    const callerSpan = hex(8);
    const client = new Client({ name: 'tracing-e2e', version: '0.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(t.mcpUrl!), {
      requestInit: {
        headers: { authorization: `Bearer ${t.apiKey}`, traceparent: `00-${callerTrace}-${callerSpan}-01` },
      },
    });
    await client.connect(transport);
    try {
      const put = await client.callTool({
        name: 'context_put',
        arguments: { scope: `team/traced-${rid().slice(0, 8)}`, key: 'plan', value: { step: 1 } },
      });
      expect(put.isError).toBeFalsy();
    } finally {
      await client.close();
    }
    const { tool, handler, append } = await receiver.waitFor((spans) => {
      const ofTrace = spans.filter((s) => s.traceId === callerTrace);
      const tool = ofTrace.find((s) => s.name === 'tools/call context_put');
      const handler = ofTrace.find((s) => s.name === 'aos.resources.put-context' && s.kind === SERVER);
      const append = ofTrace.find((s) => s.name === 'append ctx');
      return tool && handler && append ? { tool, handler, append } : undefined;
    });
    expect(tool.service).toBe('aos-gateway');
    expect(tool.kind).toBe(SERVER);
    expect(tool.parentSpanId).toBe(callerSpan);
    expect(tool.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'context_put',
    });
    expect(handler.service).toBe('aos-backends');
    expect(append.attributes['aos.stream.category']).toBe('ctx');
  });

  it('a runtime task is one trace: invoke_agent, its chat calls with token counts, its execute_tool call', async () => {
    const api = t.client;
    const created = await api.agents.createAgent({
      agent: {
        name: `runner-${rid().slice(0, 8)}`,
        description: 'answers traced questions',
        instructions: 'SECRET-INSTRUCTIONS never on a span',
      } as Partial<Agent> as Agent,
      requestId: rid(),
    });
    const agent = await api.agents.deployAgent({ id: created.id, requestId: rid(), reason: '' });
    model.scriptFor(
      'traced-run',
      {
        toolCalls: [{ id: 'call-t1', name: 'context_get', arguments: { key: 'notes' } }],
        usage: { promptTokens: 31, completionTokens: 7 },
      },
      { content: 'SECRET-ANSWER never on a span', usage: { promptTokens: 45, completionTokens: 5 } },
    );
    const task = await api.tasks.submitTask({
      task: { text: 'traced-run: SECRET-QUESTION never on a span', agentId: agent.id } as Partial<Task> as Task,
      requestId: rid(),
    });
    const ended = await taskEnd(store, task.id);
    expect(ended.type, JSON.stringify(ended.data)).toBe('RunSucceeded');

    const run = await receiver.waitFor((spans) => {
      const invoke = spans.find(
        (s) => s.name.startsWith('invoke_agent ') && s.attributes['gen_ai.agent.id'] === agent.id,
      );
      if (!invoke) return undefined;
      const ofTrace = spans.filter((s) => s.traceId === invoke.traceId);
      const chats = ofTrace.filter((s) => s.attributes['gen_ai.operation.name'] === 'chat');
      const tool = ofTrace.find((s) => s.name === 'execute_tool context_get');
      return chats.length === 2 && tool ? { invoke, chats, tool, ofTrace } : undefined;
    });
    const { invoke, chats, tool } = run;

    expect(invoke.service).toBe('aos-backends');
    expect(invoke.name).toBe(`invoke_agent ${agent.name}`);
    expect(invoke.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': agent.name,
      'aos.tenant.id': agent.tenantId,
      'aos.task.id': task.id,
      'aos.run.outcome': 'SUCCEEDED',
    });
    const [first, second] = chats;
    for (const chat of chats) {
      expect(chat.name).toBe('chat scripted-model');
      expect(chat.kind).toBe(CLIENT);
      expect(chat.parentSpanId).toBe(invoke.spanId);
      expect(chat.attributes).toMatchObject({
        'gen_ai.provider.name': 'openai',
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'scripted-model',
        'server.address': '127.0.0.1',
      });
    }
    expect(first!.attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 31,
      'gen_ai.usage.output_tokens': 7,
      'gen_ai.response.finish_reasons': ['tool_calls'],
    });
    expect(second!.attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 45,
      'gen_ai.usage.output_tokens': 5,
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(tool.parentSpanId).toBe(invoke.spanId);
    expect(tool.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'context_get',
      'gen_ai.tool.call.id': '1:call-t1',
      'gen_ai.agent.id': agent.id,
    });
    // The tool's NATS request to resources, and the run's appends, are in the run's trace too.
    expect(run.ofTrace.some((s) => s.name === 'append run' && s.attributes['aos.stream.category'] === 'run')).toBe(
      true,
    );
    // Prompts, instructions and answers stay off the spans.
    expect(JSON.stringify(run.ofTrace)).not.toMatch(/SECRET-/);
    // The run's events name its trace.
    expect(ended.metadata.traceparent).toMatch(new RegExp(`^00-${invoke.traceId}-[0-9a-f]{16}-01$`));
  });
});
