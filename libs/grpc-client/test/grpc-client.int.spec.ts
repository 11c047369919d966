import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import type {
  Agent,
  ApiKey,
  CheckAccessRequest,
  CheckAccessResponse,
  CreateApiKeyRequest,
  CreateApiKeyResponse,
  Event,
  GetAgentRequest,
  ListToolsRequest,
  ListToolsResponse,
  RegisterToolRequest,
  ReplayEventsRequest,
  SetBudgetRequest,
  Tool,
  WhoAmIResponse,
} from '@aos/contracts';
import { AosClientError, createAosClient, loadServiceDefinition, type AosClient } from '../src';

/**
 * A tiny gRPC server speaking the real aos.v1 protocol (same protos, same
 * proto-loader options) so the client is exercised over HTTP/2 end to end.
 */
const API_KEY = 'test-key-0123456789abcdef01234';

interface Seen {
  metadata: grpc.Metadata[];
  getAgent: GetAgentRequest[];
  updateAgent: Record<string, unknown>[];
  replay: ReplayEventsRequest[];
  /** GovernanceService requests by method name. */
  governance: { method: string; request: unknown }[];
  cancelledStreams: number;
}

function agent(id: string, revision: number): Partial<Agent> {
  return {
    id,
    name: `agent-${id}`,
    capabilities: ['billing'],
    labels: { team: 'support' },
    state: 'ACTIVE' as Agent['state'],
    revision,
    createTime: { seconds: 1_700_000_000, nanos: 5_000_000 },
    logPosition: 42,
  };
}

function event(position: number): Event {
  return {
    id: `ev-${position}`,
    type: 'AgentCreated',
    stream: 'agent-a1',
    revision: position - 1,
    position,
    time: { seconds: 1_700_000_000 + position, nanos: 0 },
    dataJson: JSON.stringify({ n: position }),
    metadata: {
      tenantId: 'default',
      actor: { kind: 'user', id: 'u1' },
      correlationId: 'c',
      causationId: 'r',
      requestId: 'r',
      traceparent: '',
      schemaVersion: 1,
    },
  };
}

