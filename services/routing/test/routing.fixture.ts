import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import {
  LifecycleSubjects,
  RoutingSubjects,
  TaskPriority,
  type Agent,
  type ClaimRunReply,
  type CreateAgentRequest,
  type ListTasksResponse,
  type RunEvent,
  type Task,
} from '@aos/contracts';
import { AosError, type ErrorCode } from '@aos/errors';
import { loadConfig, type AosConfig } from '@aos/config';
import { createEventStore, type EventStore, type RecordedEvent } from '@aos/event-store';
import { startLifecycle } from '@aos/lifecycle';
import { ServiceClient, type RequestContext } from '@aos/messaging';
import { firstEvent, RunSimulator, startNatsServer, type NatsServerHandle } from '@aos/testing';
import { startRouting, type RoutingService } from '../src/bootstrap';

/**
 * A real nats-server, the real lifecycle service (agents are created, deployed,
 * paused and retired through it, as in production) and the routing service,
 * with a store and a client for the test. `routing` may be replaced (a restart);
 * stop() closes whichever is current.
 */
export interface RoutingHarness {
  nats: NatsServerHandle;
  config: AosConfig;
  routing: RoutingService;
  store: EventStore;
  client: ServiceClient;
  calls: RoutingCalls;
  stop(): Promise<void>;
}

export async function startRoutingHarness(env: Record<string, string> = {}): Promise<RoutingHarness> {
  const nats = await startNatsServer();
  const config = loadConfig({ AOS_NATS_URL: nats.url, AOS_LOG_LEVEL: 'warn', ...env });
  const lifecycle = await startLifecycle(config, { shutdownHooks: false });
  const routing = await startRouting(config, { shutdownHooks: false });
  const store = await createEventStore({ kind: 'jetstream', natsUrl: nats.url });
  const client = new ServiceClient(nats.url);
  await client.connect();
  const runs = await RunSimulator.connect(nats.url);
  const harness: RoutingHarness = {
    nats,
    config,
    routing,
    store,
    client,
    calls: new RoutingCalls(client, store, runs),
    stop: async () => {
      await runs.close();
      await client.close();
      await harness.routing.close();
      await lifecycle.close();
      await store.close();
      await nats.stop();
    },
  };
  return harness;
}

/** Requests to lifecycle and routing as the gateway (or a runner) sends them, for the integration tests. */
export class RoutingCalls {
  constructor(
    readonly client: ServiceClient,
    readonly store: EventStore,
    /** Records run events as the runtime (the owner of run-*) would. */
    private readonly runs: RunSimulator,
  ) {}

  ctx(tenantId = 'acme', actor = 'alice'): RequestContext {
    return { tenantId, actor: { kind: 'user', id: actor }, correlationId: randomUUID() };
  }

  async agent(
    fields: { name: string; description?: string; capabilities?: string[]; labels?: Record<string, string> },
    opts: { tenantId?: string; deploy?: boolean } = {},
  ): Promise<Agent> {
    const body: CreateAgentRequest = {
      agent: {
        id: '',
        tenantId: '',
        name: fields.name,
        description: fields.description ?? '',
        capabilities: fields.capabilities ?? [],
        instructions: '',
        model: '',
        toolIds: [],
        knowledgeBaseIds: [],
        labels: fields.labels ?? {},
        state: 'AGENT_STATE_UNSPECIFIED' as Agent['state'],
        definitionVersion: 0,
        revision: 0,
        createdBy: '',
        logPosition: 0,
      },
      requestId: randomUUID(),
    };
    const created = await this.client.request(LifecycleSubjects.create, this.ctx(opts.tenantId), body);
    return (opts.deploy ?? true) ? this.lifecycle('deploy', created.id, opts.tenantId) : created;
  }

  lifecycle(verb: 'deploy' | 'pause' | 'resume' | 'retire', id: string, tenantId?: string): Promise<Agent> {
    return this.client.request(LifecycleSubjects[verb], this.ctx(tenantId), {
      id,
      requestId: randomUUID(),
      reason: '',
    });
  }

