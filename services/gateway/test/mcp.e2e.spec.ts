import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { KnowledgeBase, Tool } from '@aos/contracts';
import { startMcpTestServer, startTestStack, type McpTestServer, type TestStack } from '@aos/testing';
import { GatewayCaller } from './support/gateway-caller';
import { principalWithKey, rid, unique, type KeyHolder } from './support/governance-fixtures';

/**
 * The gateway's MCP endpoint with the official SDK's client over streamable
 * HTTP: the same API keys as gRPC, the same permissions per tool, and one
 * tenant's data never reachable with another tenant's key.
 */
let t: TestStack;
let gateway: GatewayCaller;
let mcpUrl: URL;
let kbA: KnowledgeBase;
let b: { tenantId: string; key: string; kb: KnowledgeBase };
let viewer: KeyHolder;
let nobody: KeyHolder;
let registered: Tool;
let weather: McpTestServer;
const clients: Client[] = [];

const KAYAK_DOC = `# Kayak returns

A kayak bought at the harbour shop may be returned within 30 days, with its receipt.
The paddle leash is covered by a warranty of two seasons.
`;
const GLACIER_DOC = `# Glacier tours

The glacier tour leaves the north pier at dawn; crampons and helmets are provided.
`;

async function addMarkdown(key: string, knowledgeBaseId: string, text: string): Promise<void> {
  await t.clientWithKey(key).knowledge.addDocument({
    knowledgeBaseId,
    contentType: 'text/markdown',
    content: Buffer.from(text),
    requestId: rid(),
  });
}

beforeAll(async () => {
  [t, weather] = await Promise.all([startTestStack(), startMcpTestServer()]);
  expect(t.mcpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
  mcpUrl = new URL(t.mcpUrl!);
  gateway = new GatewayCaller(t.gatewayAddr);

  kbA = await t.client.knowledge.createKnowledgeBase({ knowledgeBase: { name: unique('kayaks') }, requestId: rid() });
  await addMarkdown(t.apiKey, kbA.id, KAYAK_DOC);

  const tenantB = await t.client.governance.createTenant({
    tenant: { id: unique('tenant-b'), displayName: 'Tenant B' },
    requestId: rid(),
  });
  const bKey = tenantB.adminApiKeySecret;
  const kbB = await t
    .clientWithKey(bKey)
    .knowledge.createKnowledgeBase({ knowledgeBase: { name: unique('glaciers') }, requestId: rid() });
  await addMarkdown(bKey, kbB.id, GLACIER_DOC);
  b = { tenantId: tenantB.tenant!.id, key: bKey, kb: kbB };

  [viewer, nobody] = await Promise.all([
    principalWithKey(gateway, t.apiKey, { role: 'viewer' }),
    principalWithKey(gateway, t.apiKey),
  ]);
  registered = await t.client.tools.registerTool({
    tool: {
      name: unique('lookup_order').replace(/-/g, '_'),
      description: 'Looks an order up',
      risk: 'READ' as Tool['risk'],
      http: { endpoint: 'https://shop.example.com/orders', method: 'GET' },
      inputSchemaJson: '{"type":"object","properties":{"order_id":{"type":"string"}},"required":["order_id"]}',
    },
    requestId: rid(),
  });
  // Its get_forecast becomes the registered tool wx_get_forecast.
  await t.client.tools.registerMcpServer({
    url: weather.url,
    defaultRisk: 'READ' as Tool['risk'],
    namePrefix: 'wx_',
    requestId: rid(),
  });
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  gateway?.close();
  await t?.stop();
  await weather?.stop();
});

/** The official SDK client, connected (initialize) with `Authorization: Bearer <key>`, or none. */
async function mcpClient(key: string | undefined): Promise<Client> {
  const client = new Client({ name: 'mcp-e2e', version: '0.0.0' });
  const headers: Record<string, string> = key === undefined ? {} : { Authorization: `Bearer ${key}` };
  const transport = new StreamableHTTPClientTransport(mcpUrl, { requestInit: { headers } });
  await client.connect(transport);
  clients.push(client);
  return client;
}

async function callTool(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
}

interface SearchOutput {
  knowledge_base_ids: string[];
  results: {
    score: number;
    snippet: string;
    citation: { knowledge_base_id: string; document_id: string; document_version: number; start_offset: number };
  }[];
}

/** A search's structured result, checked to be the same object as its text. */
function searchOutput(result: CallToolResult): SearchOutput {
  expect(result.isError ?? false, textOf(result)).toBe(false);
  expect(JSON.parse(textOf(result))).toEqual(result.structuredContent);
  return result.structuredContent as unknown as SearchOutput;
}

/** What an HTTP POST of `initialize` gets, without the SDK in between. */
async function rawInitialize(authorization?: string): Promise<Response> {
  return fetch(mcpUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(authorization ? { authorization } : {}),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
    }),
  });
}

