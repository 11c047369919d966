import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ToolRegistered } from '@aos/contracts';
import {
  freePort,
  startMcpTestServer,
  startScriptedModelServer,
  type McpTestServer,
  type ScriptedModelServer,
} from '@aos/testing';
import { ModelCallError, ModelClient } from '../src/run/model-client';
import { HttpAndMcpToolExecutor } from '../src/tools/tool-executor';

/**
 * The runtime's two outside connections against real servers: the openai
 * client against the scripted OpenAI-compatible server (answers written by
 * this test), and tool execution against a real HTTP server and a real MCP
 * server over streamable HTTP.
 */
let model: ScriptedModelServer;
let mcp: McpTestServer;
let http: Server;
let httpUrl: string;
const seen: { method: string; url: string; body: string }[] = [];

beforeAll(async () => {
  model = await startScriptedModelServer();
  mcp = await startMcpTestServer();
  http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, body: Buffer.concat(chunks).toString() });
      if (req.url?.startsWith('/missing')) return void res.writeHead(404).end('no such order');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ refunded: true }));
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await model?.stop();
  await mcp?.stop();
  await new Promise((r) => http?.close(r));
});

const signal = new AbortController().signal;

describe('model client', () => {
  it('sends the messages and tools, and reads tool calls and usage', async () => {
    model.scriptFor('case-1', {
      toolCalls: [{ id: 'c1', name: 'refund', arguments: { order: '7' } }],
      usage: { promptTokens: 30, completionTokens: 7 },
    });
    const client = new ModelClient({ baseURL: model.baseURL, apiKey: 'k-1', timeoutMs: 5_000 });
    const reply = await client.complete(
      {
        model: 'm-1',
        messages: [{ role: 'user', content: 'case-1: refund order 7' }],
        tools: [
          { type: 'function', function: { name: 'refund', description: 'Refunds', parameters: { type: 'object' } } },
        ],
      },
      signal,
    );
    const call = reply.completion.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && call.function.name).toBe('refund');
    expect(reply.completion.usage?.total_tokens).toBe(37);
    expect(reply.retries).toBe(0);
    const [request] = await model.waitForRequests(1, 'case-1');
    expect(request!.model).toBe('m-1');
    expect(request!.authorization).toBe('Bearer k-1');
    expect(request!.tools.map((t) => t.function.name)).toEqual(['refund']);
  });

  it('retries a 5xx and a 429 with backoff, at most twice, and counts the retries', async () => {
    model.scriptFor('case-2', { status: 503 }, { status: 429 }, { content: 'done' });
    const client = new ModelClient({ baseURL: model.baseURL, apiKey: '', timeoutMs: 5_000, backoffMs: 10 });
    const reply = await client.complete(
      { model: 'm', messages: [{ role: 'user', content: 'case-2' }], tools: [] },
      signal,
    );
    expect(reply.completion.choices[0]!.message.content).toBe('done');
    expect(reply.retries).toBe(2);

    model.scriptFor('case-3', { status: 500 }, { status: 500 }, { status: 500 }, { content: 'never' });
    const err = await client
      .complete({ model: 'm', messages: [{ role: 'user', content: 'case-3' }], tools: [] }, signal)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelCallError);
    expect((err as ModelCallError).code).toBe('UNAVAILABLE');
    expect((err as ModelCallError).message).toMatch(/HTTP 500 \(3 tries\)/);
  });

  it('does not retry a refusal (4xx): the configuration is wrong', async () => {
    const client = new ModelClient({ baseURL: model.baseURL, apiKey: '', timeoutMs: 5_000, backoffMs: 10 });
    const before = model.requests.length;
    const err = await client
      .complete({ model: 'm', messages: [{ role: 'user', content: 'nothing scripted' }], tools: [] }, signal)
      .catch((e: unknown) => e);
    expect((err as ModelCallError).code).toBe('FAILED_PRECONDITION');
    expect(model.requests.length).toBe(before + 1);
  });
});

function tool(overrides: Partial<ToolRegistered>): ToolRegistered {
  return {
    toolId: 't',
    name: 'refund',
    description: '',
    kind: 'HTTP',
    risk: 'WRITE',
    http: null,
    mcp: null,
    inputSchemaJson: '{"type":"object"}',
    createdBy: 'u',
    ...overrides,
  };
}

describe('tool executor', () => {
  const executor = new HttpAndMcpToolExecutor(5_000);

  it('POSTs the arguments as JSON and returns the body', async () => {
    const result = await executor.execute(
      tool({ http: { endpoint: `${httpUrl}/refunds`, method: 'POST' } }),
      { order: '7' },
      signal,
    );
    expect(result).toEqual({ outcome: 'ok', result: '{"refunded":true}', error: '' });
    expect(seen.at(-1)).toEqual({ method: 'POST', url: '/refunds', body: '{"order":"7"}' });
  });

  it('sends GET arguments as the query string; an HTTP error is an error outcome', async () => {
    await executor.execute(
      tool({ http: { endpoint: `${httpUrl}/orders?x=1`, method: 'GET' } }),
      { id: 7, tag: 'a b' },
      signal,
    );
    expect(seen.at(-1)).toMatchObject({ method: 'GET', url: '/orders?x=1&id=7&tag=a+b', body: '' });
    const missing = await executor.execute(
      tool({ http: { endpoint: `${httpUrl}/missing`, method: 'GET' } }),
      {},
      signal,
    );
    expect(missing).toEqual({ outcome: 'error', result: '', error: 'HTTP 404: no such order' });
  });

  it('calls an MCP tool on its server', async () => {
    const result = await executor.execute(
      tool({ kind: 'MCP', mcp: { serverId: 's', serverUrl: mcp.url, toolName: 'get_forecast' } }),
      { city: 'Oslo' },
      signal,
    );
    expect(result).toEqual({ outcome: 'ok', result: 'sunny in Oslo', error: '' });
  });

  it('reports a server that is not there without quoting its address', async () => {
    const port = await freePort();
    const result = await executor.execute(
      tool({ http: { endpoint: `http://127.0.0.1:${port}/secret?token=abc`, method: 'POST' } }),
      {},
      signal,
    );
    expect(result.outcome).toBe('error');
    expect(result.error).toMatch(/cannot connect/);
    expect(result.error).not.toMatch(/token/);
  });
});
