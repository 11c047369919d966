import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toTimestamp, type Agent, type AgentHealth, type AgentStats, type Task, type Tool } from '@aos/contracts';
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
import { runAosInProcess } from '../../../clients/cli/test/in-process-cli';
import { watchAgentChanges, type AgentChanges } from './support/agent-changes';

/**
 * Agent.health and GetAgentStats through the whole stack, with two replicas
 * of every service: the runtime runs tasks against the scripted
 * OpenAI-compatible server (its replies are this test's script), the run-*
 * events it records are folded by lifecycle into the agent's health and its
 * figures, each change of the status is recorded once (however many
 * lifecycle replicas see it) as AgentHealthChanged, which WatchAgents
 * delivers, and a restarted lifecycle folds the same health from the log.
 */
let t: TestStack;
let api: AosClient;
let model: ScriptedModelServer;
let store: EventStore;
let doer: Agent;
let refund: Tool;
let changes: AgentChanges;

const rid = () => randomUUID();
/** A home without a config file, so that only the environment counts. */
const cliDir = mkdtempSync(join(tmpdir(), 'aos-stats-cli-'));

/** `aos …` through the CLI's own entry point, in this process. */
const aos = (...args: string[]) =>
  runAosInProcess(args, { env: { AOS_GATEWAY_ADDR: t.gatewayAddr, AOS_API_KEY: t.apiKey }, dir: cliDir });

beforeAll(async () => {
  model = await startScriptedModelServer();
  t = await startTestStack({
    replicas: 2,
    // Priced, so that the runs' usage has a cost: 1 per million input tokens, 2 per million output tokens.
    env: { ...model.env, AOS_ROUTER: 'lexical', AOS_MODEL_PRICES: '*=1/2' },
  });
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
  changes = watchAgentChanges(api, doer.logPosition);
}, 120_000);

