import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoutingSubjects, TaskState, type RunEvent } from '@aos/contracts';
import { expectCode, startRoutingHarness, type RoutingCalls, type RoutingHarness } from './routing.fixture';

/**
 * The routing service against a real nats-server, the JetStream event store
 * and the real lifecycle service (agents are created, deployed, paused and
 * retired through it, as in production).
 */
let h: RoutingHarness;
let calls: RoutingCalls;
let client: RoutingHarness['client'];
beforeAll(async () => {
  h = await startRoutingHarness({ AOS_AGENT_MAX_CONCURRENCY: '2' });
  ({ calls, client } = h);
});

afterAll(async () => {
  await h?.stop();
});

describe('submit and route', () => {
  it('routes a task to the ACTIVE agent whose words match, and explains why', async () => {
    const tenantId = 'route-basic';
    const billing = await calls.agent(
      { name: 'billing-bot', description: 'Answers invoice and refund questions', capabilities: ['billing'] },
      { tenantId },
    );
    await calls.agent(
      { name: 'it-helpdesk', description: 'Resets passwords and fixes laptops', capabilities: ['it'] },
      { tenantId },
    );
    const task = await calls.submit('Please refund the duplicate invoice for ACME', { tenantId });
    expect(task.state).toBe(TaskState.ASSIGNED);
    expect(task.assignedAgentId).toBe(billing.id);
    expect(task.routing?.router).toBe('lexical');
    expect(task.routing?.chosenAgentId).toBe(billing.id);
    expect(task.routing?.candidates[0]?.agentName).toBe('billing-bot');
    expect(task.routing?.candidates.length).toBeLessThanOrEqual(5);
    expect(task.routing?.rationale).toMatch(/billing-bot/);
    expect(task.routing?.rationale).toMatch(/"refund"|"invoice"/);
    expect(task.logPosition).toBeGreaterThan(0);

    const read = await calls.get(task.id, { tenantId, minPosition: task.logPosition });
    expect(read.steps.map((s) => s.type)).toEqual(['TaskSubmitted', 'TaskRouted']);
    expect(read.steps[1]!.summary).toMatch(/routed to agent/);
  });

  it('only considers agents with every required capability, case-insensitively', async () => {
    const tenantId = 'route-caps';
    await calls.agent(
      { name: 'writer', description: 'writes refund letters', capabilities: ['writing'] },
      { tenantId },
    );
    const legal = await calls.agent(
      { name: 'counsel', description: 'contracts', capabilities: ['Legal', 'writing'] },
      { tenantId },
    );
    const task = await calls.submit('write a refund letter', { tenantId, capabilities: ['legal', 'WRITING'] });
    expect(task.assignedAgentId).toBe(legal.id);
    expect(task.routing?.candidates.map((c) => c.agentId)).toEqual([legal.id]);
  });

  it('is idempotent by request_id: the same reply, one task', async () => {
    const tenantId = 'route-idem';
    await calls.agent({ name: 'any', description: 'does anything' }, { tenantId });
    const requestId = randomUUID();
    const first = await calls.submit('do anything', { tenantId, requestId });
    const again = await calls.submit('do anything', { tenantId, requestId });
    expect(again.id).toBe(first.id);
    expect(again.logPosition).toBe(first.logPosition);
    expect((await calls.list(tenantId)).totalSize).toBe(1);
    expect(await calls.taskEvents(first.id, tenantId)).toHaveLength(2);
    await expectCode(calls.cancel(first.id, { tenantId, requestId }), 'INVALID_ARGUMENT', 'request_id');
  });

  it('refuses bad input naming the field', async () => {
    await expectCode(calls.submit('', {}), 'INVALID_ARGUMENT', 'task.text');
    await expectCode(calls.submit('x', { capabilities: [''] }), 'INVALID_ARGUMENT', 'task.required_capabilities[0]');
    await expectCode(calls.submit('x', { agentId: 'not-a-uuid' }), 'INVALID_ARGUMENT', 'task.agent_id');
    await expectCode(calls.submit('x', { priority: 'URGENT' }), 'INVALID_ARGUMENT', 'task.priority');
    await expectCode(
      client.request(RoutingSubjects.submit, calls.ctx(), { task: { text: 'x' }, requestId: '' }),
      'INVALID_ARGUMENT',
      'request_id',
    );
    await expectCode(calls.get('nope'), 'INVALID_ARGUMENT', 'id');
    await expectCode(calls.get(randomUUID()), 'NOT_FOUND');
    await expectCode(calls.list('acme', 'colour = red'), 'INVALID_ARGUMENT', 'filter');
    await expectCode(calls.claimRun('bad', 1), 'INVALID_ARGUMENT', 'taskId');
  });

  it('keeps tenants apart: another tenant neither sees nor routes to them', async () => {
    const a = await calls.agent({ name: 'iso-agent', description: 'isolation' }, { tenantId: 'iso-a' });
    const task = await calls.submit('isolation test', { tenantId: 'iso-a' });
    await expectCode(calls.get(task.id, { tenantId: 'iso-b' }), 'NOT_FOUND');
    await expectCode(calls.cancel(task.id, { tenantId: 'iso-b' }), 'NOT_FOUND');
    await expectCode(calls.submit('isolation test', { tenantId: 'iso-b', agentId: a.id }), 'NOT_FOUND');
    const other = await calls.submit('isolation test', { tenantId: 'iso-b' });
    expect(other.state).toBe(TaskState.QUEUED);
    expect((await calls.list('iso-b')).tasks.map((t) => t.id)).toEqual([other.id]);
  });
});

