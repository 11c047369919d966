import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  create,
  fromBinary,
  toBinary,
  type DescMethod,
  type DescMethodStreaming,
  type DescMethodUnary,
} from '@bufbuild/protobuf';
import { Code, ConnectError, type Transport } from '@connectrpc/connect';
import { createAsyncIterable } from '@connectrpc/connect/protocol';
import { createConnectTransport } from '@connectrpc/connect-node';
import { startTestStack, type TestStack } from '@aos/testing';
import { loadAosDescriptors } from '../src/console/console.descriptors';
import { GatewayCaller } from './support/gateway-caller';
import { principalWithKey, rid, unique, type KeyHolder } from './support/governance-fixtures';

/**
 * The browser bridge on AOS_CONSOLE_ADDR, through a real stack: a Connect (and
 * gRPC-web) call is the gateway's gRPC call, with the same credentials,
 * permission guard, status codes, request ids and audit.
 */
const { services } = loadAosDescriptors();
let t: TestStack;
let gateway: GatewayCaller;
let connect: Transport;
let consoleUrl: string;
let viewer: KeyHolder;

beforeAll(async () => {
  t = await startTestStack();
  gateway = new GatewayCaller(t.gatewayAddr);
  expect(t.consoleAddr).toMatch(/^127\.0\.0\.1:\d+$/);
  consoleUrl = `http://${t.consoleAddr}`;
  // HTTP/1.1: what a browser's fetch speaks to the console.
  connect = createConnectTransport({ baseUrl: consoleUrl, httpVersion: '1.1' });
  viewer = await principalWithKey(gateway, t.apiKey, { role: 'viewer' });
});
afterAll(async () => {
  gateway?.close();
  await t?.stop();
});

function method(service: string, name: string): DescMethod {
  const found = services.find((s) => s.name === service)?.methods.find((m) => m.name === name);
  if (!found) throw new Error(`no method ${service}/${name}`);
  return found;
}

const bearer = (key: string | null): Record<string, string> => (key ? { authorization: `Bearer ${key}` } : {});

/** A unary call over the Connect protocol; the reply as a plain object. */
async function unary(service: string, name: string, input: object, key: string | null = t.apiKey) {
  const reply = await connect.unary(
    method(service, name) as DescMethodUnary,
    undefined,
    undefined,
    bearer(key),
    input as never,
  );
  return reply.message as unknown as Record<string, unknown> & { id: string };
}

async function codeOf(call: Promise<unknown>): Promise<{ code: Code; message: string }> {
  try {
    await call;
  } catch (err) {
    const e = ConnectError.from(err);
    return { code: e.code, message: e.rawMessage };
  }
  throw new Error('expected the call to fail');
}

