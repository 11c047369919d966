import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toTimestamp, type Agent, type AgentHealth, type Task, type Tool } from '@aos/contracts';
import { createEventStore, type EventStore, type RecordedEvent } from '@aos/event-store';
import type { AosClient } from '@aos/grpc-client';
import {
  firstEvent,
  requireApproval,
  startScriptedModelServer,
  startTestStack,
  taskEnd,
  type ScriptedModelServer,
  type TestStack,
} from '@aos/testing';

/**
 * Agent.health through the whole stack: the runtime runs tasks against the
 * scripted OpenAI-compatible server (its replies are this test's script),
 * the run-* events it records are folded by lifecycle into the agent's
 * health, and a restarted lifecycle folds the same health from the log.
 * Every service is its own process, so lifecycle restarts alone.
 */
let t: TestStack;
let api: AosClient;
let model: ScriptedModelServer;
let store: EventStore;
let doer: Agent;
let refund: Tool;

const rid = () => randomUUID();

beforeAll(async () => {
  model = await startScriptedModelServer();
  t = await startTestStack({ topology: 'process-per-service', env: { ...model.env, AOS_ROUTER: 'lexical' } });
  api = t.client;
  store = await createEventStore({ kind: 'jetstream', natsUrl: t.natsUrl });
  // Never called: every call of it in this test is rejected by a person first.
  refund = await api.tools.registerTool({
    tool: {
      name: `refund-${rid().slice(0, 6)}`,
      description: 'refunds an invoice',
      risk: 'WRITE' as Tool['risk'],
      http: { endpoint: 'http://127.0.0.1:9/refunds', method: 'POST' },
      inputSchemaJson: '{"type":"object"}',
    } as Tool,
    requestId: rid(),
  });
  const created = await api.agents.createAgent({
    agent: { name: `doer-${rid().slice(0, 6)}`, toolIds: [refund.id] } as Partial<Agent> as Agent,
    requestId: rid(),
  });
  doer = await api.agents.deployAgent({ id: created.id, requestId: rid(), reason: '' });
  await requireApproval(api, doer.id, refund.id);
});

afterAll(async () => {
  await store?.close();
  await t?.stop();
  await model?.stop();
});

/** Runs one task of the agent whose model calls get `script`; resolves to the event that ended its run. */
async function runTask(key: string, ...script: Parameters<ScriptedModelServer['scriptFor']>[1][]) {
  model.scriptFor(key, ...script);
  const task = await api.tasks.submitTask({
    task: { text: `${key}: do it`, agentId: doer.id } as Partial<Task> as Task,
    requestId: rid(),
  });
  return taskEnd(store, task.id);
}

async function healthAt(position: number): Promise<AgentHealth> {
  return (await api.agents.getAgent({ id: doer.id, minPosition: position })).health!;
}

const heartbeatOf = (ended: RecordedEvent) => toTimestamp(ended.time);

describe("an agent's health from its runs' outcomes", () => {
  let unhealthy: AgentHealth;

  it('is UNKNOWN before any run ended, HEALTHY after successes, DEGRADED then UNHEALTHY after failures', async () => {
    expect(doer.health).toMatchObject({ status: 'UNKNOWN', recentRuns: 0, recentFailures: 0, lastFailure: '' });
    // Unset: the client decodes a missing message as null.
    expect(doer.health!.lastHeartbeatTime ?? null).toBeNull();

    await runTask('h-ok-1', { content: 'done 1' });
    const ok2 = await runTask('h-ok-2', { content: 'done 2' });
    expect(ok2.type).toBe('RunSucceeded');
    expect(await healthAt(ok2.position)).toEqual({
      status: 'HEALTHY',
      lastHeartbeatTime: heartbeatOf(ok2),
      recentRuns: 2,
      recentFailures: 0,
      lastFailure: '',
    });

    // HTTP 400 from the model server: the run fails with FAILED_PRECONDITION (not retried).
    const fail1 = await runTask('h-fail-1', { status: 400 });
    expect(fail1.type).toBe('RunFailed');
    const degraded = await healthAt(fail1.position);
    expect(degraded).toMatchObject({
      status: 'DEGRADED',
      lastHeartbeatTime: heartbeatOf(fail1),
      recentRuns: 3,
      recentFailures: 1,
    });
    expect(degraded.lastFailure).toMatch(/^FAILED_PRECONDITION: the model server refused the call: HTTP 400/);
    expect(degraded.lastFailure.length).toBeLessThanOrEqual(500);

    // A person rejects the approval the agent's tool call waits for: the run fails, but not by the agent's fault.
    model.scriptFor('h-rejected', { toolCalls: [{ id: 'call-r', name: refund.name, arguments: { invoice: '7' } }] });
    const rejected = await api.tasks.submitTask({
      task: { text: 'h-rejected: refund invoice 7', agentId: doer.id } as Partial<Task> as Task,
      requestId: rid(),
    });
    const awaited = await firstEvent(
      store,
      (e) => e.type === 'ApprovalAwaited' && e.streamId.startsWith(`${rejected.id}-`),
    );
    await api.governance.decideApproval({
      id: (awaited.data as { approvalId: string }).approvalId,
      approve: false,
      reason: 'not today',
      requestId: rid(),
    });
    const rejectedEnd = await taskEnd(store, rejected.id);
    expect(rejectedEnd.type).toBe('RunFailed');
    expect(rejectedEnd.data).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(await healthAt(rejectedEnd.position)).toEqual(degraded);

    const fail2 = await runTask('h-fail-2', { status: 400 });
    unhealthy = await healthAt(fail2.position);
    expect(unhealthy).toMatchObject({
      status: 'UNHEALTHY',
      lastHeartbeatTime: heartbeatOf(fail2),
      recentRuns: 4,
      recentFailures: 2,
    });
    expect(unhealthy.lastFailure).toMatch(/^FAILED_PRECONDITION: /);

    // ListAgents serves the same health and filters by it.
    const listed = await api.agents.listAgents({ filter: 'health = UNHEALTHY', minPosition: fail2.position });
    expect(listed.agents.map((a) => a.id)).toContain(doer.id);
    expect(listed.agents.find((a) => a.id === doer.id)!.health).toEqual(unhealthy);
    const healthy = await api.agents.listAgents({ filter: 'health = HEALTHY', minPosition: fail2.position });
    expect(healthy.agents.map((a) => a.id)).not.toContain(doer.id);
    await expect(api.agents.listAgents({ filter: 'health = SICK' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/filter.*health must be one of UNKNOWN, HEALTHY, DEGRADED, UNHEALTHY/),
    });
  });

  it('is folded again from the log by a restarted lifecycle: the same health', async () => {
    expect(unhealthy?.status).toBe('UNHEALTHY');
    await t.stack.services.lifecycle.stop();
    await t.stack.services.lifecycle.start();
    const again = await api.agents.getAgent({ id: doer.id });
    expect(again.health).toEqual(unhealthy);
  });
});
