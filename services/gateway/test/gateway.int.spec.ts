import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Controller, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload, type MicroserviceOptions } from '@nestjs/microservices';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AgentState,
  HealthStatus,
  LifecycleSubjects,
  PROTO_FILES,
  PROTO_LOADER_OPTIONS,
  QueueGroups,
  type Agent,
  type AgentChange,
  type AgentTransitionRequest,
  type Event,
  type GetAgentRequest,
  type ListEventsResponse,
} from '@aos/contracts';
import { loadConfig } from '@aos/config';
import { hashApiKey } from '@aos/access-control';
import { FailedPreconditionError, InvalidArgumentError } from '@aos/errors';
import { createEventStore, type EventStore } from '@aos/event-store';
import { natsServerOptions, Receives, RpcErrorFilter, type ServiceRequest } from '@aos/messaging';
import { startNatsServer, type NatsServerHandle } from '@aos/testing';
import { startAudit, type AuditHandle } from '@aos/audit';
import { startGateway, type GatewayHandle } from '../src/bootstrap';

const KEY = 'aos_gwadmin1_c2VjcmV0LW9mLXRoZS1hZG1pbi1rZXktMDEyMzQ1Njc4OQ';
const VIEWER_KEY = 'aos_gwviewer_c2VjcmV0LW9mLXRoZS12aWV3ZXIta2V5LTAxMjM0NTY3OA';
const TENANT = 'default';
const OTHER_TENANT = 'other';
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

// ---- A stand-in for lifecycle: a real NATS responder (Nest microservice) for two subjects.

const received: ServiceRequest<unknown>[] = [];

function agentReply(id: string, tenantId: string, state: AgentState, logPosition: number): Agent {
  return {
    id,
    tenantId,
    name: `agent ${id}`,
    description: '',
    capabilities: [],
    instructions: '',
    model: 'gpt-4o-mini',
    toolIds: [],
    knowledgeBaseIds: [],
    labels: {},
    state,
    definitionVersion: 1,
    revision: 0,
    createdBy: 'user:p-admin',
    health: {
      status: HealthStatus.UNKNOWN,
      recentRuns: 0,
      recentFailures: 0,
      lastFailure: '',
      reason: '',
      consecutiveFailures: 0,
      openSessions: 0,
    },
    logPosition,
  };
}

@Controller()
class FakeLifecycleController {
  @Receives(LifecycleSubjects.get)
  get(@Payload() request: ServiceRequest<GetAgentRequest>): Agent {
    received.push(request);
    if (request.body.id === 'boom') throw new Error('a bug inside lifecycle');
    return agentReply(request.body.id, request.ctx.tenantId, AgentState.ACTIVE, request.body.minPosition);
  }

  @Receives(LifecycleSubjects.pause)
  pause(@Payload() request: ServiceRequest<AgentTransitionRequest>): Agent {
    received.push(request);
    if (!request.body.id) throw new InvalidArgumentError('id', 'must not be empty');
    if (request.body.id === 'retired')
      throw new FailedPreconditionError('agent "retired" is RETIRED and cannot be paused');
    return agentReply(request.body.id, request.ctx.tenantId, AgentState.PAUSED, 0);
  }
}

// ---- gRPC clients built from the same protos and loader options as the gateway.

type Unary = (req: object, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void;
type ServerStream = (req: object, md: grpc.Metadata) => grpc.ClientReadableStream<unknown>;
type GrpcClient = grpc.Client & Record<string, Unary & ServerStream>;

const require = createRequire(import.meta.url);
const aos = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO_FILES, PROTO_LOADER_OPTIONS)) as unknown as {
  aos: { v1: Record<string, grpc.ServiceClientConstructor> };
};
const healthPkg = grpc.loadPackageDefinition(protoLoader.loadSync(healthProtoPath, { enums: String })) as unknown as {
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
};
const reflectionPkg = grpc.loadPackageDefinition(
  protoLoader.loadSync(
    join(dirname(require.resolve('@grpc/reflection')), '../proto/grpc/reflection/v1alpha/reflection.proto'),
  ),
) as unknown as { grpc: { reflection: { v1alpha: { ServerReflection: grpc.ServiceClientConstructor } } } };
/** grpc.reflection.v1alpha.ServerReflectionResponse, as proto-loader decodes it (only what the test reads). */
interface ReflectionResponse {
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string } | null;
}