describe('queueing and agent availability', () => {
  it('queues a task no agent can take, and assigns it when one is deployed (cause agent-available)', async () => {
    const tenantId = 'queue';
    const task = await calls.submit('translate the contract into French', { tenantId, capabilities: ['french'] });
    expect(task.state).toBe(TaskState.QUEUED);
    expect(task.assignedAgentId).toBe('');
    expect(task.routing?.rationale).toMatch(/no ACTIVE agent with capabilities \[french\]/);

    const agent = await calls.agent({ name: 'translator', capabilities: ['French'] }, { tenantId });
    const routed = await calls.event((e) => e.streamId === task.id && e.type === 'TaskRouted');
    expect(routed.data).toMatchObject({ agentId: agent.id, cause: 'agent-available' });
    const read = await calls.get(task.id, { tenantId, minPosition: routed.position });
    expect(read.state).toBe(TaskState.ASSIGNED);
    expect(read.assignedAgentId).toBe(agent.id);
  });

  it('lets a PAUSED agent keep its tasks: a claim is refused until it is resumed', async () => {
    const tenantId = 'pause';
    const agent = await calls.agent({ name: 'pausable', description: 'reports' }, { tenantId });
    const task = await calls.submit('write the weekly reports', { tenantId });
    expect(task.assignedAgentId).toBe(agent.id);
    const paused = await calls.lifecycle('pause', agent.id, tenantId);
    await calls.get(task.id, { tenantId, minPosition: paused.logPosition });
    const refused = await expectCode(calls.claimRun(task.id, 1, 'runtime-1', tenantId), 'FAILED_PRECONDITION');
    expect(refused.message).toMatch(/PAUSED/);
    // A task may name a paused agent: it waits for it.
    const named = await calls.submit('another report', { tenantId, agentId: agent.id });
    expect(named.state).toBe(TaskState.ASSIGNED);
    expect(named.routing?.router).toBe('requested');

    const resumed = await calls.lifecycle('resume', agent.id, tenantId);
    await calls.get(task.id, { tenantId, minPosition: resumed.logPosition });
    const started = await calls.claimRun(task.id, 1, 'runtime-1', tenantId);
    expect(started.runId).toBe(`${task.id}-1`);
    expect(started.agentId).toBe(agent.id);
    await calls.finishRun(task.id, started.runId, 'done', tenantId);
  });

  it('routes the tasks of a retired agent to another capable agent (cause agent-retired)', async () => {
    const tenantId = 'retire';
    const first = await calls.agent(
      { name: 'first', description: 'payroll salary questions', capabilities: ['payroll'] },
      { tenantId },
    );
    const task = await calls.submit('salary question about payroll', { tenantId, capabilities: ['payroll'] });
    expect(task.assignedAgentId).toBe(first.id);
    const second = await calls.agent({ name: 'second', description: 'hr', capabilities: ['payroll'] }, { tenantId });
    await calls.lifecycle('retire', first.id, tenantId);
    const rerouted = await calls.event((e) => e.streamId === task.id && e.type === 'TaskRouted' && e.revision > 1);
    expect(rerouted.data).toMatchObject({ agentId: second.id, cause: 'agent-retired' });
    const candidates = (rerouted.data as { decision: { candidates: { agentId: string }[] } }).decision.candidates;
    expect(candidates.map((c) => c.agentId)).not.toContain(first.id);
  });

  it('queues the tasks of a retired agent when no other can take them', async () => {
    const tenantId = 'retire-alone';
    const only = await calls.agent({ name: 'only', capabilities: ['x-ray'] }, { tenantId });
    const task = await calls.submit('read the x-ray', { tenantId, capabilities: ['x-ray'] });
    expect(task.assignedAgentId).toBe(only.id);
    await calls.lifecycle('retire', only.id, tenantId);
    const queued = await calls.event((e) => e.streamId === task.id && e.type === 'TaskQueued');
    expect(queued.data).toMatchObject({ cause: 'agent-retired' });
  });
});

