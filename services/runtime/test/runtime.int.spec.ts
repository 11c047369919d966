import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LifecycleSubjects, RoutingSubjects, TaskPriority, type Agent, type Task } from '@aos/contracts';
import { loadConfig, type AosConfig } from '@aos/config';
import { createEventStore, type EventStore, type RecordedEvent } from '@aos/event-store';
import { startGovernance } from '@aos/governance';
import { startLifecycle } from '@aos/lifecycle';
import { ServiceClient, type RequestContext } from '@aos/messaging';
import { startRouting } from '@aos/routing-service';
import {
  firstEvent,
  startNatsServer,
  startScriptedModelServer,
  taskEnd,
  type NatsServerHandle,
  type ScriptedModelServer,
} from '@aos/testing';
import { startRuntime, type RuntimeService } from '../src/bootstrap';
import { NO_MODEL_SERVER_REASON } from '../src/run/run-execution';

/**
 * The runtime against a real nats-server with the services it talks to
 * (lifecycle for agents, routing for tasks and the run protocol, governance
 * for budgets), each started in this process, and the scripted
 * OpenAI-compatible server (replies written by this test).
 */
const TENANT = 'acme';
let nats: NatsServerHandle;
let config: AosConfig;
let services: { close(): Promise<void> }[] = [];
let runtime: RuntimeService | undefined;
let store: EventStore;
let client: ServiceClient;
let model: ScriptedModelServer;

beforeAll(async () => {
  nats = await startNatsServer();
  model = await startScriptedModelServer();
  config = loadConfig({
    AOS_NATS_URL: nats.url,
    AOS_LOG_LEVEL: 'error',
    AOS_RUN_LEASE_MS: '1500',
    AOS_BOOTSTRAP_API_KEY: `aos_test_${randomUUID().replaceAll('-', '')}`,
  });
  services = [
    await startLifecycle(config, { shutdownHooks: false }),
    await startGovernance(config, { shutdownHooks: false }),
    await startRouting(config, { shutdownHooks: false }),
  ];
  store = await createEventStore({ kind: 'jetstream', natsUrl: nats.url });
  client = new ServiceClient(nats.url);
  await client.connect();
});

afterAll(async () => {
  await runtime?.close();
  await client?.close();
  for (const s of services.reverse()) await s.close();
  await store?.close();
  await model?.stop();
  await nats?.stop();
});

const ctx = (): RequestContext => ({
  tenantId: TENANT,
  actor: { kind: 'user', id: 'alice' },
  correlationId: randomUUID(),
});

async function agent(name: string, labels: Record<string, string> = {}): Promise<Agent> {
  const created = await client.request(LifecycleSubjects.create, ctx(), {
    agent: {
      name: `${name}-${randomUUID().slice(0, 6)}`,
      description: name,
      capabilities: [],
      instructions: '',
      model: '',
      toolIds: [],
      knowledgeBaseIds: [],
      labels,
    },
    requestId: randomUUID(),
  });
  return client.request(LifecycleSubjects.deploy, ctx(), {
    id: created.id,
    requestId: randomUUID(),
    reason: '',
  });
}

function submit(text: string, agentId: string): Promise<Task> {
  return client.request(RoutingSubjects.submit, ctx(), {
    task: { text, requiredCapabilities: [], agentId, priority: TaskPriority.TASK_PRIORITY_UNSPECIFIED },
    requestId: randomUUID(),
  });
}

const logEvent = (match: (e: RecordedEvent) => boolean) => firstEvent(store, match, { timeoutMs: 15_000 });

const runStream = (runId: string) => store.readStream({ tenantId: TENANT, category: 'run', id: runId });