/** Links descriptors with protoc (as grpcurl would with its own linker); returns protoc's complaints. */
function linkWithProtoc(files: object[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'aos-reflection-'));
  try {
    const set = join(dir, 'set.pb');
    writeFileSync(
      set,
      descriptor.FileDescriptorSet.encode(descriptor.FileDescriptorSet.create({ file: files })).finish(),
    );
    const names = files.map((f) => (f as { name: string }).name);
    const protoc = join(dirname(require.resolve('protoc/package.json')), 'protoc.cjs');
    const run = spawnSync(
      process.execPath,
      [protoc, `--descriptor_set_in=${set}`, `--descriptor_set_out=${join(dir, 'out.pb')}`, ...names],
      {
        encoding: 'utf8',
      },
    );
    return run.status === 0 ? '' : run.stderr || `protoc exited with ${run.status}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Call metadata: `authorization` set to `value` (default: the right key; null: none) plus `extra`. */
function auth(value: string | null = `Bearer ${KEY}`, extra: Record<string, string> = {}): grpc.Metadata {
  const md = new grpc.Metadata();
  if (value !== null) md.set('authorization', value);
  for (const [k, v] of Object.entries(extra)) md.set(k, v);
  return md;
}

function unary<T>(client: GrpcClient, method: string, request: object, md = auth()): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method](request, md, (err, res) => (err ? reject(err) : resolve(res as T))),
  );
}

function collect<T>(stream: grpc.ClientReadableStream<unknown>): Promise<T[]> {
  const items: T[] = [];
  return new Promise((resolve, reject) => {
    stream.on('data', (d: T) => items.push(d));
    stream.on('error', reject);
    stream.on('end', () => resolve(items));
  });
}

/** The first `count` messages of a stream that stays open. */
function take<T>(stream: grpc.ClientReadableStream<unknown>, count: number, timeoutMs = 5_000): Promise<T[]> {
  const items: T[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`only ${items.length} of ${count} messages in ${timeoutMs} ms`)),
      timeoutMs,
    );
    stream.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    stream.on('data', (d: T) => {
      items.push(d);
      if (items.length === count) {
        clearTimeout(timer);
        resolve(items);
      }
    });
  });
}

describe('gateway (real nats-server, JetStream store, real audit, stand-in lifecycle responder)', () => {
  let nats: NatsServerHandle;
  let dataDir: string;
  let store: EventStore;
  let lifecycle: INestMicroservice;
  let audit: AuditHandle | undefined;
  let gateway: GatewayHandle | undefined;
  let agents: GrpcClient;
  let auditClient: GrpcClient;
  const appended: { tenantId: string; position: number; type: string; category: string }[] = [];

  async function append(
    tenantId: string,
    agentId: string,
    type: string,
    category = 'agent',
    data: object = { agentId },
  ): Promise<number> {
    const { position } = await store.append(
      { tenantId, category, id: agentId },
      [
        {
          id: randomUUID(),
          type,
          data,
          metadata: {
            tenantId,
            actor: { kind: 'user', id: 'tester' },
            correlationId: 'corr-1',
            causationId: 'cause-1',
            requestId: 'req-1',
            schemaVersion: 1,
          },
        },
      ],
      { expectedRevision: 'any' },
    );
    appended.push({ tenantId, position, type, category });
    return position;
  }

  /** What governance appends for a principal with one role and one key (the gateway reads nothing else). */
  async function grant(principalId: string, role: string, key: string, systemAdmin = false): Promise<void> {
    const principal = { principalId, kind: 'USER', name: principalId, oidcSubject: '', systemAdmin };
    await append(TENANT, principalId, 'PrincipalCreated', 'principal', principal);
    await append(TENANT, TENANT, 'RoleAssigned', 'policy', {
      bindingId: `b-${principalId}`,
      subject: `user:${principalId}`,
      role,
    });
    const prefix = key.split('_')[1];
    await append(TENANT, principalId, 'ApiKeyCreated', 'principal', {
      keyId: `k-${principalId}`,
      principalId,
      prefix,
      hash: await hashApiKey(key),
      description: '',
      expireTime: null,
    });
  }

  beforeAll(async () => {
    nats = await startNatsServer();
    dataDir = await mkdtemp(join(tmpdir(), 'aos-gateway-'));
    store = await createEventStore({ kind: 'jetstream', natsUrl: nats.url });
    await append(TENANT, 'a1', 'AgentCreated');
    await append(OTHER_TENANT, 'x1', 'AgentCreated');
    await append(TENANT, 'a1', 'AgentDeployed');
    await append(TENANT, TENANT, 'TenantCreated', 'tenant', { tenantId: TENANT, displayName: TENANT });
    await grant('p-admin', 'tenant-admin', KEY, true);
    await grant('p-viewer', 'viewer', VIEWER_KEY);

    lifecycle = await NestFactory.createMicroservice<MicroserviceOptions>(
      { module: class FakeLifecycleModule {}, controllers: [FakeLifecycleController] },
      { ...natsServerOptions(nats.url, QueueGroups.lifecycle, 'fake-lifecycle'), logger: false },
    );
    lifecycle.useGlobalFilters(new RpcErrorFilter());
    await lifecycle.listen();

    const config = loadConfig({
      AOS_NATS_URL: nats.url,
      AOS_DATA_DIR: dataDir,
      AOS_GATEWAY_ADDR: '127.0.0.1:0',
      AOS_MCP_ADDR: '127.0.0.1:0',
      AOS_CONSOLE_ADDR: '127.0.0.1:0',
      AOS_DEFAULT_TENANT: TENANT,
      AOS_LOG_LEVEL: 'error',
    });
    audit = await startAudit(config);
    gateway = await startGateway(config);
    const credentials = grpc.credentials.createInsecure();
    agents = new aos.aos.v1.AgentService(gateway.address, credentials) as GrpcClient;
    auditClient = new aos.aos.v1.AuditService(gateway.address, credentials) as GrpcClient;
  });

  afterAll(async () => {
    agents?.close();
    auditClient?.close();
    await gateway?.close();
    await audit?.close();
    await lifecycle?.close();
    await store?.close();
    await nats?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('binds a real port when asked for port 0', () => {
    expect(gateway!.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(gateway!.address).not.toBe('127.0.0.1:0');
  });

  describe('authentication', () => {
    it.each([
      ['missing', null],
      ['not Bearer', `Basic ${KEY}`],
      ['empty', 'Bearer '],
      ['malformed', 'Bearer aos_not-the-key'],
      ['unknown', `Bearer ${KEY.slice(0, -1)}x`],
      ['JWT (no OIDC configured)', 'Bearer a.b.c'],
    ])('answers UNAUTHENTICATED for a %s key, without calling lifecycle', async (_case, header) => {
      const before = received.length;
      await expect(unary(agents, 'pauseAgent', { id: 'a1' }, auth(header))).rejects.toMatchObject({
        code: grpc.status.UNAUTHENTICATED,
      });
      expect(received.length).toBe(before);
    });

    it('answers UNAUTHENTICATED on server streams too', async () => {
      await expect(collect(auditClient.replayEvents({}, auth('Bearer aos_wrong')))).rejects.toMatchObject({
        code: grpc.status.UNAUTHENTICATED,
      });
    });
  });

  describe('authorization', () => {
    it('answers PERMISSION_DENIED naming the permission, without calling lifecycle', async () => {
      const before = received.length;
      await expect(unary(agents, 'pauseAgent', { id: 'a1' }, auth(`Bearer ${VIEWER_KEY}`))).rejects.toMatchObject({
        code: grpc.status.PERMISSION_DENIED,
        details: expect.stringContaining('agents.pause on agents/a1'),
      });
      expect(received.length).toBe(before);
    });

    it('forwards what the role allows, as the viewer', async () => {
      await expect(unary<Agent>(agents, 'getAgent', { id: 'a1' }, auth(`Bearer ${VIEWER_KEY}`))).resolves.toMatchObject(
        {
          id: 'a1',
        },
      );
      expect(received.at(-1)!.ctx.actor).toEqual({ kind: 'user', id: 'p-viewer' });
    });

    it('answers PERMISSION_DENIED on server streams too', async () => {
      await expect(collect(auditClient.replayEvents({}, auth(`Bearer ${VIEWER_KEY}`)))).rejects.toMatchObject({
        code: grpc.status.PERMISSION_DENIED,
        details: expect.stringContaining('audit.replay'),
      });
    });
  });

  describe('forwarding and error mapping', () => {
    it('forwards the request untouched with the caller’s context and returns the reply', async () => {
      const agent = await unary<Agent>(
        agents,
        'pauseAgent',
        { id: 'a1', requestId: 'r-1', reason: 'maintenance' },
        auth(undefined, { 'x-request-id': 'caller-req-42', traceparent: TRACEPARENT }),
      );
      expect(agent).toMatchObject({ id: 'a1', tenantId: TENANT, state: 'PAUSED' });
      expect(received.at(-1)).toMatchObject({
        ctx: {
          tenantId: TENANT,
          actor: { kind: 'user', id: 'p-admin' },
          correlationId: 'caller-req-42',
          traceparent: TRACEPARENT,
        },
        body: { id: 'a1', requestId: 'r-1', reason: 'maintenance' },
      });
    });

    it('gives each call a new correlation id when the caller sends none', async () => {
      await unary(agents, 'pauseAgent', { id: 'a1' });
      const first = received.at(-1)!.ctx.correlationId;
      await unary(agents, 'pauseAgent', { id: 'a1' });
      const second = received.at(-1)!.ctx.correlationId;
      expect(first).toMatch(/^[0-9a-f-]{36}$/);
      expect(second).not.toBe(first);
      expect(received.at(-1)!.ctx.traceparent).toBeUndefined();
    });

    it('turns FAILED_PRECONDITION from lifecycle into gRPC FAILED_PRECONDITION with its message', async () => {
      await expect(unary(agents, 'pauseAgent', { id: 'retired' })).rejects.toMatchObject({
        code: grpc.status.FAILED_PRECONDITION,
        details: 'agent "retired" is RETIRED and cannot be paused',
      });
    });

    it('keeps the field name in INVALID_ARGUMENT', async () => {
      await expect(unary(agents, 'pauseAgent', { id: '' })).rejects.toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
        details: 'id: must not be empty',
      });
    });

    it('answers INTERNAL "internal error" for a bug behind the gateway, revealing nothing', async () => {
      await expect(unary(agents, 'getAgent', { id: 'boom' })).rejects.toMatchObject({
        code: grpc.status.INTERNAL,
        details: 'internal error',
      });
    });

    it('maps an error raised inside a server stream', async () => {
      await expect(collect(auditClient.replayEvents({ category: 'agent.*' }, auth()))).rejects.toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
        details: expect.stringContaining('category'),
      });
    });
  });

  describe('health and reflection', () => {
    it('answers SERVING for the server and for each aos.v1 service', async () => {
      const health = new healthPkg.grpc.health.v1.Health(
        gateway!.address,
        grpc.credentials.createInsecure(),
      ) as GrpcClient;
      try {
        for (const service of [
          '',
          'aos.v1.AgentService',
          'aos.v1.AuditService',
          'aos.v1.GovernanceService',
          'aos.v1.TaskService',
          'aos.v1.ToolService',
          'aos.v1.KnowledgeService',
          'aos.v1.ContextService',
          'aos.v1.CommandService',
        ]) {
          await expect(unary(health, 'check', { service }, new grpc.Metadata())).resolves.toEqual({
            status: 'SERVING',
          });
        }
        await expect(unary(health, 'check', { service: 'aos.v1.Nope' }, new grpc.Metadata())).rejects.toMatchObject({
          code: grpc.status.NOT_FOUND,
        });
      } finally {
        health.close();
      }
    });

    it('lists the services and serves self-contained descriptors, as grpcurl needs', async () => {
      const reflection = new reflectionPkg.grpc.reflection.v1alpha.ServerReflection(
        gateway!.address,
        grpc.credentials.createInsecure(),
      );
      const call = (
        reflection as unknown as { serverReflectionInfo(): grpc.ClientDuplexStream<object, ReflectionResponse> }
      ).serverReflectionInfo();
      try {
        const ask = (request: object) =>
          new Promise<ReflectionResponse>((resolve, reject) => {
            call.once('data', resolve);
            call.once('error', reject);
            call.write(request);
          });
        const listed = await ask({ listServices: '*' });
        const names = listed.listServicesResponse!.service.map((s) => s.name);
        expect(names).toEqual(
          expect.arrayContaining([
            'aos.v1.AgentService',
            'aos.v1.AuditService',
            'aos.v1.GovernanceService',
            'aos.v1.TaskService',
            'aos.v1.CommandService',
            'grpc.health.v1.Health',
          ]),
        );

        for (const symbol of [
          'aos.v1.AgentService',
          'aos.v1.AuditService',
          'aos.v1.GovernanceService',
          'aos.v1.TaskService',
          'aos.v1.CommandService',
          'grpc.health.v1.Health',
        ]) {
          const files = await ask({ fileContainingSymbol: symbol });
          expect(files.errorResponse ?? null).toBeNull();
          const protos = files.fileDescriptorResponse!.fileDescriptorProto.map((b) =>
            descriptor.FileDescriptorProto.decode(b),
          );
          // protoc links the served descriptors with the checks grpcurl's Go linker makes:
          // every referenced type imported, map entries named as protoc names them.
          expect(linkWithProtoc(protos)).toBe('');
        }
      } finally {
        call.end();
        reflection.close();
      }
    });
  });

  describe('AuditService', () => {
    it('ListEvents goes through the audit service and returns only the caller tenant’s events', async () => {
      const position = await append(TENANT, 'a2', 'AgentCreated');
      const page = await unary<ListEventsResponse>(auditClient, 'listEvents', { minPosition: position });
      expect(page.events.map((e) => e.position)).toEqual(
        appended.filter((a) => a.tenantId === TENANT).map((a) => a.position),
      );
      expect(page.events.at(-1)).toMatchObject({
        type: 'AgentCreated',
        stream: 'agent-a2',
        metadata: { tenantId: TENANT },
      });
    });

    it('ReplayEvents without follow returns the tenant’s events with the full envelope and ends', async () => {
      const events = await collect<Event>(auditClient.replayEvents({}, auth()));
      const mine = appended.filter((a) => a.tenantId === TENANT);
      expect(events.map((e) => e.position)).toEqual(mine.map((a) => a.position));
      expect(events[0]).toMatchObject({
        type: 'AgentCreated',
        stream: 'agent-a1',
        revision: 0,
        position: mine[0].position,
        dataJson: JSON.stringify({ agentId: 'a1' }),
        metadata: {
          tenantId: TENANT,
          actor: { kind: 'user', id: 'tester' },
          correlationId: 'corr-1',
          causationId: 'cause-1',
          requestId: 'req-1',
          traceparent: '',
          schemaVersion: 1,
        },
      });
      expect(events[0].time?.seconds).toBeGreaterThan(0);

      const afterFirst = await collect<Event>(auditClient.replayEvents({ afterPosition: mine[0].position }, auth()));
      expect(afterFirst.map((e) => e.position)).toEqual(mine.slice(1).map((a) => a.position));
      expect(await collect<Event>(auditClient.replayEvents({ category: 'task' }, auth()))).toEqual([]);
    });

    it('ReplayEvents with follow catches up, then delivers a new event within 1 s', async () => {
      const mine = appended.filter((a) => a.tenantId === TENANT && a.category === 'agent');
      const stream = auditClient.replayEvents({ follow: true, category: 'agent' }, auth());
      try {
        const caughtUp = await take<Event>(stream, mine.length);
        expect(caughtUp.map((e) => e.position)).toEqual(mine.map((a) => a.position));

        const live = new Promise<Event>((resolve) => stream.once('data', resolve));
        // Another tenant's event, appended first: if it leaked, it would arrive first.
        await append(OTHER_TENANT, 'x2', 'AgentCreated');
        const started = Date.now();
        const position = await append(TENANT, 'a3', 'AgentCreated');
        const event = await Promise.race([
          live,
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no live event within 2 s')), 2_000)),
        ]);
        expect(Date.now() - started).toBeLessThan(1_000);
        expect(event).toMatchObject({ position, stream: 'agent-a3', metadata: { tenantId: TENANT } });
      } finally {
        stream.cancel();
      }
    });
  });

  describe('AgentService.WatchAgents', () => {
    it('streams each new agent change with the agent read at (at least) its position', async () => {
      const head = await store.headPosition();
      const stream = agents.watchAgents({ afterPosition: head }, auth());
      try {
        const changes = take<AgentChange>(stream, 1);
        await append(OTHER_TENANT, 'x3', 'AgentPaused');
        const position = await append(TENANT, 'a1', 'AgentPaused');
        const [change] = await changes;
        expect(change).toMatchObject({
          eventType: 'AgentPaused',
          position,
          agent: { id: 'a1', tenantId: TENANT, logPosition: position },
        });
        const get = received.filter((r) => (r.body as GetAgentRequest).minPosition === position);
        expect(get).toHaveLength(1);
        expect(get[0].ctx.tenantId).toBe(TENANT);
      } finally {
        stream.cancel();
      }
    });

    it('with after_position 0 streams only changes from now on', async () => {
      const stream = agents.watchAgents({ afterPosition: 0 }, auth());
      try {
        const changes = take<AgentChange>(stream, 1);
        // The watch starts at the head once the call is authenticated; give it that moment.
        await new Promise((r) => setTimeout(r, 300));
        const position = await append(TENANT, 'a2', 'AgentDeployed');
        const [change] = await changes;
        expect(change).toMatchObject({ eventType: 'AgentDeployed', position, agent: { id: 'a2' } });
      } finally {
        stream.cancel();
      }
    });
  });
});
