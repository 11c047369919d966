import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent, Task, Tool } from '@aos/contracts';
import type { EventStore, RecordedEvent } from '@aos/event-store';
import type { AosClient, AosClientError } from '@aos/grpc-client';
import {
  startClusterTestStack,
  startScriptedModelServer,
  statusOf,
  type ClusterTestStack,
  type ScriptedModelServer,
  type TestStack,
} from '@aos/testing';

/**
 * Every service at two instances on a 3-node JetStream cluster (the log and
 * the KV buckets replicated three times): two backend processes, each one
 * instance of every backend service, and two gateways. The invariants a
 * single process used to keep must hold across instances: one holder per
 * name, an agent's concurrency limit, one running attempt per task, and a
 * revoked key refused by every gateway once the revoke has returned.
 */
const LEASE_MS = 2_000;

let model: ScriptedModelServer;
let stack: ClusterTestStack;
let t: TestStack;
let store: EventStore;
let viaA: AosClient;
let viaB: AosClient;

beforeAll(async () => {
  model = await startScriptedModelServer();
  stack = await startClusterTestStack({
    env: { AOS_OPENAI_BASE_URL: model.baseURL, AOS_ROUTER: 'lexical', AOS_RUN_LEASE_MS: String(LEASE_MS) },
  });
  ({ t, store } = stack);
  viaA = t.clientOf(0);
  viaB = t.clientOf(1);
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  await model?.stop();
});

const rid = () => randomUUID();

/** Each call through one of the two gateways in turn; the backends share them through queue groups. */
async function race<T>(count: number, call: (api: AosClient) => Promise<T>): Promise<PromiseSettledResult<T>[]> {
  return Promise.allSettled(Array.from({ length: count }, (_, i) => call(i % 2 === 0 ? viaA : viaB)));
}

function outcomes(results: PromiseSettledResult<unknown>[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) {
    const key = r.status === 'fulfilled' ? 'OK' : String((r.reason as AosClientError).code ?? r.reason);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

async function eventsOf(tenantId: string, category: string): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const e of store.readAll({ filter: { tenantId, category } })) events.push(e);
  return events;
}