describe('the Connect bridge on AOS_CONSOLE_ADDR', () => {
  it('serves every aos.v1 service: CreateAgent then GetAgent, the same agent as over gRPC', async () => {
    const name = unique('bridge');
    const created = await unary('AgentService', 'CreateAgent', {
      requestId: rid(),
      agent: { name, capabilities: ['billing'] },
    });
    expect(created.name).toBe(name);
    const got = await unary('AgentService', 'GetAgent', { id: created.id });
    expect(got).toMatchObject({ id: created.id, name, capabilities: ['billing'], tenantId: 'default' });
    const overGrpc = await t.client.agents.getAgent({ id: created.id });
    expect(overGrpc).toMatchObject({ id: created.id, name, revision: Number(got.revision) });
  });

  it('a retried request id answers the same agent, whichever protocol sent it first', async () => {
    const requestId = rid();
    const name = unique('retried');
    const viaConnect = await unary('AgentService', 'CreateAgent', { requestId, agent: { name } });
    const viaGrpc = await t.client.agents.createAgent({ requestId, agent: { name } });
    expect(viaGrpc.id).toBe(viaConnect.id);
    const created = await t.client.audit.listEvents({ stream: `agent-${viaConnect.id}` });
    expect(created.events.filter((e) => e.type === 'AgentCreated')).toHaveLength(1);
  });

  it('no credentials: UNAUTHENTICATED, as over gRPC', async () => {
    const refused = await codeOf(unary('AgentService', 'ListAgents', {}, null));
    expect(refused.code).toBe(Code.Unauthenticated);
    const overGrpc = await gateway.call('AgentService', 'ListAgents', {}, undefined);
    expect(overGrpc.status).toBe('UNAUTHENTICATED');
    expect(refused.message).toBe(overGrpc.details);
  });

  it("a viewer's crafted DeployAgent is refused with PERMISSION_DENIED, and the agent stays a draft", async () => {
    const agent = await unary('AgentService', 'CreateAgent', { requestId: rid(), agent: { name: unique('guarded') } });
    const refused = await codeOf(unary('AgentService', 'DeployAgent', { id: agent.id, requestId: rid() }, viewer.key));
    expect(refused.code).toBe(Code.PermissionDenied);
    const overGrpc = await gateway.call(
      'AgentService',
      'DeployAgent',
      { id: agent.id, requestId: rid() },
      `Bearer ${viewer.key}`,
    );
    expect(overGrpc.status).toBe('PERMISSION_DENIED');
    expect(refused.message).toBe(overGrpc.details);
    // What the viewer may do, it can: reads pass.
    expect((await unary('AgentService', 'GetAgent', { id: agent.id }, viewer.key)).id).toBe(agent.id);
    expect((await t.client.agents.getAgent({ id: agent.id })).state).toBe('DRAFT');
  });

  it("an invalid field: INVALID_ARGUMENT naming it, the gateway's own message", async () => {
    const refused = await codeOf(unary('AgentService', 'CreateAgent', { requestId: rid(), agent: { name: '' } }));
    expect(refused.code).toBe(Code.InvalidArgument);
    expect(refused.message).toMatch(/name/);
  });

  it("Connect's JSON encoding names each field as proto3 JSON does", async () => {
    const response = await fetch(`${consoleUrl}/aos.v1.GovernanceService/WhoAmI`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'connect-protocol-version': '1', ...bearer(t.apiKey) },
      body: '{}',
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body)).not.toContain('');
    expect(body).toMatchObject({ tenantId: 'default' });
  });

  it('a body that is no message: INVALID_ARGUMENT before anything is forwarded', async () => {
    const response = await fetch(`${consoleUrl}/aos.v1.AgentService/ListAgents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'connect-protocol-version': '1', ...bearer(t.apiKey) },
      body: '{"pageSize": "many"',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'invalid_argument' });
  });

  it('a request body over 1 MiB is refused with RESOURCE_EXHAUSTED', async () => {
    const huge = 'x'.repeat(1024 * 1024 + 1);
    const refused = await codeOf(
      unary('AgentService', 'CreateAgent', { requestId: rid(), agent: { name: unique('huge'), description: huge } }),
    );
    expect(refused.code).toBe(Code.ResourceExhausted);
  });

  it('RuntimeService.Connect (a request stream) is not offered to browsers: UNIMPLEMENTED', async () => {
    const response = await connect.stream(
      method('RuntimeService', 'Connect') as DescMethodStreaming,
      undefined,
      undefined,
      bearer(t.apiKey),
      createAsyncIterable([{}] as never[]),
    );
    const refused = await codeOf(
      (async () => {
        for await (const _ of response.message) void _;
      })(),
    );
    expect(refused.code).toBe(Code.Unimplemented);
  });

  it('WatchAgents streams live changes message by message and ends when the browser cancels', async () => {
    const first = await t.client.agents.createAgent({ requestId: rid(), agent: { name: unique('watched') } });
    const abort = new AbortController();
    const response = await connect.stream(
      method('AgentService', 'WatchAgents') as DescMethodStreaming,
      abort.signal,
      undefined,
      bearer(t.apiKey),
      createAsyncIterable([{ afterPosition: first.logPosition - 1 }] as never[]),
    );
    const seen: { eventType: string; agentId: string }[] = [];
    let second: { id: string } | undefined;
    const reading = (async () => {
      for await (const change of response.message as AsyncIterable<{ eventType: string; agent?: { id: string } }>) {
        seen.push({ eventType: change.eventType, agentId: change.agent?.id ?? '' });
        // The replayed change has come: the stream is following, so the next one is live.
        if (change.agent?.id === first.id && !second) {
          second = await t.client.agents.createAgent({ requestId: rid(), agent: { name: unique('live') } });
        }
        if (second && change.agent?.id === second.id) abort.abort();
      }
    })();
    const ended = await codeOf(reading);
    expect(ended.code).toBe(Code.Canceled);
    expect(seen).toContainEqual({ eventType: 'AgentCreated', agentId: first.id });
    expect(seen).toContainEqual({ eventType: 'AgentCreated', agentId: second!.id });
  });

  it('speaks gRPC-web too: WhoAmI as application/grpc-web+proto', async () => {
    const whoAmI = method('GovernanceService', 'WhoAmI');
    const body = toBinary(whoAmI.input, create(whoAmI.input, {}));
    const frame = new Uint8Array(5 + body.length);
    new DataView(frame.buffer).setUint32(1, body.length);
    frame.set(body, 5);
    const response = await fetch(`${consoleUrl}/aos.v1.GovernanceService/WhoAmI`, {
      method: 'POST',
      headers: { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1', ...bearer(t.apiKey) },
      body: frame,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/grpc-web+proto');
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(bytes[0]).toBe(0);
    const length = new DataView(bytes.buffer).getUint32(1);
    const reply = fromBinary(whoAmI.output, bytes.subarray(5, 5 + length)) as unknown as Record<string, unknown>;
    expect(reply).toMatchObject({ tenantId: 'default', authentication: 'api_key' });
    expect(bytes[5 + length]).toBe(0x80);
    expect(new TextDecoder().decode(bytes.subarray(10 + length))).toMatch(/grpc-status: ?0/);
  });

  it('refuses cross-origin calls, preflights and credentials in the URL', async () => {
    const call = (path: string, headers: Record<string, string>) =>
      fetch(`${consoleUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'connect-protocol-version': '1', ...headers },
        body: '{}',
      });
    const foreign = await call('/aos.v1.GovernanceService/WhoAmI', {
      ...bearer(t.apiKey),
      origin: 'https://evil.example',
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const own = await call('/aos.v1.GovernanceService/WhoAmI', { ...bearer(t.apiKey), origin: consoleUrl });
    expect(own.status).toBe(200);
    expect(own.headers.get('access-control-allow-origin')).toBeNull();
    const keyInUrl = await call(`/aos.v1.GovernanceService/WhoAmI?authorization=Bearer%20${t.apiKey}`, {});
    expect(keyInUrl.status).toBe(400);
    const preflight = await fetch(`${consoleUrl}/aos.v1.GovernanceService/WhoAmI`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('the console files on AOS_CONSOLE_ADDR', () => {
  it('answers an app route with HTML that is revalidated on every load', async () => {
    const page = await fetch(`${consoleUrl}/agents/some-agent`);
    // Built: the app's index.html; not built: the page that says how to build it.
    expect([200, 503]).toContain(page.status);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toMatch(/^no-(cache|store)$/);
    const html = await page.text();
    expect(html).toMatch(page.status === 200 ? /<html/i : /npm run console:build/);
  });

  it.each(['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/assets/../../../../package.json'])(
    'never reads outside the console: %s → 404',
    async (path) => {
      expect(await rawGet(path)).toMatchObject({ status: 404 });
    },
  );

  it('an unknown RPC path is 404, not the app', async () => {
    const response = await fetch(`${consoleUrl}/aos.v1.NoSuchService/Nothing`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'connect-protocol-version': '1' },
      body: '{}',
    });
    expect(response.status).toBe(404);
  });
});

/** A GET with the path sent exactly as written (fetch would resolve the dot segments first). */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  const [host, port] = t.consoleAddr!.split(':');
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port: Number(port), path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', reject);
    req.end();
  });
}