interface RecordedDirectCall {
  toolName: string;
  principal: string;
  decision: string;
  outcome: string;
  result: string;
}

/** The DirectToolCalled events the runtime recorded for `principal`, once the audit index has them. */
async function directCallsOf(principal: string, count: number): Promise<RecordedDirectCall[]> {
  for (let attempt = 0; ; attempt++) {
    const page = await t.client.audit.listEvents({ eventTypes: ['DirectToolCalled'], pageSize: 1000 });
    const calls = page.events
      .map((e) => JSON.parse(e.dataJson) as RecordedDirectCall)
      .filter((call) => call.principal === principal);
    if (calls.length >= count || attempt === 50) return calls;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function http401Of(call: Promise<unknown>): Promise<StreamableHTTPError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StreamableHTTPError);
  expect((err as StreamableHTTPError).code).toBe(401);
  return err as StreamableHTTPError;
}

describe('the MCP endpoint', () => {
  it('lists the built-in tools with their schemas, and the registered tools the caller may call', async () => {
    const admin = await mcpClient(t.apiKey);
    expect(admin.getServerVersion()?.name).toBe('agentos');
    const { tools } = await admin.listTools();
    const names = tools.map((tool) => tool.name);
    expect(names.slice(0, 4)).toEqual(['knowledge_search', 'context_get', 'context_put', 'context_list']);
    const search = tools.find((tool) => tool.name === 'knowledge_search')!;
    expect(search.inputSchema.required).toEqual(['query']);
    expect(Object.keys(search.inputSchema.properties ?? {})).toEqual(
      expect.arrayContaining(['query', 'knowledge_base_ids', 'top_k', 'metadata_filter']),
    );
    expect(search.annotations?.readOnlyHint).toBe(true);

    // The registered tool, prefixed, with the schema it was registered with.
    const lookup = tools.find((tool) => tool.name === `tool_${registered.name}`);
    expect(lookup?.inputSchema).toEqual(JSON.parse(registered.inputSchemaJson));
    expect(lookup?.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });

    // A viewer may list tools over gRPC but holds no tools.call: the built-ins only.
    const viewerTools = (await (await mcpClient(viewer.key)).listTools()).tools.map((tool) => tool.name);
    expect(viewerTools).toEqual(['knowledge_search', 'context_get', 'context_put', 'context_list']);
  });

  it('knowledge_search answers with citations, as text JSON and as structuredContent', async () => {
    const client = await mcpClient(viewer.key);
    const out = searchOutput(await callTool(client, 'knowledge_search', { query: 'how long can I return a kayak?' }));
    expect(out.knowledge_base_ids).toEqual([kbA.id]);
    expect(out.results.length).toBeGreaterThan(0);
    const best = out.results[0]!;
    expect(best.citation).toMatchObject({ knowledge_base_id: kbA.id, document_version: 1 });
    expect(best.snippet).toContain('returned within 30 days');
    expect(best.score).toBeGreaterThan(0);

    const narrowed = searchOutput(
      await callTool(client, 'knowledge_search', { query: 'kayak', knowledge_base_ids: [kbA.id], top_k: 1 }),
    );
    expect(narrowed.results).toHaveLength(1);
  });

  it('context_put then context_get and context_list; a stale expected_version is ABORTED', async () => {
    const client = await mcpClient(t.apiKey);
    const scope = `team/mcp-${rid().slice(0, 8)}`;
    const put = await callTool(client, 'context_put', { scope, key: 'plan', value: { step: 1, owner: 'mcp' } });
    expect(put.isError ?? false, textOf(put)).toBe(false);
    expect(put.structuredContent).toMatchObject({ scope, key: 'plan', version: 1, value: { step: 1, owner: 'mcp' } });
    expect((put.structuredContent as { updated_by: string }).updated_by).toMatch(/^user:/);

    const got = await callTool(await mcpClient(viewer.key), 'context_get', { scope, key: 'plan' });
    expect(got.structuredContent).toEqual(put.structuredContent);
    expect(JSON.parse(textOf(got))).toEqual(got.structuredContent);

    const listed = await callTool(client, 'context_list', { scope });
    expect((listed.structuredContent as { entries: { key: string }[] }).entries.map((e) => e.key)).toEqual(['plan']);

    const stale = await callTool(client, 'context_put', { scope, key: 'plan', value: 2, expected_version: 0 });
    expect(stale.isError).toBe(true);
    expect(textOf(stale)).toMatch(/^ABORTED: /);
  });

  it('refuses a call without the permission with a tool error naming it, as gRPC would', async () => {
    const none = await mcpClient(nobody.key);
    const search = await callTool(none, 'knowledge_search', { query: 'kayak' });
    expect(search.isError).toBe(true);
    expect(textOf(search)).toBe(
      `PERMISSION_DENIED: ${nobody.principal.subject} lacks permission knowledge.read on *, required by knowledge_search (as by KnowledgeService.Search)`,
    );
    expect(search.structuredContent).toBeUndefined();

    const put = await callTool(await mcpClient(viewer.key), 'context_put', { scope: 'tenant', key: 'k', value: 1 });
    expect(put.isError).toBe(true);
    expect(textOf(put)).toContain('lacks permission context.write on ctx/tenant/k');
  });

  it('answers INVALID_ARGUMENT naming the argument, and a protocol error for an unknown tool', async () => {
    const client = await mcpClient(t.apiKey);
    const bad = await callTool(client, 'knowledge_search', { query: 'kayak', top_k: 500 });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/^INVALID_ARGUMENT: top_k: /);
    const extra = await callTool(client, 'context_get', { scope: 'tenant', key: 'k', colour: 'red' });
    expect(textOf(extra)).toMatch(/^INVALID_ARGUMENT: .*colour/);
    await expect(callTool(client, 'no_such_tool', {})).rejects.toThrow(/unknown tool "no_such_tool"/);
  });

  it('without credentials, or with a key that does not exist: HTTP 401, WWW-Authenticate: Bearer, a JSON-RPC error', async () => {
    const err = await http401Of(mcpClient(undefined));
    expect(err.message).toContain('UNAUTHENTICATED');

    const none = await rawInitialize();
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="agentos"');
    expect(await none.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32001 } });

    const unknown = await rawInitialize(`Bearer aos_nokey_${'x'.repeat(32)}`);
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toMatch(/^Bearer realm="agentos", error="invalid_token"/);
    const body = (await unknown.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/^UNAUTHENTICATED: /);
    expect(body.error.message).not.toContain('x'.repeat(32));

    expect((await rawInitialize(`Bearer ${t.apiKey}`)).status).toBe(200);
    const get = await fetch(mcpUrl, { headers: { authorization: `Bearer ${t.apiKey}` } });
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
  });

  it('calls a registered tool through the runtime, and a refusal is a tool error; both are recorded', async () => {
    const admin = await mcpClient(t.apiKey);
    expect((await admin.listTools()).tools.map((tool) => tool.name)).toContain('tool_wx_get_forecast');
    const sunny = await callTool(admin, 'tool_wx_get_forecast', { city: 'Oslo' });
    expect(sunny.isError ?? false, textOf(sunny)).toBe(false);
    expect(textOf(sunny)).toBe('sunny in Oslo');

    // Not listed for the viewer, and refused when called anyway: governance decides in the runtime.
    const refused = await callTool(await mcpClient(viewer.key), 'tool_wx_get_forecast', { city: 'Oslo' });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(
      new RegExp(
        `^PERMISSION_DENIED: ${viewer.principal.subject} may not call tool wx_get_forecast \\(tools\\.call, decision DENIED\\): `,
      ),
    );
    const unknown = await callTool(admin, 'tool_wx_no_such_tool', {});
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toMatch(/^NOT_FOUND: /);

    const [adminCall] = await directCallsOf((await t.client.governance.whoAmI({})).subject, 1);
    expect(adminCall).toMatchObject({
      toolName: 'wx_get_forecast',
      decision: 'ALLOWED',
      outcome: 'ok',
      result: 'sunny in Oslo',
    });
    const [viewerCall] = await directCallsOf(viewer.principal.subject, 1);
    expect(viewerCall).toMatchObject({ toolName: 'wx_get_forecast', decision: 'DENIED' });
  });

  it('a key revoked through gRPC is refused on the next MCP request', async () => {
    const holder = await principalWithKey(gateway, t.apiKey, { role: 'viewer' });
    const client = await mcpClient(holder.key);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);

    await t.client.governance.revokeApiKey({ id: holder.keyId, requestId: rid() });
    await http401Of(client.listTools());
    await http401Of(callTool(client, 'knowledge_search', { query: 'kayak' }));
    expect((await rawInitialize(`Bearer ${holder.key}`)).status).toBe(401);
  });

  it("a key of tenant B never sees tenant A's knowledge, context or tools (nor A B's)", async () => {
    const admin = await mcpClient(t.apiKey);
    const scope = 'tenant';
    const key = `secret-${rid().slice(0, 8)}`;
    const put = await callTool(admin, 'context_put', { scope, key, value: 'only for tenant A' });
    expect(put.isError ?? false, textOf(put)).toBe(false);

    const other = await mcpClient(b.key);
    const inB = searchOutput(await callTool(other, 'knowledge_search', { query: 'kayak returned within 30 days' }));
    expect(inB.knowledge_base_ids).toEqual([b.kb.id]);
    expect(inB.results.every((r) => r.citation.knowledge_base_id === b.kb.id)).toBe(true);
    expect(JSON.stringify(inB)).not.toContain('kayak');

    const named = await callTool(other, 'knowledge_search', { query: 'kayak', knowledge_base_ids: [kbA.id] });
    expect(named.isError).toBe(true);
    expect(textOf(named)).toMatch(/^NOT_FOUND: /);
    expect(textOf(named)).not.toContain('kayak');

    const got = await callTool(other, 'context_get', { scope, key });
    expect(textOf(got)).toMatch(/^NOT_FOUND: /);
    const listed = await callTool(other, 'context_list', { scope });
    expect(JSON.stringify(listed.structuredContent)).not.toContain(key);
    expect((await other.listTools()).tools.map((tool) => tool.name)).not.toContain(`tool_${registered.name}`);

    // And the other way round: A's search is A's alone.
    const inA = searchOutput(await callTool(admin, 'knowledge_search', { query: 'glacier tour crampons' }));
    expect(inA.results.every((r) => r.citation.knowledge_base_id === kbA.id)).toBe(true);
    expect(JSON.stringify(inA)).not.toContain('glacier');
  });
});