afterAll(async () => {
  changes?.close();
  await store?.close();
  await t?.stop();
  await model?.stop();
  rmSync(cliDir, { recursive: true, force: true });
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

/** The AgentHealthChanged events of the agent's stream, as (previous → status). */
async function recordedChanges(): Promise<string[]> {
  const events = await store.readStream({ tenantId: 'default', category: 'agent', id: doer.id });
  return events
    .filter((e) => e.type === 'AgentHealthChanged')
    .map((e) => {
      const data = e.data as { previousStatus: string; status: string };
      return `${data.previousStatus}->${data.status}`;
    });
}

const heartbeatOf = (ended: RecordedEvent) => toTimestamp(ended.time);
const ends: RecordedEvent[] = [];

describe("an agent's health from its runs' outcomes", () => {
  let degraded: AgentHealth;

  it('is UNKNOWN before any run ended, HEALTHY after successes and a failure or two, DEGRADED at 3 failures in a row', async () => {
    expect(doer.health).toMatchObject({
      status: 'UNKNOWN',
      reason: 'no run ended and no external session attached yet',
      recentRuns: 0,
      consecutiveFailures: 0,
      openSessions: 0,
    });
    // Unset: the client decodes a missing message as null.
    expect(doer.health!.lastHeartbeatTime ?? null).toBeNull();

    ends.push(await runTask('h-ok-1', { content: 'done 1', usage: { promptTokens: 100, completionTokens: 10 } }));
    const ok2 = await runTask('h-ok-2', { content: 'done 2', usage: { promptTokens: 200, completionTokens: 20 } });
    ends.push(ok2);
    expect(ok2.type).toBe('RunSucceeded');
    expect(await healthAt(ok2.position)).toEqual({
      status: 'HEALTHY',
      reason: 'the newest run succeeded',
      lastHeartbeatTime: heartbeatOf(ok2),
      recentRuns: 2,
      recentFailures: 0,
      lastFailure: '',
      consecutiveFailures: 0,
      lastSuccessTime: heartbeatOf(ok2),
      openSessions: 0,
    });
    const healthy = await changes.next((c) => c.eventType === 'AgentHealthChanged');
    expect(healthy.agent!.health!.status).toBe('HEALTHY');

    // HTTP 400 from the model server: the run fails with FAILED_PRECONDITION (not retried).
    const fail1 = await runTask('h-fail-1', { status: 400 });
    ends.push(fail1);
    expect(fail1.type).toBe('RunFailed');
    const oneFailure = await healthAt(fail1.position);
    expect(oneFailure).toMatchObject({ status: 'HEALTHY', consecutiveFailures: 1, recentFailures: 1 });
    expect(oneFailure.reason).toMatch(/^1 run failed in a row; last: FAILED_PRECONDITION: /);

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
    ends.push(rejectedEnd);
    expect(rejectedEnd.data).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(await healthAt(rejectedEnd.position)).toEqual(oneFailure);

    ends.push(await runTask('h-fail-2', { status: 400 }));
    const fail3 = await runTask('h-fail-3', { status: 400 });
    ends.push(fail3);
    degraded = await healthAt(fail3.position);
    expect(degraded).toMatchObject({
      status: 'DEGRADED',
      lastHeartbeatTime: heartbeatOf(fail3),
      recentRuns: 5,
      recentFailures: 3,
      consecutiveFailures: 3,
      lastSuccessTime: heartbeatOf(ok2),
    });
    expect(degraded.reason).toMatch(
      /^3 runs failed in a row; last: FAILED_PRECONDITION: the model server refused the call: HTTP 400/,
    );

    // WatchAgents delivers the change, with the agent as it stands after it.
    const change = await changes.next(
      (c) => c.eventType === 'AgentHealthChanged' && c.agent?.health?.status === 'DEGRADED',
    );
    expect(change.position).toBeGreaterThan(fail3.position);
    expect(change.agent!.health!.reason).toBe(degraded.reason);

    // ListAgents serves the same health and filters by it.
    const listed = await api.agents.listAgents({ filter: 'health = DEGRADED', minPosition: change.position });
    expect(listed.agents.find((a) => a.id === doer.id)?.health).toEqual(degraded);

    // Recorded once per change, though two lifecycle replicas folded every run's end.
    await new Promise((r) => setTimeout(r, 500));
    expect(await recordedChanges()).toEqual(['UNKNOWN->HEALTHY', 'HEALTHY->DEGRADED']);
    expect(changes.received.filter((c) => c.eventType === 'AgentHealthChanged')).toHaveLength(2);
  });

  it('GetAgentStats counts the runs of the window, their durations, tokens and cost, from the log', async () => {
    expect(ends).toHaveLength(6);
    const last = ends.at(-1)!;
    const stats = await api.agents.getAgentStats({ id: doer.id, minPosition: last.position });

    // The same figures, computed here from the run streams.
    let [inputTokens, outputTokens, costMicros] = [0, 0, 0];
    const durations: number[] = [];
    for (const end of ends) {
      const run = await store.readStream({ tenantId: 'default', category: 'run', id: end.streamId });
      for (const e of run) {
        const data = e.data as { promptTokens: number; completionTokens: number; costMicros: number };
        if (e.type === 'ModelCalled')
          [inputTokens, outputTokens] = [inputTokens + data.promptTokens, outputTokens + data.completionTokens];
        if (e.type === 'UsageCharged') costMicros += data.costMicros;
      }
      durations.push(Date.parse(end.time) - Date.parse(run[0]!.time));
    }
    durations.sort((a, b) => a - b);
    // The scripted usage: 100 + 200 input tokens and 10 + 20 output tokens in the succeeded runs, and more in the rejected one.
    expect(inputTokens).toBeGreaterThanOrEqual(300);
    expect(costMicros).toBeGreaterThan(0);
    expect(stats).toMatchObject({
      agentId: doer.id,
      runsSucceeded: 2,
      // The rejected run is a failed run here, though it does not count against the health.
      runsFailed: 4,
      runsStopped: 0,
      p50DurationMs: durations[2],
      p95DurationMs: durations[5],
      inputTokens,
      outputTokens,
      costMicros,
      health: degraded,
    });
    const windowMs = (Number(stats.endTime!.seconds) - Number(stats.startTime!.seconds)) * 1000;
    expect(windowMs).toBe(86_400_000);

    // A window of the last second, a second after the runs: none of them.
    await new Promise((r) => setTimeout(r, 1_100));
    const byName = await api.agents.getAgentStats({ name: doer.name.toUpperCase(), windowSeconds: 1 });
    expect(byName).toMatchObject({
      agentId: doer.id,
      runsSucceeded: 0,
      runsFailed: 0,
      p50DurationMs: 0,
      inputTokens: 0,
    });
  });

  it('GetAgentStats refuses bad input naming the field, and NOT_FOUND for an agent it does not know', async () => {
    await expect(api.agents.getAgentStats({ id: doer.id, windowSeconds: 2_592_001 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/window_seconds/),
    });
    await expect(api.agents.getAgentStats({ id: doer.id, name: doer.name })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(api.agents.getAgentStats({ id: 'not-a-uuid' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/\bid\b/),
    });
    await expect(api.agents.getAgentStats({ id: rid() })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(api.agents.getAgentStats({ name: 'nobody-by-this-name' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('`aos agents stats` prints the figures and the health with its reason', async () => {
    const [text, asJson, bad, help, got] = await Promise.all([
      aos('agents', 'stats', doer.name, '--window', '2h'),
      aos('agents', 'stats', doer.id, '--json'),
      aos('agents', 'stats', doer.id, '--window', 'forever'),
      aos('agents', 'stats', '--help'),
      aos('agents', 'get', doer.name),
    ]);
    // `aos agents get` says the health's reason, then its counts.
    expect(got.stdout).toMatch(
      /^HEALTH +DEGRADED: 3 runs failed in a row; last: FAILED_PRECONDITION: .* \(3 of 5 recent runs failed: FAILED_PRECONDITION: .*; newest run ended \S+\)$/m,
    );
    expect(asJson.code, asJson.stderr).toBe(0);
    const stats = JSON.parse(asJson.stdout) as AgentStats;
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^SUCCEEDED\s+2$/m);
    expect(text.stdout).toMatch(/^FAILED\s+4$/m);
    expect(text.stdout).toMatch(/^DURATION P50\s+\d+(\.\d+)? m?s$/m);
    expect(text.stdout).toMatch(/^HEALTH\s+DEGRADED: 3 runs failed in a row; last: FAILED_PRECONDITION: /m);
    expect(text.stdout).toMatch(/^FAILURES IN A ROW\s+3$/m);
    expect(stats).toMatchObject({ agentId: doer.id, runsSucceeded: 2, runsFailed: 4 });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/expected a duration from 1s to 30d/);
    expect(help.stdout).toMatch(/--window <duration>/);
  });

  it('is folded again from the log by a restarted lifecycle: the same health, nothing recorded again', async () => {
    expect(degraded?.status).toBe('DEGRADED');
    const lifecycle = t.stack.replicas.lifecycle[0]!;
    await lifecycle.stop();
    await lifecycle.start();
    const again = await api.agents.getAgent({ id: doer.id });
    expect(again.health).toEqual(degraded);
    await new Promise((r) => setTimeout(r, 500));
    expect(await recordedChanges()).toEqual(['UNKNOWN->HEALTHY', 'HEALTHY->DEGRADED']);

    // A success heals it: one more change.
    const ok3 = await runTask('h-ok-3', { content: 'done 3' });
    expect(await healthAt(ok3.position)).toMatchObject({ status: 'HEALTHY', consecutiveFailures: 0 });
    await changes.next((c) => c.eventType === 'AgentHealthChanged' && c.position > ok3.position);
    expect(await recordedChanges()).toEqual(['UNKNOWN->HEALTHY', 'HEALTHY->DEGRADED', 'DEGRADED->HEALTHY']);
  });
});