describe('two instances of every service on a 3-node cluster', () => {
  it('runs two of each: both backend processes and both gateways answer', async () => {
    expect(t.stack.replicas.lifecycle).toHaveLength(2);
    expect(t.stack.replicas.routing[1]).not.toBe(t.stack.replicas.routing[0]);
    expect(t.gatewayAddrs).toHaveLength(2);
    expect(new Set(t.gatewayAddrs).size).toBe(2);
    expect((await viaA.agents.listAgents({})).agents).toBeDefined();
    expect((await viaB.agents.listAgents({})).agents).toBeDefined();
  });

  it('100 concurrent CreateAgent calls with one name, over both lifecycle instances: exactly one agent', async () => {
    const name = `one-name-${rid().slice(0, 8)}`;
    const results = await race(100, (api) => api.agents.createAgent({ agent: { name } as Agent, requestId: rid() }));
    expect(outcomes(results)).toEqual({ OK: 1, ALREADY_EXISTS: 99 });
    const created = (await eventsOf('default', 'agent')).filter(
      (e) => e.type === 'AgentCreated' && (e.data as { definition: { name: string } }).definition.name === name,
    );
    expect(created).toHaveLength(1);
  });

  it('the same for tools and for principals', async () => {
    const tool = `one_tool_${rid().slice(0, 8)}`;
    const tools = await race(100, (api) =>
      api.tools.registerTool({
        tool: {
          name: tool,
          risk: 'READ',
          http: { endpoint: 'http://127.0.0.1:9/none', method: 'POST' },
        } as unknown as Tool,
        requestId: rid(),
      }),
    );
    expect(outcomes(tools)).toEqual({ OK: 1, ALREADY_EXISTS: 99 });
    const registered = (await eventsOf('default', 'tool')).filter(
      (e) => e.type === 'ToolRegistered' && (e.data as { name: string }).name === tool,
    );
    expect(registered).toHaveLength(1);

    const principal = `one-principal-${rid().slice(0, 8)}`;
    const principals = await race(100, (api) =>
      api.governance.createPrincipal({
        principal: { kind: 'USER', name: principal, oidcSubject: '' },
        requestId: rid(),
      } as never),
    );
    expect(outcomes(principals)).toEqual({ OK: 1, ALREADY_EXISTS: 99 });
    const named = (await eventsOf('default', 'principal')).filter(
      (e) => e.type === 'PrincipalCreated' && (e.data as { name: string }).name === principal,
    );
    expect(named).toHaveLength(1);
  });

  it('a key revoked through gateway A is refused by gateway B from the moment the revoke returns', async () => {
    for (let round = 0; round < 10; round++) {
      const principal = await viaA.governance.createPrincipal({
        principal: { kind: 'USER', name: `revoked-${rid().slice(0, 8)}`, oidcSubject: '' },
        requestId: rid(),
      } as never);
      await viaA.governance.assignRole({ subject: principal.subject, role: 'viewer', requestId: rid() } as never);
      const key = await viaA.governance.createApiKey({
        principalId: principal.id,
        description: 'revoked through A',
        requestId: rid(),
      } as never);
      // Made through A a moment ago, the key already works through B.
      const holder = t.clientOf(1, key.secret);
      await holder.agents.listAgents({});
      await viaA.governance.revokeApiKey({ id: key.apiKey!.id, requestId: rid() } as never);
      const refused = await statusOf(holder.agents.listAgents({}));
      expect(refused.code, refused.message).toBe('UNAUTHENTICATED');
    }
  });

  it(
    'an agent limited to 2 runs at once runs 20 tasks never more than 2 at a time, one attempt at a time per task, ' +
      'also when one instance of every backend service is killed',
    { timeout: 180_000 },
    async () => {
      model.otherwise({ content: 'done', delayMs: 250 });
      const created = await viaA.agents.createAgent({
        agent: {
          name: `pair-${rid().slice(0, 8)}`,
          description: 'works two at a time',
          labels: { 'aos.max_concurrent_tasks': '2' },
        } as unknown as Agent,
        requestId: rid(),
      });
      const agent = await viaA.agents.deployAgent({ id: created.id, requestId: rid(), reason: '' });
      const submitted = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? viaA : viaB).tasks.submitTask({
            task: { text: `pair task ${i}`, agentId: agent.id } as Partial<Task> as Task,
            requestId: rid(),
          }),
        ),
      );
      const ids = new Set(submitted.map((task) => task.id));

      // Kill the second backend process (one instance of routing, runtime, lifecycle, …) once runs are under way.
      await waitUntil(async () => (await ended(ids)).size >= 4, 60_000);
      const killed = t.stack.replicas.routing[1]!;
      killed.kill();
      await killed.exited;
      await waitUntil(async () => (await ended(ids)).size === ids.size, 120_000);
      await killed.start();

      const tasks = await eventsOf('default', 'task');
      const runs = await eventsOf('default', 'run');
      const timeline = [...tasks, ...runs].filter((e) => ids.has(taskIdOf(e))).sort((a, b) => a.position - b.position);
      const running = new Map<string, string>(); // runId -> taskId
      let most = 0;
      const runningTasks = new Set<string>();
      const started = new Map<string, number>();
      for (const e of timeline) {
        const runId = (e.data as { runId?: string }).runId;
        if (e.type === 'TaskStarted') {
          const taskId = taskIdOf(e);
          // Never a second attempt of a task while one runs.
          expect(runningTasks.has(taskId), `task ${taskId} started twice at once`).toBe(false);
          runningTasks.add(taskId);
          running.set(runId!, taskId);
          started.set(runId!, (started.get(runId!) ?? 0) + 1);
          most = Math.max(most, running.size);
        } else if (['RunSucceeded', 'RunFailed', 'TaskAttemptAbandoned', 'TaskCancelled'].includes(e.type)) {
          const ending = runId ?? e.streamId;
          const taskId = running.get(ending);
          if (taskId !== undefined) {
            running.delete(ending);
            runningTasks.delete(taskId);
          }
        }
      }
      expect(most).toBeGreaterThan(0);
      expect(most).toBeLessThanOrEqual(2);
      expect([...started.values()].every((n) => n === 1)).toBe(true);
      // Each task succeeded exactly once; each run's RunStarted was written once.
      const succeeded = runs.filter((e) => e.type === 'RunSucceeded' && ids.has(taskIdOf(e)));
      expect(new Set(succeeded.map(taskIdOf)).size).toBe(20);
      expect(succeeded).toHaveLength(20);
      const runStarts = runs.filter((e) => e.type === 'RunStarted' && ids.has(taskIdOf(e)));
      expect(new Set(runStarts.map((e) => e.streamId)).size).toBe(runStarts.length);
      model.otherwise(undefined);
    },
  );
});

/** The task an event belongs to: a task stream's id, or the task id in a run event. */
function taskIdOf(e: RecordedEvent): string {
  return e.category === 'task' ? e.streamId : ((e.data as { taskId?: string }).taskId ?? e.streamId.slice(0, 36));
}

async function ended(ids: ReadonlySet<string>): Promise<Set<string>> {
  const done = new Set<string>();
  for (const e of await eventsOf('default', 'run')) {
    if (e.type === 'RunSucceeded' || e.type === 'RunFailed') {
      const taskId = taskIdOf(e);
      if (ids.has(taskId)) done.add(taskId);
    }
  }
  return done;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
