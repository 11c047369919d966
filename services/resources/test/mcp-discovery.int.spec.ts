import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ResourcesSubjects } from '@aos/contracts';
import { loadConfig } from '@aos/config';
import { AosError } from '@aos/errors';
import { ServiceClient, type RequestContext } from '@aos/messaging';
import { startNatsServer, type NatsServerHandle } from '@aos/testing';
import { startResources, type ResourcesService } from '../src/bootstrap';
import { StreamableHttpMcpDiscovery } from '../src/tool/mcp-server.discovery';
import { startRawMcpServer, type RawMcpServer } from './raw-mcp-server';

/**
 * RegisterMcpServer against MCP servers that misbehave: it must answer
 * UNAVAILABLE within the discovery deadline, whatever the server does.
 */
const DEADLINE_MS = 1_500;

let nats: NatsServerHandle;
let service: ResourcesService;
let client: ServiceClient;
let mcp: RawMcpServer | undefined;
const ctx: RequestContext = { tenantId: 'acme', actor: { kind: 'user', id: 'admin' }, correlationId: randomUUID() };

beforeAll(async () => {
  nats = await startNatsServer();
  service = await startResources(loadConfig({ AOS_NATS_URL: nats.url, AOS_LOG_LEVEL: 'warn' }), {
    shutdownHooks: false,
    discovery: new StreamableHttpMcpDiscovery({ timeoutMs: DEADLINE_MS, maxResponseBytes: 1024 * 1024 }),
  });
  client = new ServiceClient(nats.url, 10_000);
  await client.connect();
});

afterEach(async () => {
  await mcp?.stop();
  mcp = undefined;
});

afterAll(async () => {
  await client?.close();
  await service?.close();
  await nats?.stop();
});

/** Registers the server at `url`; returns the error and how long the answer took. */
async function register(url: string, requestId = randomUUID()): Promise<{ err: AosError; ms: number }> {
  const started = performance.now();
  const err = await client.request(ResourcesSubjects.registerMcpServer, ctx, { url, requestId }).then(
    () => {
      throw new Error('expected the registration to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AosError);
  return { err: err as AosError, ms: performance.now() - started };
}

describe('RegisterMcpServer against misbehaving servers', () => {
  it('gives up on a server that never answers a notification, at the deadline, and so does a retry', async () => {
    mcp = await startRawMcpServer((message) => (message.method === 'notifications/initialized' ? 'silent' : {}));
    const requestId = randomUUID();
    const first = await register(mcp.url, requestId);
    expect(first.err.code).toBe('UNAVAILABLE');
    expect(first.err.message).toContain(mcp.url);
    expect(first.err.message).toContain(`within ${DEADLINE_MS} ms`);
    expect(first.ms).toBeLessThan(DEADLINE_MS + 2_000);
    const retry = await register(mcp.url, requestId);
    expect(retry.err.code).toBe('UNAVAILABLE');
    expect(retry.ms).toBeLessThan(DEADLINE_MS + 2_000);
  }, 20_000);

  it('gives up on a tools/list that never answers', async () => {
    mcp = await startRawMcpServer((message) => (message.method === 'tools/list' ? 'silent' : {}));
    const { err, ms } = await register(mcp.url);
    expect(err.code).toBe('UNAVAILABLE');
    expect(ms).toBeLessThan(DEADLINE_MS + 2_000);
  }, 20_000);

  it('stops following endless cursors', async () => {
    let pages = 0;
    mcp = await startRawMcpServer((message) => {
      if (message.method !== 'tools/list') return {};
      pages += 1;
      return { tools: [], nextCursor: randomUUID() };
    });
    const { err } = await register(mcp.url);
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toContain('more than 50 pages');
    expect(pages).toBe(50);
  }, 20_000);

  it('stops at a cursor it has seen before', async () => {
    mcp = await startRawMcpServer((message) => {
      if (message.method !== 'tools/list') return {};
      return { tools: [], nextCursor: message.params?.cursor === 'a' ? 'b' : 'a' };
    });
    const { err } = await register(mcp.url);
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toContain('repeats a cursor');
  }, 20_000);

  it('stops reading responses larger than the cap', async () => {
    const description = 'x'.repeat(100_000);
    mcp = await startRawMcpServer((message) =>
      message.method === 'tools/list'
        ? {
            tools: Array.from({ length: 20 }, (_, i) => ({
              name: `t${i}`,
              description,
              inputSchema: { type: 'object' },
            })),
          }
        : {},
    );
    const { err } = await register(mcp.url);
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toContain('exceed 1048576 bytes');
  }, 20_000);

  it('names only the HTTP status of a server that is no MCP server, never its response', async () => {
    mcp = await startRawMcpServer(
      (_message, res) => {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('internal-admin-api: db_password=hunter2');
        return 'handled';
      },
      { initialize: false },
    );
    const { err } = await register(mcp.url.replace('/mcp', '/admin'));
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toContain('HTTP 400');
    expect(err.message).not.toContain('hunter2');
    expect(err.message).not.toContain('internal-admin-api');
  }, 20_000);
});