async function startServer(seen: Seen): Promise<{ address: string; server: grpc.Server }> {
  const server = new grpc.Server();
  server.addService(loadServiceDefinition('AgentService'), {
    getAgent(call: grpc.ServerUnaryCall<GetAgentRequest, Agent>, callback: grpc.sendUnaryData<Partial<Agent>>) {
      seen.metadata.push(call.metadata);
      seen.getAgent.push(call.request);
      if (call.request.id === 'slow') {
        setTimeout(() => callback(null, agent('slow', 0)), 2_000);
        return;
      }
      if (call.request.id !== 'a1') {
        callback({ code: grpc.status.NOT_FOUND, details: `agent "${call.request.id}" not found` });
        return;
      }
      callback(null, agent('a1', 3));
    },
    updateAgent(
      call: grpc.ServerUnaryCall<Record<string, unknown>, Agent>,
      callback: grpc.sendUnaryData<Partial<Agent>>,
    ) {
      seen.updateAgent.push(call.request);
      callback(null, agent('a1', 4));
    },
  });
  server.addService(loadServiceDefinition('AuditService'), {
    replayEvents(call: grpc.ServerWritableStream<ReplayEventsRequest, Event>) {
      seen.metadata.push(call.metadata);
      seen.replay.push(call.request);
      call.on('cancelled', () => {
        seen.cancelledStreams += 1;
      });
      const { afterPosition, category, follow } = call.request;
      for (let position = afterPosition + 1; position <= afterPosition + 3; position += 1) call.write(event(position));
      if (category === 'broken') {
        call.emit('error', { code: grpc.status.FAILED_PRECONDITION, details: 'log is being rebuilt' });
        return;
      }
      // With `follow` the stream stays open until the client cancels.
      if (!follow) call.end();
    },
  });
  server.addService(loadServiceDefinition('GovernanceService'), {
    createApiKey(
      call: grpc.ServerUnaryCall<CreateApiKeyRequest, CreateApiKeyResponse>,
      callback: grpc.sendUnaryData<Partial<CreateApiKeyResponse>>,
    ) {
      seen.metadata.push(call.metadata);
      seen.governance.push({ method: 'CreateApiKey', request: call.request });
      const apiKey: Partial<ApiKey> = {
        id: 'key-1',
        principalId: call.request.principalId,
        prefix: 'k3x9q2mf',
        state: 'API_KEY_ACTIVE' as ApiKey['state'],
        ...(call.request.expireTime && { expireTime: call.request.expireTime }),
        logPosition: 99,
      };
      callback(null, { apiKey: apiKey as ApiKey, secret: 'aos_k3x9q2mf_s3cr3t-with_underscores' });
    },
    checkAccess(
      call: grpc.ServerUnaryCall<CheckAccessRequest, CheckAccessResponse>,
      callback: grpc.sendUnaryData<Partial<CheckAccessResponse>>,
    ) {
      seen.governance.push({ method: 'CheckAccess', request: call.request });
      callback(null, {
        decision: 'DENIED' as CheckAccessResponse['decision'],
        allowed: false,
        explanation: `denied: no binding of ${call.request.subject} grants ${call.request.action}`,
        subject: call.request.subject,
      });
    },
    whoAmI(_call: grpc.ServerUnaryCall<object, WhoAmIResponse>, callback: grpc.sendUnaryData<Partial<WhoAmIResponse>>) {
      callback(null, {
        tenantId: 'acme',
        subject: 'user:p1',
        roles: ['operator', 'auditor'],
        authentication: 'api_key',
      });
    },
    setBudget(call: grpc.ServerUnaryCall<SetBudgetRequest, unknown>, callback: grpc.sendUnaryData<unknown>) {
      seen.governance.push({ method: 'SetBudget', request: call.request });
      callback({ code: grpc.status.PERMISSION_DENIED, details: 'user:p1 may not budgets.set' });
    },
  });
  server.addService(loadServiceDefinition('ToolService'), {
    registerTool(call: grpc.ServerUnaryCall<RegisterToolRequest, Tool>, callback: grpc.sendUnaryData<Partial<Tool>>) {
      seen.governance.push({ method: 'RegisterTool', request: call.request });
      callback(null, {
        ...call.request.tool,
        id: 'tool-1',
        kind: 'HTTP' as Tool['kind'],
        state: 'ENABLED' as Tool['state'],
      });
    },
    listTools(
      call: grpc.ServerUnaryCall<ListToolsRequest, ListToolsResponse>,
      callback: grpc.sendUnaryData<Partial<ListToolsResponse>>,
    ) {
      seen.governance.push({ method: 'ListTools', request: call.request });
      callback(null, { tools: [], nextPageToken: '', totalSize: 0 });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) =>
      error ? reject(error) : resolve(p),
    ),
  );
  return { address: `127.0.0.1:${port}`, server };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

async function eventually(check: () => void, timeoutMs = 2_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

describe('@aos/grpc-client against a real grpc-js server', () => {
  let seen: Seen;
  let server: grpc.Server;
  let address: string;
  let client: AosClient;

  beforeAll(async () => {
    seen = { metadata: [], getAgent: [], updateAgent: [], replay: [], governance: [], cancelledStreams: 0 };
    ({ server, address } = await startServer(seen));
    client = createAosClient({ address, apiKey: API_KEY });
  });

  afterEach(() => {
    seen.metadata.length = 0;
    seen.getAgent.length = 0;
    seen.updateAgent.length = 0;
    seen.replay.length = 0;
    seen.governance.length = 0;
    seen.cancelledStreams = 0;
  });

  afterAll(() => {
    client.close();
    server.forceShutdown();
  });

  it('sends the bearer key and per-call metadata, and decodes the reply as the ts-proto type', async () => {
    const reply = await client.agents.getAgent({ id: 'a1', minPosition: 7 }, { metadata: { 'x-request-id': 'req-1' } });

    expect(reply).toMatchObject({
      id: 'a1',
      name: 'agent-a1',
      state: 'ACTIVE',
      revision: 3,
      logPosition: 42,
      capabilities: ['billing'],
      labels: { team: 'support' },
    });
    expect(reply.createTime).toEqual({ seconds: 1_700_000_000, nanos: 5_000_000 });
    expect(seen.getAgent[0]).toMatchObject({ id: 'a1', minPosition: 7 });
    expect(seen.metadata[0]?.get('authorization')).toEqual([`Bearer ${API_KEY}`]);
    expect(seen.metadata[0]?.get('x-request-id')).toEqual(['req-1']);
  });

  it('does not leak per-call metadata into later calls', async () => {
    await client.agents.getAgent({ id: 'a1' }, { metadata: { 'x-request-id': 'once' } });
    await client.agents.getAgent({ id: 'a1' });

    expect(seen.metadata[1]?.get('x-request-id')).toEqual([]);
    expect(seen.metadata[1]?.get('authorization')).toEqual([`Bearer ${API_KEY}`]);
  });

  it('rejects a non-OK status as an AosClientError carrying the status name, number and details', async () => {
    const failure = await client.agents.getAgent({ id: 'x' }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(AosClientError);
    expect(failure).toMatchObject({ code: 'NOT_FOUND', status: grpc.status.NOT_FOUND, details: 'agent "x" not found' });
    expect((failure as Error).message).toBe('NOT_FOUND: agent "x" not found');
  });

  it('maps an unimplemented method to UNIMPLEMENTED', async () => {
    await expect(client.agents.createAgent({ agent: { name: 'n' }, requestId: 'r' })).rejects.toMatchObject({
      code: 'UNIMPLEMENTED',
    });
  });

  it('applies the per-call deadline', async () => {
    await expect(client.agents.getAgent({ id: 'slow' }, { deadlineMs: 100 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
  });

  it('cancels a unary call through an AbortSignal', async () => {
    const controller = new AbortController();
    const pending = client.agents.getAgent({ id: 'slow' }, { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('sends update_mask as a google.protobuf.FieldMask', async () => {
    await client.agents.updateAgent({
      id: 'a1',
      agent: { description: 'd' },
      updateMask: ['description', 'tool_ids'],
      expectedRevision: 3,
      requestId: 'r2',
    });

    expect(seen.updateAgent[0]).toMatchObject({
      id: 'a1',
      updateMask: { paths: ['description', 'tool_ids'] },
      expectedRevision: 3,
      requestId: 'r2',
    });
  });

  it('iterates a server stream to its end', async () => {
    const events = await collect(client.audit.replayEvents({ afterPosition: 10, category: 'agent' }));

    expect(events.map((e) => e.position)).toEqual([11, 12, 13]);
    expect(events[0]).toMatchObject({
      type: 'AgentCreated',
      stream: 'agent-a1',
      dataJson: '{"n":11}',
      time: { seconds: 1_700_000_011, nanos: 0 },
    });
    expect(events[0]?.metadata?.actor).toEqual({ kind: 'user', id: 'u1' });
    expect(seen.replay[0]).toMatchObject({ afterPosition: 10, follow: false, category: 'agent' });
    expect(seen.metadata[0]?.get('authorization')).toEqual([`Bearer ${API_KEY}`]);
  });

  it('throws a stream status error after the messages that preceded it', async () => {
    const received: number[] = [];
    const failure = await (async () => {
      for await (const e of client.audit.replayEvents({ category: 'broken' })) received.push(e.position);
    })().catch((error: unknown) => error);

    expect(received).toEqual([1, 2, 3]);
    expect(failure).toBeInstanceOf(AosClientError);
    expect(failure).toMatchObject({ code: 'FAILED_PRECONDITION', details: 'log is being rebuilt' });
  });

  it('reports a stream failure even when it arrived before iteration began', async () => {
    const stream = client.audit.replayEvents({ category: 'broken' });
    await new Promise((r) => setTimeout(r, 200));

    await expect(collect(stream)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });

  it('ends a follow stream quietly on cancel() and the server sees the cancellation', async () => {
    const stream = client.audit.replayEvents({ follow: true });
    const received: number[] = [];
    for await (const e of stream) {
      received.push(e.position);
      if (received.length === 3) stream.cancel();
    }

    expect(received).toEqual([1, 2, 3]);
    await eventually(() => expect(seen.cancelledStreams).toBe(1));
  });

  it('cancels the call when the consumer leaves the loop early', async () => {
    for await (const e of client.audit.replayEvents({ follow: true })) {
      if (e.position === 2) break;
    }

    await eventually(() => expect(seen.cancelledStreams).toBe(1));
  });

  it('creates an API key through GovernanceService, sending the expiry as a Timestamp', async () => {
    const reply = await client.governance.createApiKey({
      principalId: 'p1',
      description: 'ci',
      expireTime: { seconds: 1_800_000_000, nanos: 0 },
      requestId: 'r-key',
    });

    expect(seen.governance[0]).toEqual({
      method: 'CreateApiKey',
      request: {
        principalId: 'p1',
        description: 'ci',
        expireTime: { seconds: 1_800_000_000, nanos: 0 },
        requestId: 'r-key',
      },
    });
    expect(seen.metadata[0]?.get('authorization')).toEqual([`Bearer ${API_KEY}`]);
    expect(reply.secret).toBe('aos_k3x9q2mf_s3cr3t-with_underscores');
    expect(reply.apiKey).toMatchObject({
      id: 'key-1',
      principalId: 'p1',
      prefix: 'k3x9q2mf',
      state: 'API_KEY_ACTIVE',
      expireTime: { seconds: 1_800_000_000, nanos: 0 },
      logPosition: 99,
    });
  });

  it('decodes enum names in a CheckAccess reply and answers WhoAmI without a request body', async () => {
    const check = await client.governance.checkAccess({ subject: 'agent:a1', action: 'tools.call' });
    const me = await client.governance.whoAmI({});

    expect(seen.governance[0]?.request).toEqual({
      subject: 'agent:a1',
      action: 'tools.call',
      resource: '',
      minPosition: 0,
    });
    expect(check).toMatchObject({
      decision: 'DENIED',
      allowed: false,
      explanation: 'denied: no binding of agent:a1 grants tools.call',
      subject: 'agent:a1',
    });
    expect(me).toEqual({
      tenantId: 'acme',
      subject: 'user:p1',
      principal: null,
      roles: ['operator', 'auditor'],
      authentication: 'api_key',
    });
  });

  it('sends governance enums by name and rejects a refused call with its status', async () => {
    const failure = client.governance.setBudget({
      scope: 'AGENT' as SetBudgetRequest['scope'],
      agentId: 'a1',
      period: 'MONTHLY' as SetBudgetRequest['period'],
      costLimitMicros: 12_500_000,
    });

    await expect(failure).rejects.toMatchObject({ code: 'PERMISSION_DENIED', details: 'user:p1 may not budgets.set' });
    expect(seen.governance[0]?.request).toMatchObject({
      scope: 'AGENT',
      agentId: 'a1',
      period: 'MONTHLY',
      tokenLimit: 0,
      costLimitMicros: 12_500_000,
    });
  });

  it('registers and lists tools through ToolService, with enums by name', async () => {
    const tool = await client.tools.registerTool({
      tool: {
        name: 'weather',
        risk: 'READ' as Tool['risk'],
        http: { endpoint: 'https://api.example.com/weather', method: 'GET' },
        inputSchemaJson: '{"type":"object"}',
      } as Tool,
      requestId: 'r1',
    });
    expect(tool).toMatchObject({ id: 'tool-1', name: 'weather', kind: 'HTTP', risk: 'READ', state: 'ENABLED' });
    await expect(
      client.tools.listTools({
        kind: 'MCP' as ListToolsRequest['kind'],
        state: 'DISABLED' as ListToolsRequest['state'],
      }),
    ).resolves.toMatchObject({ tools: [], totalSize: 0 });
    expect(seen.governance.map((c) => c.method)).toEqual(['RegisterTool', 'ListTools']);
    expect(seen.governance[1]?.request).toMatchObject({
      kind: 'MCP',
      state: 'DISABLED',
      risk: 'TOOL_RISK_UNSPECIFIED',
    });
  });

  it('sends no authorization header without an api key', async () => {
    const anonymous = createAosClient({ address });
    try {
      await anonymous.agents.getAgent({ id: 'a1' });
      expect(seen.metadata[0]?.get('authorization')).toEqual([]);
    } finally {
      anonymous.close();
    }
  });

  it('fails with UNAVAILABLE when nothing listens at the address', async () => {
    const nowhere = createAosClient({ address: '127.0.0.1:1', apiKey: API_KEY });
    try {
      await expect(nowhere.agents.getAgent({ id: 'a1' })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      await expect(nowhere.waitForReady(200)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    } finally {
      nowhere.close();
    }
  });

  it('resolves waitForReady once the channel connects', async () => {
    await expect(client.waitForReady(2_000)).resolves.toBeUndefined();
  });
});
