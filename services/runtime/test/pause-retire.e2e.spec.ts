import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent, Task } from '@aos/contracts';
import { createEventStore, type EventStore, type RecordedEvent } from '@aos/event-store';
import type { AosClient } from '@aos/grpc-client';
import { startScriptedModelServer, startTestStack, type ScriptedModelServer, type TestStack } from '@aos/testing';

/**
 * Pausing and retiring an agent that has tasks waiting, with the real runtime
 * in the stack (its model is the scripted OpenAI-compatible server: the answers
 * are this test's script). A paused agent's tasks do not start until it is
 * resumed; a retired agent's tasks go to another capable agent and run there.
 */
const LEASE_MS = 1500;
let t: TestStack;
let api: AosClient;
let model: ScriptedModelServer;
let store: EventStore;
const rid = () => randomUUID();

beforeAll(async () => {
  model = await startScriptedModelServer();
  t = await startTestStack({
    env: {
      ...model.env,
      AOS_ROUTER: 'lexical',
      AOS_RUN_LEASE_MS: String(LEASE_MS),
    },
  });
  api = t.client;
  store = await createEventStore({ kind: 'jetstream', natsUrl: t.natsUrl });
});

afterAll(async () => {
  await store?.close();
  await t?.stop();
  await model?.stop();
});

async function activeAgent(name: string, capability: string): Promise<Agent> {
  const created = await api.agents.createAgent({
    agent: { name: `${name}-${rid().slice(0, 6)}`, description: `${name} work`, capabilities: [capability] },
    requestId: rid(),
  });
  return api.agents.deployAgent({ id: created.id, requestId: rid() });
}

const transition = (verb: 'pauseAgent' | 'resumeAgent' | 'retireAgent', id: string) =>
  api.agents[verb]({ id, requestId: rid(), reason: 'test' });

function submitTo(agentId: string, text: string): Promise<Task> {
  return api.tasks.submitTask({ task: { text, agentId }, requestId: rid() });
}

/** Every event of the task and its runs so far, in log order. */
async function eventsOf(taskId: string): Promise<RecordedEvent[]> {
  const head = await store.headPosition();
  const events: RecordedEvent[] = [];
  for await (const e of store.readAll({ after: 0 })) {
    if (e.position > head) break;
    if (e.streamId === taskId || e.streamId.startsWith(`${taskId}-`)) events.push(e);
  }
  return events;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const finished = (id: string) =>
  until(`task ${id} to finish`, async () => {
    const task = await api.tasks.getTask({ id, minPosition: 0 });
    return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(task.state) ? task : undefined;
  });

describe('paused and retired agents with waiting tasks', () => {
  it('a paused agent starts none of its tasks until it is resumed', async () => {
    const agent = await activeAgent('payroll', 'payroll');
    await transition('pauseAgent', agent.id);
    const texts = ['pause-1: payslip for March', 'pause-2: payslip for April'];
    for (const text of texts) model.scriptFor(text.slice(0, 7), { content: `answered ${text.slice(0, 7)}` });
    const tasks = await Promise.all(texts.map((text) => submitTo(agent.id, text)));
    for (const task of tasks) expect(task).toMatchObject({ state: 'ASSIGNED', assignedAgentId: agent.id });

    // Two lease times: long enough for a runtime that ignored the pause to have claimed them.
    await new Promise((r) => setTimeout(r, 2 * LEASE_MS));
    for (const task of tasks) {
      expect((await api.tasks.getTask({ id: task.id, minPosition: 0 })).state).toBe('ASSIGNED');
      expect((await eventsOf(task.id)).map((e) => e.type)).toEqual(['TaskSubmitted', 'TaskRouted']);
    }
    expect(model.requests.filter((r) => r.script.startsWith('pause-'))).toHaveLength(0);

    const resumed = await transition('resumeAgent', agent.id);
    for (const task of tasks) {
      const done = await finished(task.id);
      expect(done.failureReason).toBe('');
      expect(done).toMatchObject({ state: 'SUCCEEDED', assignedAgentId: agent.id });
      const types = (await eventsOf(task.id)).map((e) => e.type);
      expect(types.slice(0, 3)).toEqual(['TaskSubmitted', 'TaskRouted', 'TaskStarted']);
      const started = (await eventsOf(task.id)).find((e) => e.type === 'TaskStarted')!;
      expect(started.position).toBeGreaterThan(resumed.logPosition);
    }
  });

  it("a retired agent's waiting tasks are routed to another capable agent and run there", async () => {
    const leaving = await activeAgent('ledger', 'ledger');
    const staying = await activeAgent('ledger-backup', 'ledger');
    await transition('pauseAgent', leaving.id);
    const texts = ['retire-1: close the ledger', 'retire-2: reconcile the ledger'];
    for (const text of texts) model.scriptFor(text.slice(0, 8), { content: `done ${text.slice(0, 8)}` });
    const tasks = await Promise.all(texts.map((text) => submitTo(leaving.id, text)));
    for (const task of tasks) expect(task).toMatchObject({ state: 'ASSIGNED', assignedAgentId: leaving.id });

    await transition('retireAgent', leaving.id);
    for (const task of tasks) {
      const done = await finished(task.id);
      expect(done.failureReason).toBe('');
      expect(done).toMatchObject({
        state: 'SUCCEEDED',
        assignedAgentId: staying.id,
        result: `done ${task.text.slice(0, 8)}`,
      });
      const events = await eventsOf(task.id);
      const rerouted = events.filter((e) => e.type === 'TaskRouted')[1]!;
      expect(rerouted.data).toMatchObject({ cause: 'agent-retired', agentId: staying.id });
      const started = events.find((e) => e.type === 'TaskStarted')!;
      expect(started.data).toMatchObject({ agentId: staying.id, attempt: 1 });
      expect(started.position).toBeGreaterThan(rerouted.position);
      expect(events.filter((e) => e.type === 'RunStarted').map((e) => (e.data as { agentId: string }).agentId)).toEqual(
        [staying.id],
      );
    }
  });
});
