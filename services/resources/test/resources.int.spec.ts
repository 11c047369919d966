import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ResourcesSubjects,
  TOOL_CATEGORY,
  type ListToolsResponse,
  type RegisterMcpServerResponse,
  type Tool,
  type Subject,
} from '@aos/contracts';
import { loadConfig } from '@aos/config';
import { AosError, type ErrorCode } from '@aos/errors';
import { createEventStore, type EventStore, type RecordedEvent } from '@aos/event-store';
import { ServiceClient, type RequestContext } from '@aos/messaging';
import {
  MCP_SERVER_INFO,
  startMcpTestServer,
  startNatsServer,
  type McpTestServer,
  type NatsServerHandle,
} from '@aos/testing';
import { startResources, type ResourcesService } from '../src/bootstrap';
import { MAX_LIST_REPLY_BYTES } from '../src/tool/tool.handler';
import { listing, startRawMcpServer } from './raw-mcp-server';

/**
 * The resources service's tool registry against a real nats-server, the real
 * JetStream event store and a real MCP server over streamable HTTP.
 */
let nats: NatsServerHandle;
let service: ResourcesService;
let store: EventStore;
let client: ServiceClient;
let mcp: McpTestServer;

const acme = ctxOf('acme');
const globex = ctxOf('globex');

beforeAll(async () => {
  nats = await startNatsServer();
  service = await startResources(loadConfig({ AOS_NATS_URL: nats.url, AOS_LOG_LEVEL: 'warn' }), {
    shutdownHooks: false,
  });
  store = await createEventStore({ kind: 'jetstream', natsUrl: nats.url });
  client = new ServiceClient(nats.url);
  await client.connect();
  mcp = await startMcpTestServer();
});

afterAll(async () => {
  await client?.close();
  await service?.close();
  await store?.close();
  await mcp?.stop();
  await nats?.stop();
});

function ctxOf(tenantId: string): RequestContext {
  return { tenantId, actor: { kind: 'user', id: `admin-of-${tenantId}` }, correlationId: randomUUID() };
}