describe('reassignment', () => {
  it("records a person's correction, and the router learns from it", async () => {
    const tenantId = 'learn';
    const alpha = await calls.agent({ name: 'alpha', description: 'general questions' }, { tenantId });
    const beta = await calls.agent({ name: 'beta', description: 'other things' }, { tenantId });
    const task = await calls.submit('general questions about the zebra budget', { tenantId });
    expect(task.assignedAgentId).toBe(alpha.id);

    const moved = await calls.reassign(task.id, beta.id, { tenantId, reason: 'beta owns zebra' });
    expect(moved.assignedAgentId).toBe(beta.id);
    expect(moved.routing?.router).toBe('person');
    expect(moved.routing?.rationale).toMatch(/bob moved the task from alpha to beta/);
    const events = await calls.taskEvents(task.id, tenantId);
    expect(events.at(-1)).toMatchObject({
      type: 'TaskReassigned',
      data: { fromAgentId: alpha.id, toAgentId: beta.id },
    });

    const next = await calls.submit('zebra budget', { tenantId });
    expect(next.assignedAgentId).toBe(beta.id);
    expect(next.routing?.rationale).toMatch(/"zebra"/);
  });

  it('refuses to reassign a running task or to a retired agent', async () => {
    const tenantId = 'reassign-refused';
    const a = await calls.agent({ name: 'a1', description: 'one' }, { tenantId });
    const b = await calls.agent({ name: 'b1', description: 'two' }, { tenantId });
    const task = await calls.submit('one', { tenantId });
    await calls.lifecycle('retire', b.id, tenantId);
    await expectCode(calls.reassign(task.id, b.id, { tenantId }), 'FAILED_PRECONDITION');
    await calls.claimRun(task.id, 1, 'runtime-1', tenantId);
    const c = await calls.agent({ name: 'c1', description: 'three' }, { tenantId });
    await expectCode(calls.reassign(task.id, c.id, { tenantId }), 'FAILED_PRECONDITION');
    await expectCode(calls.reassign(task.id, randomUUID(), { tenantId }), 'NOT_FOUND');
    expect(a.id).toBeTruthy();
  });
});

