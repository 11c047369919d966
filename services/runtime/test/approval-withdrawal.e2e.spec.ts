import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApprovalState, type Agent, type Approval, type Task, type Tool } from '@aos/contracts';
import { createEventStore, type EventStore, type RecordedEvent } from '@aos/event-store';
import type { AosClient } from '@aos/grpc-client';
import { ServiceProcess, serviceEntry } from '@aos/launcher';
import {
  firstEvent,
  requireApproval,
  startScriptedModelServer,
  startTestStack,
  statusOf,
  type ScriptedModelServer,
  type TestStack,
} from '@aos/testing';

/**
 * An approval nobody can use any more is WITHDRAWN: a task waits for a
 * person's approval, the runtime that runs it is killed (kill -9, nothing on
 * its way out), and the next attempt asks again. Governance withdraws the
 * first approval from what the log says (the attempt was abandoned), so the
 * inbox holds one approval for the task, not two; cancelling the task then
 * withdraws the second. Every service is its own process, as npm start runs
 * them, and two runtimes run, so one survives the kill.
 */
const LEASE_MS = 1500;
let t: TestStack;
let api: AosClient;
let model: ScriptedModelServer;
let store: EventStore;
let refunds: Server;
let refundCalls = 0;
let second: ServiceProcess | undefined;

const rid = () => randomUUID();

beforeAll(async () => {
  model = await startScriptedModelServer();
  refunds = createServer((req, res) => {
    refundCalls += 1;
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"refunded":true}');
  });
  await new Promise<void>((r) => refunds.listen(0, '127.0.0.1', r));
  t = await startTestStack({
    topology: 'process-per-service',
    env: { ...model.env, AOS_ROUTER: 'lexical', AOS_RUN_LEASE_MS: String(LEASE_MS) },
  });
  api = t.client;
  store = await createEventStore({ kind: 'jetstream', natsUrl: t.natsUrl });
  second = new ServiceProcess({
    name: 'runtime-2',
    entry: serviceEntry('runtime'),
    env: { ...t.stack.services.runtime.options.env },
    output: 'ignore',
  });
  await second.start();
});

afterAll(async () => {
  await second?.stop();
  await store?.close();
  await t?.stop();
  await model?.stop();
  await new Promise((r) => refunds?.close(r));
});

/** The approvals in `state` whose reason names the task (the runtime's reason starts `task <id> (run …)`). */
async function approvalsOf(taskId: string, state: ApprovalState): Promise<Approval[]> {
  const { approvals } = await api.governance.listApprovals({ state, pageSize: 100, minPosition: 0 });
  return approvals.filter((a) => a.reason.startsWith(`task ${taskId} `));
}

function firstOf(taskId: string, match: (e: RecordedEvent) => boolean): Promise<RecordedEvent> {
  const ofTask = (e: RecordedEvent) => e.streamId === taskId || e.streamId.startsWith(`${taskId}-`);
  return firstEvent(store, (e) => ofTask(e) && match(e), { related: ofTask });
}

const awaitedIn = (runId: string) => (e: RecordedEvent) => e.type === 'ApprovalAwaited' && e.streamId === runId;