  submit(
    text: string,
    opts: { capabilities?: string[]; agentId?: string; priority?: string; requestId?: string; tenantId?: string } = {},
  ): Promise<Task> {
    return this.client.request(RoutingSubjects.submit, this.ctx(opts.tenantId), {
      task: {
        text,
        requiredCapabilities: opts.capabilities ?? [],
        agentId: opts.agentId ?? '',
        priority: (opts.priority ?? 'TASK_PRIORITY_UNSPECIFIED') as TaskPriority,
      },
      requestId: opts.requestId ?? randomUUID(),
    });
  }

  get(id: string, opts: { tenantId?: string; minPosition?: number } = {}): Promise<Task> {
    return this.client.request(RoutingSubjects.get, this.ctx(opts.tenantId), {
      id,
      minPosition: opts.minPosition ?? 0,
    });
  }

  list(tenantId: string, filter = '', pageSize = 0, pageToken = ''): Promise<ListTasksResponse> {
    return this.client.request(RoutingSubjects.list, this.ctx(tenantId), {
      pageSize,
      pageToken,
      filter,
      minPosition: 0,
    });
  }

  cancel(id: string, opts: { tenantId?: string; requestId?: string; reason?: string } = {}): Promise<Task> {
    return this.client.request(RoutingSubjects.cancel, this.ctx(opts.tenantId), {
      id,
      reason: opts.reason ?? 'not needed',
      requestId: opts.requestId ?? randomUUID(),
    });
  }

  reassign(id: string, agentId: string, opts: { tenantId?: string; reason?: string } = {}): Promise<Task> {
    return this.client.request(RoutingSubjects.reassign, this.ctx(opts.tenantId, 'bob'), {
      id,
      agentId,
      reason: opts.reason ?? 'wrong agent',
      requestId: randomUUID(),
    });
  }

  claimRun(taskId: string, attempt: number, runner = 'runtime-1', tenantId?: string): Promise<ClaimRunReply> {
    return this.client.request(RoutingSubjects.claimRun, this.runnerCtx(tenantId), {
      taskId,
      attempt,
      runner,
      requestId: randomUUID(),
    });
  }

  /**
   * Records events in a run's stream as the runtime does (it owns run-*),
   * and returns the task once routing has applied them.
   */
  async recordRun(taskId: string, runId: string, events: RunEvent[], tenantId = 'acme'): Promise<Task> {
    const position = await this.runs.record(tenantId, runId, events);
    return this.get(taskId, { tenantId, minPosition: position });
  }

  /** The run's outcome, as the runtime records it: routing derives the task's end from it. */
  finishRun(taskId: string, runId: string, result = 'done', tenantId?: string): Promise<Task> {
    return this.recordRun(taskId, runId, [{ type: 'RunSucceeded', data: { runId, result } }], tenantId);
  }

  runnerCtx(tenantId = 'acme'): RequestContext {
    return { tenantId, actor: { kind: 'service', id: 'runtime' }, correlationId: randomUUID() };
  }

  /** The first event in the log (from the start) that matches; waits for it to be appended. */
  event(match: (e: RecordedEvent) => boolean, timeoutMs = 10_000): Promise<RecordedEvent> {
    return firstEvent(this.store, match, { timeoutMs });
  }

  /** The task's own events in order. */
  async taskEvents(taskId: string, tenantId = 'acme'): Promise<RecordedEvent[]> {
    return this.store.readStream({ tenantId, category: 'task', id: taskId });
  }
}

export async function expectCode(call: Promise<unknown>, code: ErrorCode, field?: string): Promise<AosError> {
  let err: unknown;
  try {
    await call;
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${code}`).toBeInstanceOf(AosError);
  const aos = err as AosError;
  expect(aos.code, aos.message).toBe(code);
  if (field !== undefined) expect(aos.field, aos.message).toBe(field);
  return aos;
}