describe('the run-claim protocol', () => {
  it('lets exactly one of two concurrent claims win', async () => {
    const tenantId = 'race';
    await calls.agent({ name: 'racer', description: 'race' }, { tenantId });
    const task = await calls.submit('race', { tenantId });
    const results = await Promise.allSettled([
      calls.claimRun(task.id, 1, 'runtime-a', tenantId),
      calls.claimRun(task.id, 1, 'runtime-b', tenantId),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((loser.reason as { code: string }).code).toBe('FAILED_PRECONDITION');
    const started = (await calls.taskEvents(task.id, tenantId)).filter((e) => e.type === 'TaskStarted');
    expect(started).toHaveLength(1);
  });

  it('holds an agent to its concurrency limit (default from AOS_AGENT_MAX_CONCURRENCY, or its label)', async () => {
    const tenantId = 'limit';
    const agent = await calls.agent({ name: 'busy', description: 'busy work' }, { tenantId });
    const tasks = [];
    for (let i = 0; i < 3; i++) tasks.push(await calls.submit(`busy work ${i}`, { tenantId }));
    const first = await calls.claimRun(tasks[0]!.id, 1, 'r', tenantId);
    await calls.claimRun(tasks[1]!.id, 1, 'r', tenantId);
    const refused = await expectCode(calls.claimRun(tasks[2]!.id, 1, 'r', tenantId), 'FAILED_PRECONDITION');
    expect(refused.message).toMatch(/already runs 2 of at most 2/);
    await calls.finishRun(tasks[0]!.id, first.runId, 'done', tenantId);
    await calls.claimRun(tasks[2]!.id, 1, 'r', tenantId);

    const single = await calls.agent(
      { name: 'single', description: 'single', labels: { 'aos.max_concurrent_tasks': '1' } },
      { tenantId: 'limit-label' },
    );
    const x = await calls.submit('single one', { tenantId: 'limit-label', agentId: single.id });
    const y = await calls.submit('single two', { tenantId: 'limit-label', agentId: single.id });
    await calls.claimRun(x.id, 1, 'r', 'limit-label');
    await expectCode(calls.claimRun(y.id, 1, 'r', 'limit-label'), 'FAILED_PRECONDITION');
    expect(agent.id).toBeTruthy();
  });

  it("derives the task's approval wait and its end from its run's record; a stale run's record changes nothing", async () => {
    const tenantId = 'protocol';
    await calls.agent({ name: 'approver', description: 'payments' }, { tenantId });
    const task = await calls.submit('pay the supplier', { tenantId });
    await expectCode(calls.claimRun(task.id, 2, 'r', tenantId), 'FAILED_PRECONDITION');
    const run = await calls.claimRun(task.id, 1, 'r', tenantId);
    const ctx = calls.runnerCtx(tenantId);
    const awaited: RunEvent = {
      type: 'ApprovalAwaited',
      data: { runId: run.runId, callId: 'c1', approvalId: 'ap-1', toolId: 'pay' },
    };
    const waiting = await calls.recordRun(task.id, run.runId, [awaited], tenantId);
    expect([waiting.state, waiting.approvalId]).toEqual([TaskState.WAITING_APPROVAL, 'ap-1']);
    const renewed = await client.request(RoutingSubjects.renewLeases, ctx, {
      runner: 'r',
      runIds: [run.runId, `${task.id}-9`],
    });
    expect(renewed.lost).toEqual([`${task.id}-9`]);
    const received: RunEvent = {
      type: 'ApprovalReceived',
      data: { runId: run.runId, approvalId: 'ap-1', approved: true, decidedBy: 'user:bob', reason: '' },
    };
    const resumed = await calls.recordRun(task.id, run.runId, [received], tenantId);
    expect([resumed.state, resumed.approvalId]).toEqual([TaskState.RUNNING, '']);
    // Routing appended nothing for any of it: the run's events are the one record.
    expect((await calls.taskEvents(task.id, tenantId)).map((e) => e.type)).toEqual([
      'TaskSubmitted',
      'TaskRouted',
      'TaskStarted',
    ]);
    // A run that is not the current attempt does not end the task.
    const stale = await calls.finishRun(task.id, `${task.id}-2`, 'never', tenantId);
    expect(stale.state).toBe(TaskState.RUNNING);
    const done = await calls.finishRun(task.id, run.runId, 'paid', tenantId);
    expect([done.state, done.result]).toEqual([TaskState.SUCCEEDED, 'paid']);
    expect(done.steps.map((step) => step.type).slice(-1)).toEqual(['RunSucceeded']);
    const after = await client.request(RoutingSubjects.renewLeases, ctx, {
      runner: 'r',
      runIds: [run.runId],
    });
    expect(after.lost).toEqual([run.runId]);
    await expectCode(calls.cancel(task.id, { tenantId }), 'FAILED_PRECONDITION');
  });

  it('cancels a running task; its runner learns it at the next renewal', async () => {
    const tenantId = 'cancel';
    await calls.agent({ name: 'canceller', description: 'long work' }, { tenantId });
    const task = await calls.submit('long work', { tenantId });
    const run = await calls.claimRun(task.id, 1, 'r', tenantId);
    const cancelled = await calls.cancel(task.id, { tenantId, reason: 'changed my mind' });
    expect(cancelled.state).toBe(TaskState.CANCELLED);
    expect(cancelled.failureReason).toBe('changed my mind');
    const renewed = await client.request(RoutingSubjects.renewLeases, calls.runnerCtx(tenantId), {
      runner: 'r',
      runIds: [run.runId],
    });
    expect(renewed.lost).toEqual([run.runId]);
  });

  it('abandons an attempt its runner releases at once; only the holder may, and the body is checked', async () => {
    const tenantId = 'release';
    await calls.agent({ name: 'releaser', description: 'restarts' }, { tenantId });
    const task = await calls.submit('restarts', { tenantId });
    const run = await calls.claimRun(task.id, 1, 'runtime-a', tenantId);
    const release = (body: Record<string, unknown>) =>
      client.request(RoutingSubjects.releaseRun, calls.runnerCtx(tenantId), {
        taskId: task.id,
        runId: run.runId,
        runner: 'runtime-a',
        reason: 'shutting down',
        requestId: randomUUID(),
        ...body,
      });
    await expectCode(release({ runId: '' }), 'INVALID_ARGUMENT', 'runId');
    await expectCode(release({ runner: undefined }), 'INVALID_ARGUMENT', 'runner');
    const refused = await expectCode(release({ runner: 'runtime-b' }), 'FAILED_PRECONDITION');
    expect(refused.message).toContain('held by runner runtime-a');

    const requestId = randomUUID();
    const released = await release({ requestId });
    expect(released.state).toBe('ASSIGNED');
    const abandoned = await calls.event((e) => e.streamId === task.id && e.type === 'TaskAttemptAbandoned');
    expect(abandoned.data).toMatchObject({
      runId: run.runId,
      runner: 'runtime-a',
      reason: 'runner runtime-a released it: shutting down',
    });
    // The same request again is answered from the log; another one finds the attempt gone.
    expect((await release({ requestId })).state).toBe('ASSIGNED');
    await expectCode(release({}), 'FAILED_PRECONDITION');
    expect((await calls.claimRun(task.id, 2, 'runtime-b', tenantId)).previousRunId).toBe(run.runId);
  });

  it('lists newest first with a filter and pages', async () => {
    const tenantId = 'listing';
    const agent = await calls.agent({ name: 'lister', description: 'lists' }, { tenantId });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await calls.submit(`lists ${i}`, { tenantId })).id);
    const queued = await calls.submit('nobody can', { tenantId, capabilities: ['none'] });
    const page1 = await calls.list(tenantId, `state = ASSIGNED AND agent_id = "${agent.id}"`, 2);
    expect(page1.totalSize).toBe(3);
    expect(page1.tasks.map((t) => t.id)).toEqual([ids[2], ids[1]]);
    expect(page1.tasks[0]!.steps).toEqual([]);
    const page2 = await calls.list(tenantId, `state = ASSIGNED AND agent_id = "${agent.id}"`, 2, page1.nextPageToken);
    expect(page2.tasks.map((t) => t.id)).toEqual([ids[0]]);
    expect(page2.nextPageToken).toBe('');
    expect((await calls.list(tenantId, 'state = QUEUED')).tasks.map((t) => t.id)).toEqual([queued.id]);
  });

  it('filters by when a task was submitted (create_time with >=, >, <, <=), with the other fields', async () => {
    const tenantId = 'listing-time';
    await calls.agent({ name: 'timer', description: 'times' }, { tenantId });
    const early = await calls.submit('times early', { tenantId });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const late = await calls.submit('times late', { tenantId });
    const lateTime = new Date(Number(late.createTime!.seconds) * 1000 + Math.floor(late.createTime!.nanos / 1e6));
    const at = JSON.stringify(lateTime.toISOString());
    expect((await calls.list(tenantId, `create_time >= ${at}`)).tasks.map((t) => t.id)).toEqual([late.id]);
    expect((await calls.list(tenantId, `create_time < ${at}`)).tasks.map((t) => t.id)).toEqual([early.id]);
    expect((await calls.list(tenantId, `create_time <= ${at}`)).totalSize).toBe(2);
    expect((await calls.list(tenantId, `create_time > ${at}`)).totalSize).toBe(0);
    const both = await calls.list(tenantId, `state = ASSIGNED AND create_time >= "2000-01-01T00:00:00+02:00"`);
    expect(both.tasks.map((t) => t.id)).toEqual([late.id, early.id]);
    await expectCode(calls.list(tenantId, 'create_time >= "yesterday"'), 'INVALID_ARGUMENT', 'filter');
    await expectCode(calls.list(tenantId, 'create_time >= "2026-12-05T00:00:00"'), 'INVALID_ARGUMENT', 'filter');
    // Date.parse would read these as 2 March and the next day's midnight.
    await expectCode(calls.list(tenantId, 'create_time >= "2026-02-30T00:00:00Z"'), 'INVALID_ARGUMENT', 'filter');
    await expectCode(calls.list(tenantId, 'create_time >= "2026-12-05T24:00:00Z"'), 'INVALID_ARGUMENT', 'filter');
    expect((await calls.list(tenantId, 'create_time >= "2024-02-29T23:59:59.999-01:30"')).totalSize).toBe(2);
    await expectCode(calls.list(tenantId, `create_time = ${at}`), 'INVALID_ARGUMENT', 'filter');
    await expectCode(calls.list(tenantId, 'state >= QUEUED'), 'INVALID_ARGUMENT', 'filter');
  });
});