describe('approvals of runs that are gone', () => {
  it('withdraws the approval of an attempt whose runtime was killed -9 and of a cancelled task: one PENDING per task', async () => {
    const port = (refunds.address() as AddressInfo).port;
    const refund = await api.tools.registerTool({
      tool: {
        name: `refund_${rid().slice(0, 6)}`,
        description: 'refund over HTTP',
        risk: 'WRITE' as Tool['risk'],
        http: { endpoint: `http://127.0.0.1:${port}/refunds`, method: 'POST' },
        inputSchemaJson: '{"type":"object","properties":{"invoice":{"type":"string"}}}',
      } as Tool,
      requestId: rid(),
    });
    const created = await api.agents.createAgent({
      agent: {
        name: `refunder-${rid().slice(0, 6)}`,
        description: 'refunds',
        toolIds: [refund.id],
      } as Partial<Agent> as Agent,
      requestId: rid(),
    });
    const agent = await api.agents.deployAgent({ id: created.id, requestId: rid(), reason: '' });
    await requireApproval(api, agent.id, refund.id);
    const args = { invoice: '42', amount: '19.90', note: 'customer called twice' };
    // Each attempt asks for the refund (the second attempt starts the conversation again).
    model.scriptFor(
      'case-w',
      { toolCalls: [{ id: 'call-w1', name: refund.name, arguments: args }] },
      { toolCalls: [{ id: 'call-w2', name: refund.name, arguments: args }] },
    );
    const task = await api.tasks.submitTask({
      task: { text: 'case-w: refund invoice 42', agentId: agent.id } as Partial<Task> as Task,
      requestId: rid(),
    });
    const firstRun = `${task.id}-1`;
    const secondRun = `${task.id}-2`;

    const awaited1 = await firstOf(task.id, awaitedIn(firstRun));
    const firstApprovalId = (awaited1.data as { approvalId: string }).approvalId;
    const [asked] = await approvalsOf(task.id, ApprovalState.PENDING);
    // What the agent wants, with which arguments, and why: the arguments beside a readable reason.
    expect(asked).toMatchObject({ id: firstApprovalId, argumentsTruncated: false });
    expect(JSON.parse(asked!.argumentsJson)).toEqual(args);
    expect(asked!.reason).toMatch(
      new RegExp(`^task ${task.id} \\(run ${firstRun}\\) wants to call tool ${refund.name}; `),
    );
    expect(asked!.reason).not.toContain('customer called twice');

    // Kill -9 the runtime that runs the attempt: nothing it could say on its way out.
    const started = await firstOf(task.id, (e) => e.type === 'TaskStarted');
    const runner = (started.data as { runner: string }).runner;
    const victim = [t.stack.services.runtime, second!].find((p) => runner.split(':')[1] === String(p.pid));
    expect(victim, `runner ${runner}`).toBeDefined();
    process.kill(victim!.pid!, 'SIGKILL');
    await victim!.exited;

    // The lease runs out, routing abandons the attempt, the survivor starts the next, which asks again.
    const awaited2 = await firstOf(task.id, awaitedIn(secondRun));
    const secondApprovalId = (awaited2.data as { approvalId: string }).approvalId;
    expect(secondApprovalId).not.toBe(firstApprovalId);
    const abandoned = await firstOf(task.id, (e) => e.type === 'TaskAttemptAbandoned');
    expect(abandoned.data).toMatchObject({ runId: firstRun });

    await expect
      .poll(async () => (await approvalsOf(task.id, ApprovalState.WITHDRAWN)).map((a) => a.id), { timeout: 15_000 })
      .toEqual([firstApprovalId]);
    const [withdrawn] = await approvalsOf(task.id, ApprovalState.WITHDRAWN);
    expect(withdrawn!.decisionReason).toMatch(new RegExp(`^run ${firstRun} was given up`));
    const pending = await approvalsOf(task.id, ApprovalState.PENDING);
    expect(pending.map((a) => a.id)).toEqual([secondApprovalId]);
    expect(JSON.parse(pending[0]!.argumentsJson)).toEqual(args);
    // The count the console's overview shows: every PENDING approval of the tenant, this task's once.
    const { approvals: allPending } = await api.governance.listApprovals({
      state: ApprovalState.PENDING,
      pageSize: 100,
    });
    expect(allPending.map((a) => a.id)).toEqual([secondApprovalId]);

    // Deciding the withdrawn one is refused, naming it; the task still waits on the second.
    const refused = await statusOf(
      api.governance.decideApproval({ id: firstApprovalId, approve: true, reason: 'late', requestId: rid() }),
    );
    expect(refused.code).toBe('FAILED_PRECONDITION');
    expect(refused.details).toContain(`approval ${firstApprovalId} is WITHDRAWN`);
    expect((await api.tasks.getTask({ id: task.id })).state).toBe('WAITING_APPROVAL' as never);

    // Cancelled while waiting: its approval goes too, and nothing waits any more.
    await api.tasks.cancelTask({ id: task.id, reason: 'customer withdrew the request', requestId: rid() });
    await expect
      .poll(async () => (await approvalsOf(task.id, ApprovalState.WITHDRAWN)).map((a) => a.id).sort(), {
        timeout: 15_000,
      })
      .toEqual([firstApprovalId, secondApprovalId].sort());
    const cancelled = (await approvalsOf(task.id, ApprovalState.WITHDRAWN)).find((a) => a.id === secondApprovalId);
    expect(cancelled!.decisionReason).toBe(`task ${task.id} was cancelled before anyone decided`);
    expect(await approvalsOf(task.id, ApprovalState.PENDING)).toEqual([]);
    expect(refundCalls).toBe(0);

    // The surviving runtime's run ended the usual way: stopped, no decision recorded in it.
    const stopped = await firstOf(task.id, (e) => e.type === 'RunStopped' && e.streamId === secondRun);
    expect(stopped.data).toMatchObject({ runId: secondRun });
    const secondRunEvents = await store.readStream({ tenantId: 'default', category: 'run', id: secondRun });
    expect(secondRunEvents.map((e) => e.type)).not.toContain('ApprovalReceived');
  });
});