describe('runtime with a model server', () => {
  beforeAll(async () => {
    runtime = await startRuntime(loadConfig({ ...envOf(config), AOS_OPENAI_BASE_URL: model.baseURL }), {
      shutdownHooks: false,
    });
  });

  it('stops a run at its next step once the task is cancelled (routing reports the lease lost)', async () => {
    const worker = await agent('worker');
    model.scriptFor('cancel-me', { content: 'too late', hold: 'cancel-me' });
    const task = await submit('cancel-me: a long job', worker.id);
    await model.waitForRequests(1, 'cancel-me');
    await client.request(RoutingSubjects.cancel, ctx(), {
      id: task.id,
      reason: 'not needed',
      requestId: randomUUID(),
    });
    const stopped = await logEvent((e) => e.stream === `run-${task.id}-1` && e.type === 'RunStopped');
    expect((stopped.data as { reason: string }).reason).toMatch(/no longer counts this attempt as running/);
    model.release('cancel-me');
    expect((await runStream(`${task.id}-1`)).map((e) => e.type)).toEqual(['RunStarted', 'RunStopped']);
    const taskTypes = (await store.readStream({ tenantId: TENANT, category: 'task', id: task.id })).map((e) => e.type);
    expect(taskTypes.at(-1)).toBe('TaskCancelled');
    expect((await client.request(RoutingSubjects.get, ctx(), { id: task.id, minPosition: 0 })).state).toBe('CANCELLED');
  });

  it('gives a held attempt back when it shuts down: abandoned at once, the next instance runs attempt 2', async () => {
    const worker = await agent('restarted');
    model.scriptFor('restart', { content: 'done', hold: 'restart' });
    const task = await submit('restart: a long job', worker.id);
    await model.waitForRequests(1, 'restart');
    await runtime!.close();
    const abandoned = await logEvent((e) => e.streamId === task.id && e.type === 'TaskAttemptAbandoned');
    // Released by the runner, not abandoned when the lease ran out (that reason says "did not renew its lease").
    expect((abandoned.data as { reason: string }).reason).toMatch(/released it: the runtime instance is shutting down/);
    model.release('restart');
    runtime = await startRuntime(loadConfig({ ...envOf(config), AOS_OPENAI_BASE_URL: model.baseURL }), {
      shutdownHooks: false,
    });
    const succeeded = await taskEnd(store, task.id);
    expect(succeeded.type).toBe('RunSucceeded');
    expect(succeeded.data).toMatchObject({ runId: `${task.id}-2`, result: 'done' });
    expect((await runStream(`${task.id}-1`)).map((e) => e.type)).toEqual(['RunStarted', 'RunStopped']);
  });

  it('fails a run whose model server keeps answering 5xx, after two retries, with UNAVAILABLE', async () => {
    const worker = await agent('flaky');
    model.scriptFor('flaky', { status: 502 }, { status: 503 }, { status: 500 });
    const task = await submit('flaky: try', worker.id);
    const failed = await taskEnd(store, task.id);
    expect(failed.type).toBe('RunFailed');
    expect(failed.data).toMatchObject({ runId: `${task.id}-1`, code: 'UNAVAILABLE' });
    expect((failed.data as { reason: string }).reason).toMatch(/HTTP 500 \(3 tries\)/);
    expect(model.requests.filter((r) => r.script === 'flaky')).toHaveLength(3);
  });

  it('fails a run that reaches the turn limit with DEADLINE_EXCEEDED', async () => {
    await runtime!.close();
    runtime = await startRuntime(
      loadConfig({ ...envOf(config), AOS_OPENAI_BASE_URL: model.baseURL, AOS_RUN_MAX_TURNS: '2' }),
      { shutdownHooks: false },
    );
    const worker = await agent('looper');
    const call = { toolCalls: [{ name: 'nothing_here', arguments: {} }] };
    model.scriptFor('loop', call, call, { content: 'never asked' });
    const task = await submit('loop: forever', worker.id);
    const failed = await taskEnd(store, task.id);
    expect(failed.type).toBe('RunFailed');
    expect(failed.data).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect((failed.data as { reason: string }).reason).toMatch(/2 model calls \(AOS_RUN_MAX_TURNS\)/);
    const run = (await runStream(`${task.id}-1`)).map((e) => e.type);
    expect(run.filter((x) => x === 'ModelCalled')).toHaveLength(2);
    expect(run.at(-1)).toBe('RunFailed');
  });
});

describe('runtime without a model server', () => {
  beforeAll(async () => {
    await runtime?.close();
    runtime = await startRuntime(loadConfig(envOf(config)), { shutdownHooks: false });
  });

  it('fails tasks of built-in agents at once with FAILED_PRECONDITION saying what to set; leaves external agents alone', async () => {
    const external = await agent('outside', { 'aos.runtime': 'external' });
    const builtIn = await agent('inside');
    const waiting = await submit('for the external agent', external.id);
    const task = await submit('for the built-in agent', builtIn.id);
    const failed = await taskEnd(store, task.id);
    expect(failed.type).toBe('RunFailed');
    expect(failed.data).toMatchObject({
      runId: `${task.id}-1`,
      code: 'FAILED_PRECONDITION',
      reason: NO_MODEL_SERVER_REASON,
    });
    expect(NO_MODEL_SERVER_REASON).toMatch(/set AOS_OPENAI_BASE_URL/);
    const run = await runStream(`${task.id}-1`);
    expect(run.map((e) => [e.type, e.data])).toEqual([
      ['RunStarted', expect.objectContaining({ model: '', attempt: 1 })],
      ['RunFailed', expect.objectContaining({ code: 'FAILED_PRECONDITION' })],
    ]);
    // The external agent's task was runnable before the other one and is still untouched.
    const outside = await store.readStream({ tenantId: TENANT, category: 'task', id: waiting.id });
    expect(outside.map((e) => e.type)).toEqual(['TaskSubmitted', 'TaskRouted']);
  });
});

function envOf(c: AosConfig): NodeJS.ProcessEnv {
  return {
    AOS_NATS_URL: c.AOS_NATS_URL,
    AOS_LOG_LEVEL: c.AOS_LOG_LEVEL,
  };
}