/** Sends any body (also a malformed one, on purpose) on a subject; the reply as the test expects it. */
function call<T, B = unknown>(subject: Subject<B, unknown>, ctx: RequestContext, body: unknown): Promise<T> {
  return client.request(subject, ctx, body as B) as Promise<unknown> as Promise<T>;
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode, field?: string): Promise<AosError> {
  const err = await promise.then(
    () => {
      throw new Error(`expected ${code}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AosError);
  expect((err as AosError).code, (err as AosError).message).toBe(code);
  if (field) expect((err as AosError).field, (err as AosError).message).toBe(field);
  return err as AosError;
}

async function toolEvents(): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const event of store.readAll({ filter: { category: TOOL_CATEGORY } })) events.push(event);
  return events;
}

const unique = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

const SCHEMA = JSON.stringify({
  type: 'object',
  properties: { order_id: { type: 'string' }, amount: { type: 'number', minimum: 0 } },
  required: ['order_id'],
});

function httpTool(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: unique('refund'),
    description: 'Refunds an order',
    risk: 'DESTRUCTIVE',
    http: { endpoint: 'https://payments.example.com/refunds', method: 'post' },
    inputSchemaJson: SCHEMA,
    ...overrides,
  };
}

function registerTool(ctx: RequestContext, tool: Record<string, unknown>, requestId = randomUUID()): Promise<Tool> {
  return call<Tool>(ResourcesSubjects.registerTool, ctx, { tool, requestId });
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('RegisterMcpServer against a real MCP server', () => {
  let registered: RegisterMcpServerResponse;
  const requestId = randomUUID();

  beforeAll(async () => {
    registered = await call<RegisterMcpServerResponse>(ResourcesSubjects.registerMcpServer, acme, {
      url: mcp.url,
      defaultRisk: 'WRITE',
      requestId,
    });
  });

  it('registers one tool per MCP tool, with its input schema, name and risk', () => {
    expect(registered.server).toMatchObject({
      tenantId: 'acme',
      url: mcp.url,
      serverName: MCP_SERVER_INFO.name,
      serverVersion: MCP_SERVER_INFO.version,
      createdBy: 'admin-of-acme',
    });
    expect(registered.tools.map((t) => [t.name, t.kind, t.risk, t.state, t.mcp?.toolName])).toEqual([
      // readOnlyHint decides; the unannotated tool gets the request's default_risk.
      ['get_forecast', 'MCP', 'READ', 'ENABLED', 'get_forecast'],
      ['send_alert', 'MCP', 'WRITE', 'ENABLED', 'Send.Alert'],
    ]);
    expect(registered.server!.toolIds).toEqual(registered.tools.map((t) => t.id));
    const forecast = JSON.parse(registered.tools[0]!.inputSchemaJson) as Record<string, unknown>;
    expect(forecast).toMatchObject({
      type: 'object',
      properties: { city: { type: 'string', description: 'City name' }, days: { type: 'integer' } },
      required: ['city'],
    });
    expect(JSON.parse(registered.tools[1]!.inputSchemaJson)).toMatchObject({
      type: 'object',
      properties: { message: { type: 'string' } },
    });
    for (const tool of registered.tools) {
      expect(tool.mcp).toEqual({ serverId: registered.server!.id, serverUrl: mcp.url, toolName: tool.mcp!.toolName });
      expect(tool.logPosition).toBeLessThanOrEqual(registered.server!.logPosition);
    }
  });

  it('records the server and all its tools in one event, and lists them by server', async () => {
    const events = (await toolEvents()).filter((e) => e.metadata.requestId === requestId);
    expect(events.map((e) => [e.type, e.streamId, e.revision, e.position])).toEqual([
      ['McpServerRegistered', registered.server!.id, 0, registered.server!.logPosition],
    ]);
    const data = events[0]!.data as { tools: Array<{ toolId: string; name: string }> };
    expect(data.tools.map((t) => [t.toolId, t.name])).toEqual(registered.tools.map((t) => [t.id, t.name]));
    const listed = await call<ListToolsResponse>(ResourcesSubjects.listTools, acme, {
      serverId: registered.server!.id,
    });
    expect(listed.tools.map((t) => t.id)).toEqual(registered.server!.toolIds);
  });

  it('answers a retry with the first reply, without connecting to the server again', async () => {
    const before = mcp.requests();
    const again = await call<RegisterMcpServerResponse>(ResourcesSubjects.registerMcpServer, acme, {
      url: mcp.url,
      defaultRisk: 'WRITE',
      requestId,
    });
    expect(again).toEqual(registered);
    expect(mcp.requests()).toBe(before);
  });

  it('refuses to register the same tool names twice, and accepts them under a name_prefix', async () => {
    await expectCode(
      call(ResourcesSubjects.registerMcpServer, acme, { url: mcp.url, requestId: randomUUID() }),
      'ALREADY_EXISTS',
      'name_prefix',
    );
    const prefixed = await call<RegisterMcpServerResponse>(ResourcesSubjects.registerMcpServer, acme, {
      url: mcp.url,
      namePrefix: 'wx2_',
      requestId: randomUUID(),
    });
    // No default_risk: the unannotated tool is assumed DESTRUCTIVE.
    expect(prefixed.tools.map((t) => [t.name, t.risk])).toEqual([
      ['wx2_get_forecast', 'READ'],
      ['wx2_send_alert', 'DESTRUCTIVE'],
    ]);
  });

  it('answers UNAVAILABLE naming the URL when the server cannot be reached, and records nothing', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/mcp`;
    const before = (await toolEvents()).length;
    const err = await expectCode(
      call(ResourcesSubjects.registerMcpServer, acme, { url, requestId: randomUUID() }),
      'UNAVAILABLE',
    );
    expect(err.message).toContain(url);
    expect(await toolEvents()).toHaveLength(before);
  });

  it('refuses a URL that is not http(s), or carries credentials', async () => {
    await expectCode(
      call(ResourcesSubjects.registerMcpServer, acme, { url: 'ftp://example.com/mcp', requestId: randomUUID() }),
      'INVALID_ARGUMENT',
      'url',
    );
    const err = await expectCode(
      call(ResourcesSubjects.registerMcpServer, acme, {
        url: 'http://bob:s3cret@127.0.0.1:9/mcp',
        requestId: randomUUID(),
      }),
      'INVALID_ARGUMENT',
      'url',
    );
    expect(err.message).not.toContain('s3cret');
  });
});

