import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateTenantResponse, Tool } from '@aos/contracts';
import type { AosClient } from '@aos/grpc-client';
import { startMcpTestServer, startTestStack, statusOf, type McpTestServer, type TestStack } from '@aos/testing';
import { principalWithKey } from './support/governance-fixtures';
import { GatewayCaller } from './support/gateway-caller';

/** The tool registry through the gRPC gateway of the whole stack, with a real MCP server. */
let t: TestStack;
let api: AosClient;
let mcp: McpTestServer;
let gateway: GatewayCaller;

beforeAll(async () => {
  [t, mcp] = await Promise.all([startTestStack(), startMcpTestServer()]);
  api = t.client;
  gateway = new GatewayCaller(t.gatewayAddr);
});
afterAll(async () => {
  gateway?.close();
  await t?.stop();
  await mcp?.stop();
});

const rid = () => randomUUID();
const unique = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

const failure = statusOf;

function httpTool(name: string): Tool {
  return {
    name,
    description: 'Refunds an order',
    risk: 'DESTRUCTIVE' as Tool['risk'],
    http: { endpoint: 'https://pay.example.com/refunds', method: 'POST' },
    inputSchemaJson: '{"type":"object","properties":{"order_id":{"type":"string"}},"required":["order_id"]}',
  } as Tool;
}

describe('tools through the gateway', () => {
  it('registers, gets, lists and disables an HTTP tool; the disabled tool stays readable', async () => {
    const name = unique('refund');
    const tool = await api.tools.registerTool({ tool: httpTool(name), requestId: rid() });
    expect(tool).toMatchObject({ name, kind: 'HTTP', risk: 'DESTRUCTIVE', state: 'ENABLED', tenantId: 'default' });

    expect(await api.tools.getTool({ id: tool.id })).toEqual(tool);
    const listed = await api.tools.listTools({ kind: 'HTTP' as Tool['kind'] });
    expect(listed.tools.map((x) => x.id)).toContain(tool.id);

    const disabled = await api.tools.disableTool({ id: tool.id, reason: 'replaced', requestId: rid() });
    expect(disabled).toMatchObject({ id: tool.id, state: 'DISABLED', revision: 1 });
    expect((await api.tools.getTool({ id: tool.id })).state).toBe('DISABLED');

    const events = await api.audit.listEvents({ stream: `tool-${tool.id}`, pageSize: 10 });
    expect(events.events.map((e) => e.type)).toEqual(['ToolRegistered', 'ToolDisabled']);
  });

  it('registers the tools of a real MCP server', async () => {
    const reply = await api.tools.registerMcpServer({
      url: mcp.url,
      defaultRisk: 'WRITE' as Tool['risk'],
      namePrefix: 'e2e_',
      requestId: rid(),
    });
    expect(reply.tools.map((x) => [x.name, x.kind, x.risk])).toEqual([
      ['e2e_get_forecast', 'MCP', 'READ'],
      ['e2e_send_alert', 'MCP', 'WRITE'],
    ]);
    expect(JSON.parse(reply.tools[0]!.inputSchemaJson)).toMatchObject({ properties: { city: { type: 'string' } } });
    const byServer = await api.tools.listTools({ serverId: reply.server!.id });
    expect(byServer.tools.map((x) => x.id)).toEqual(reply.server!.toolIds);
  });

  it('answers INVALID_ARGUMENT naming the field, ALREADY_EXISTS for a taken name, UNAVAILABLE for a dead MCP server', async () => {
    const badSchema = await failure(
      api.tools.registerTool({
        tool: { ...httpTool(unique('bad')), inputSchemaJson: '{"type":"array"}' },
        requestId: rid(),
      }),
    );
    expect(badSchema.code).toBe('INVALID_ARGUMENT');
    expect(badSchema.details).toMatch(/^tool\.input_schema_json: /);

    const name = unique('taken');
    await api.tools.registerTool({ tool: httpTool(name), requestId: rid() });
    expect((await failure(api.tools.registerTool({ tool: httpTool(name), requestId: rid() }))).code).toBe(
      'ALREADY_EXISTS',
    );

    const dead = await failure(api.tools.registerMcpServer({ url: 'http://127.0.0.1:9/mcp', requestId: rid() }));
    expect(dead.code).toBe('UNAVAILABLE');
    expect(dead.details).toContain('http://127.0.0.1:9/mcp');
  });

  it('lets a viewer read tools but not register or disable them; an operator may disable', async () => {
    const tool = await api.tools.registerTool({ tool: httpTool(unique('perm')), requestId: rid() });
    const viewer = t.clientWithKey((await principalWithKey(gateway, t.apiKey, { role: 'viewer' })).key);
    const operator = t.clientWithKey((await principalWithKey(gateway, t.apiKey, { role: 'operator' })).key);

    expect((await viewer.tools.getTool({ id: tool.id })).id).toBe(tool.id);
    expect((await failure(viewer.tools.registerTool({ tool: httpTool(unique('v')), requestId: rid() }))).code).toBe(
      'PERMISSION_DENIED',
    );
    expect((await failure(viewer.tools.disableTool({ id: tool.id, requestId: rid() }))).code).toBe('PERMISSION_DENIED');
    expect((await operator.tools.disableTool({ id: tool.id, requestId: rid() })).state).toBe('DISABLED');
  });

  it("answers NOT_FOUND for another tenant's tool", async () => {
    const tool = await api.tools.registerTool({ tool: httpTool(unique('iso')), requestId: rid() });
    const other = await gateway.unary<CreateTenantResponse>(
      'GovernanceService',
      'CreateTenant',
      { tenant: { id: unique('tools'), displayName: 'Other' }, requestId: rid() },
      t.apiKey,
    );
    const outsider = t.clientWithKey(other.adminApiKeySecret);
    expect((await failure(outsider.tools.getTool({ id: tool.id }))).code).toBe('NOT_FOUND');
    expect((await failure(outsider.tools.disableTool({ id: tool.id, requestId: rid() }))).code).toBe('NOT_FOUND');
    expect((await outsider.tools.listTools({})).tools).toEqual([]);
  });
});
