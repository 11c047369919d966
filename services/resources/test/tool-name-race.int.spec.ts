import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOOL_CATEGORY, type ToolRegistered } from '@aos/contracts';
import { AosError } from '@aos/errors';
import { createEventStore, type EventStore, type Subscription } from '@aos/event-store';
import type { RequestContext } from '@aos/messaging';
import { startNatsServer, type NatsServerHandle } from '@aos/testing';
import { JetStreamKvNameLedger } from '@aos/command-pipeline';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { StreamableHttpMcpDiscovery } from '../src/tool/mcp-server.discovery';
import { ToolHandler } from '../src/tool/tool.handler';
import { ToolProjection } from '../src/tool/tool.projection';
import type { RegisterToolMutation } from '../src/tool/tool.validation';

/**
 * The tool handler against a real nats-server and event store, with a read
 * model held back on purpose: a registration that times out waiting for it
 * must still keep its name from the next one.
 */
let nats: NatsServerHandle;
let store: EventStore;
let subscription: Subscription;
let handler: ToolHandler;
let release: () => void;
let nc: NatsConnection;

const ctx: RequestContext = { tenantId: 'acme', actor: { kind: 'user', id: 'admin' }, correlationId: randomUUID() };

beforeAll(async () => {
  nats = await startNatsServer();
  store = await createEventStore({ kind: 'jetstream', natsUrl: nats.url });
  const projection = new ToolProjection();
  const held = new Promise<void>((resolve) => (release = resolve));
  handler = new ToolHandler({
    store,
    projection,
    follower: { waitFor: (position, timeoutMs) => subscription.waitFor(position, timeoutMs) },
    isFollowing: () => true,
    discovery: new StreamableHttpMcpDiscovery(),
    names: await JetStreamKvNameLedger.open((nc = await connect({ servers: nats.url }))),
    waits: { writeMs: 200, catchUpMs: 200 },
  });
  subscription = store.subscribe({ after: 0, filter: { category: TOOL_CATEGORY } }, async (event) => {
    await held;
    projection.apply(event);
    handler.pipeline.requests.apply(event);
  });
  await subscription.caughtUp;
});

afterAll(async () => {
  release?.();
  await subscription?.close();
  await nc?.close();
  await store?.close();
  await nats?.stop();
});

function mutation(name: string): RegisterToolMutation {
  return {
    type: 'RegisterTool',
    requestId: randomUUID(),
    name,
    description: '',
    risk: 'READ',
    http: { endpoint: 'https://api.example.com/', method: 'GET' },
    inputSchemaJson: '{"type":"object"}',
    priceMicros: 0,
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => 'resolved',
    (e: unknown) => e,
  );
  return err instanceof AosError ? err.code : String(err);
}

describe('tool names while the read model lags', () => {
  it('lets only one of two registrations take a name, even when the first times out waiting', async () => {
    const first = mutation('lookup');
    expect(await codeOf(handler.registerTool(ctx, first))).toBe('DEADLINE_EXCEEDED');
    expect(await codeOf(handler.registerTool(ctx, mutation('lookup')))).toBe('ALREADY_EXISTS');

    release();
    await subscription.waitFor(await store.headPosition(), 5_000);
    const named: string[] = [];
    for await (const event of store.readAll({ filter: { category: TOOL_CATEGORY } })) {
      named.push((event.data as ToolRegistered).name);
    }
    expect(named).toEqual(['lookup']);
    // The first registration's retry answers with its tool; a third attempt still finds the name taken.
    await expect(handler.registerTool(ctx, first)).resolves.toMatchObject({ name: 'lookup', state: 'ENABLED' });
    expect(await codeOf(handler.registerTool(ctx, mutation('lookup')))).toBe('ALREADY_EXISTS');
    await expect(handler.registerTool(ctx, mutation('other'))).resolves.toMatchObject({ name: 'other' });
  });
});