describe('RegisterMcpServer records a server whole or not at all', () => {
  /** The events of a tenant, and whether a name is still free there (by registering an HTTP tool with it). */
  async function eventsOf(tenantId: string): Promise<RecordedEvent[]> {
    return (await toolEvents()).filter((e) => e.metadata.tenantId === tenantId);
  }

  it('refuses a server whose tools would not fit in one event, naming its URL, and records nothing', async () => {
    const ctx = ctxOf(unique('big'));
    const description = 'd'.repeat(60_000);
    const tools = Array.from({ length: 14 }, (_, i) => ({
      name: `big_${i}`,
      inputSchema: { type: 'object', description },
    }));
    const server = await startRawMcpServer(listing(tools));
    try {
      const err = await expectCode(
        call(ResourcesSubjects.registerMcpServer, ctx, { url: server.url, requestId: randomUUID() }),
        'FAILED_PRECONDITION',
      );
      expect(err.message).toContain(server.url);
      expect(await eventsOf(ctx.tenantId)).toEqual([]);
      await expect(registerTool(ctx, httpTool({ name: 'big_0' }))).resolves.toMatchObject({ name: 'big_0' });
    } finally {
      await server.stop();
    }
  });

  it('refuses an MCP tool name longer than 256 characters, and records nothing', async () => {
    const ctx = ctxOf(unique('long'));
    const server = await startRawMcpServer(
      listing([
        { name: 'first_tool', inputSchema: { type: 'object' } },
        { name: `second${'x'.repeat(300)}`, inputSchema: { type: 'object' } },
      ]),
    );
    try {
      const err = await expectCode(
        call(ResourcesSubjects.registerMcpServer, ctx, { url: server.url, requestId: randomUUID() }),
        'FAILED_PRECONDITION',
      );
      expect(err.message).toContain('256');
      expect(await eventsOf(ctx.tenantId)).toEqual([]);
      await expect(registerTool(ctx, httpTool({ name: 'first_tool' }))).resolves.toMatchObject({ name: 'first_tool' });
    } finally {
      await server.stop();
    }
  });

  it('replies under the NATS limit for a server just under the size cap', async () => {
    const ctx = ctxOf(unique('full'));
    const description = 'd'.repeat(1_150);
    const tools = Array.from({ length: 500 }, (_, i) => ({
      name: `tool_${i}`,
      inputSchema: { type: 'object', description },
    }));
    const server = await startRawMcpServer(listing(tools));
    try {
      const reply = await call<RegisterMcpServerResponse>(ResourcesSubjects.registerMcpServer, ctx, {
        url: server.url,
        requestId: randomUUID(),
      });
      expect(reply.tools).toHaveLength(500);
      const [event] = await eventsOf(ctx.tenantId);
      expect(Buffer.byteLength(JSON.stringify(event!.data))).toBeGreaterThan(700 * 1024);
      expect(Buffer.byteLength(JSON.stringify(reply))).toBeLessThan(1024 * 1024 - 16 * 1024);
    } finally {
      await server.stop();
    }
  });

  it('cuts a long server name and version to 256 characters', async () => {
    const ctx = ctxOf(unique('info'));
    const server = await startRawMcpServer(
      (message, res) => {
        if (message.method !== 'initialize') return message.method === 'tools/list' ? { tools: [] } : {};
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            jsonrpc: '2.0',
            id: message.id,
            result: {
              protocolVersion: message.params?.protocolVersion,
              capabilities: { tools: {} },
              serverInfo: { name: 'n'.repeat(5000), version: 'v'.repeat(5000) },
            },
          }),
        );
        return 'handled';
      },
      { initialize: false },
    );
    try {
      const reply = await call<RegisterMcpServerResponse>(ResourcesSubjects.registerMcpServer, ctx, {
        url: server.url,
        requestId: randomUUID(),
      });
      expect(reply.server).toMatchObject({ serverName: 'n'.repeat(256), serverVersion: 'v'.repeat(256) });
    } finally {
      await server.stop();
    }
  });
});

describe('HTTP tools', () => {
  it('registers, gets, lists and disables a tool; a disabled tool stays readable', async () => {
    const tool = await registerTool(acme, httpTool({ name: 'refund-order' }));
    expect(tool).toMatchObject({
      tenantId: 'acme',
      name: 'refund-order',
      kind: 'HTTP',
      risk: 'DESTRUCTIVE',
      http: { endpoint: 'https://payments.example.com/refunds', method: 'POST' },
      state: 'ENABLED',
      revision: 0,
      createdBy: 'admin-of-acme',
    });
    expect(JSON.parse(tool.inputSchemaJson)).toEqual(JSON.parse(SCHEMA));

    const got = await call<Tool>(ResourcesSubjects.getTool, acme, { id: tool.id, minPosition: tool.logPosition });
    expect(got).toEqual(tool);

    const disabled = await call<Tool>(ResourcesSubjects.disableTool, acme, {
      id: tool.id,
      reason: 'replaced by v2',
      expectedRevision: 0,
      requestId: randomUUID(),
    });
    expect(disabled).toMatchObject({ id: tool.id, state: 'DISABLED', revision: 1 });
    expect(disabled.logPosition).toBeGreaterThan(tool.logPosition);
    expect(await call<Tool>(ResourcesSubjects.getTool, acme, { id: tool.id })).toEqual(disabled);

    const disabledList = await call<ListToolsResponse>(ResourcesSubjects.listTools, acme, { state: 'DISABLED' });
    expect(disabledList.tools.map((t) => t.id)).toContain(tool.id);
    const enabledHttp = await call<ListToolsResponse>(ResourcesSubjects.listTools, acme, {
      kind: 'HTTP',
      state: 'ENABLED',
    });
    expect(enabledHttp.tools.map((t) => t.id)).not.toContain(tool.id);
    expect(enabledHttp.tools.every((t) => t.kind === 'HTTP')).toBe(true);

    await expectCode(
      call(ResourcesSubjects.disableTool, acme, { id: tool.id, requestId: randomUUID() }),
      'FAILED_PRECONDITION',
    );
    // A disabled tool keeps its name.
    await expectCode(registerTool(acme, httpTool({ name: 'refund-order' })), 'ALREADY_EXISTS', 'tool.name');
  });

  it('refuses a name taken in the tenant with ALREADY_EXISTS, but not in another tenant', async () => {
    const name = unique('lookup');
    await registerTool(acme, httpTool({ name, risk: 'READ' }));
    await expectCode(registerTool(acme, httpTool({ name })), 'ALREADY_EXISTS', 'tool.name');
    await expect(registerTool(globex, httpTool({ name }))).resolves.toMatchObject({ tenantId: 'globex', name });
  });

  it.each([
    ['tool.http.endpoint', { http: { endpoint: 'not a url', method: 'POST' } }],
    ['tool.http.endpoint', { http: { endpoint: 'file:///etc/passwd', method: 'POST' } }],
    ['tool.http.endpoint', { http: { endpoint: 'https://user:pass@x.example.com/', method: 'POST' } }],
    ['tool.http.method', { http: { endpoint: 'https://x.example.com', method: 'TRACE' } }],
    ['tool.http', { http: undefined }],
    ['tool.risk', { risk: 'TOOL_RISK_UNSPECIFIED' }],
    ['tool.name', { name: 'Has Spaces' }],
    ['tool.name', { name: 'x'.repeat(65) }],
    ['tool.input_schema_json', { inputSchemaJson: '{not json' }],
    ['tool.input_schema_json', { inputSchemaJson: '{"type":"string"}' }],
    ['tool.input_schema_json', { inputSchemaJson: '{"type":"object","properties":{"a":{"type":"nope"}}}' }],
    ['tool.input_schema_json', { inputSchemaJson: '{"type":"object","properties":{"a":{"$ref":"#/missing"}}}' }],
  ])('refuses a bad %s with INVALID_ARGUMENT naming it (%j)', async (field, overrides) => {
    const err = await expectCode(registerTool(acme, httpTool(overrides)), 'INVALID_ARGUMENT', field);
    expect(err.message.startsWith(`${field}:`)).toBe(true);
  });

  it('keeps a schema’s nested $id to itself: another tenant’s $ref cannot reach it', async () => {
    const id = `http://schemas.example.com/${randomUUID()}`;
    const withId = JSON.stringify({ type: 'object', properties: { a: { $id: id, type: 'string' } } });
    await registerTool(acme, httpTool({ inputSchemaJson: withId, risk: 'READ' }));
    // The same nested $id again is no conflict either.
    await registerTool(acme, httpTool({ inputSchemaJson: withId, risk: 'READ' }));
    const refersToIt = JSON.stringify({ type: 'object', properties: { a: { $ref: id } } });
    const err = await expectCode(
      registerTool(globex, httpTool({ inputSchemaJson: refersToIt })),
      'INVALID_ARGUMENT',
      'tool.input_schema_json',
    );
    expect(err.message).toContain(id);
  });

  it('accepts a schema nested 64 deep', async () => {
    const deep = `{"type":"object","not":${'{"not":'.repeat(62)}{}${'}'.repeat(62)}}`;
    await expect(registerTool(acme, httpTool({ inputSchemaJson: deep, risk: 'READ' }))).resolves.toMatchObject({
      inputSchemaJson: deep,
    });
  });

  it('ends a ListTools page early rather than exceed the NATS message limit', async () => {
    const ctx = ctxOf(unique('fat'));
    const inputSchemaJson = JSON.stringify({ type: 'object', description: 'd'.repeat(60_000) });
    const ids: string[] = [];
    for (let i = 0; i < 16; i++) ids.push((await registerTool(ctx, httpTool({ inputSchemaJson, risk: 'READ' }))).id);
    const pages: ListToolsResponse[] = [];
    let pageToken = '';
    do {
      const page = await call<ListToolsResponse>(ResourcesSubjects.listTools, ctx, { pageSize: 1000, pageToken });
      expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThan(MAX_LIST_REPLY_BYTES + 70_000);
      expect(page.totalSize).toBe(16);
      pages.push(page);
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.flatMap((p) => p.tools.map((t) => t.id))).toEqual(ids);
  });

  // Deeper than ajv's recursion survives: refused, not an INTERNAL crash.
  it.each([
    ['"not" 2000 deep', `{"type":"object","not":${'{"not":'.repeat(2000)}{}${'}'.repeat(2000)}}`],
    ['an array 9000 deep', `{"type":"object","default":${'['.repeat(9000)}${']'.repeat(9000)}}`],
    ['"not" 66 deep', `{"type":"object","not":${'{"not":'.repeat(64)}{}${'}'.repeat(64)}}`],
  ])('refuses a schema nested too deep (%s) with INVALID_ARGUMENT', async (_label, inputSchemaJson) => {
    const err = await expectCode(
      registerTool(acme, httpTool({ inputSchemaJson })),
      'INVALID_ARGUMENT',
      'tool.input_schema_json',
    );
    expect(err.message).toContain('64 deep');
  });

  it('defaults an empty input schema to an object with no properties', async () => {
    const tool = await registerTool(acme, httpTool({ inputSchemaJson: '', risk: 'READ' }));
    expect(tool.inputSchemaJson).toBe('{"type":"object"}');
  });

  it('keeps tenants apart: another tenant’s tool id is NOT_FOUND for every method', async () => {
    const tool = await registerTool(acme, httpTool());
    await expectCode(call(ResourcesSubjects.getTool, globex, { id: tool.id }), 'NOT_FOUND');
    await expectCode(
      call(ResourcesSubjects.disableTool, globex, { id: tool.id, requestId: randomUUID() }),
      'NOT_FOUND',
    );
    const listed = await call<ListToolsResponse>(ResourcesSubjects.listTools, globex, {});
    expect(listed.tools.map((t) => t.id)).not.toContain(tool.id);
    expect(listed.tools.every((t) => t.tenantId === 'globex')).toBe(true);
    expect((await call<Tool>(ResourcesSubjects.getTool, acme, { id: tool.id })).state).toBe('ENABLED');
  });

  it('answers the same request_id with the same reply and records one event', async () => {
    const requestId = randomUUID();
    const body = httpTool();
    const [first, second] = await Promise.all([
      registerTool(acme, body, requestId),
      registerTool(acme, body, requestId),
    ]);
    const third = await registerTool(acme, body, requestId);
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    expect((await toolEvents()).filter((e) => e.metadata.requestId === requestId)).toHaveLength(1);

    const disableId = randomUUID();
    const disabled = await call<Tool>(ResourcesSubjects.disableTool, acme, { id: first.id, requestId: disableId });
    expect(await call<Tool>(ResourcesSubjects.disableTool, acme, { id: first.id, requestId: disableId })).toEqual(
      disabled,
    );
    await expectCode(
      call(ResourcesSubjects.disableTool, acme, { id: randomUUID(), requestId: disableId }),
      'INVALID_ARGUMENT',
      'request_id',
    );
  });

  it('answers ABORTED for a stale expected_revision', async () => {
    const tool = await registerTool(acme, httpTool());
    await expectCode(
      call(ResourcesSubjects.disableTool, acme, { id: tool.id, expectedRevision: 3, requestId: randomUUID() }),
      'ABORTED',
    );
  });

  it('pages through the list with the same filters', async () => {
    const ctx = ctxOf(unique('pages'));
    const tools = [];
    for (let i = 0; i < 3; i++) tools.push(await registerTool(ctx, httpTool({ risk: 'READ' })));
    const first = await call<ListToolsResponse>(ResourcesSubjects.listTools, ctx, { pageSize: 2, risk: 'READ' });
    expect(first).toMatchObject({ totalSize: 3 });
    expect(first.tools.map((t) => t.id)).toEqual(tools.slice(0, 2).map((t) => t.id));
    const second = await call<ListToolsResponse>(ResourcesSubjects.listTools, ctx, {
      pageSize: 2,
      risk: 'READ',
      pageToken: first.nextPageToken,
    });
    expect(second.tools.map((t) => t.id)).toEqual([tools[2]!.id]);
    expect(second.nextPageToken).toBe('');
    await expectCode(
      call(ResourcesSubjects.listTools, ctx, { pageSize: 2, pageToken: first.nextPageToken }),
      'INVALID_ARGUMENT',
      'page_token',
    );
  });
});

describe('a restarted service', () => {
  it('rebuilds the registry from the log', async () => {
    const tool = await registerTool(acme, httpTool());
    await service.close();
    service = await startResources(loadConfig({ AOS_NATS_URL: nats.url, AOS_LOG_LEVEL: 'warn' }), {
      shutdownHooks: false,
    });
    expect(await call<Tool>(ResourcesSubjects.getTool, acme, { id: tool.id })).toEqual(tool);
  });
});
