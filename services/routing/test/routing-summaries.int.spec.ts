import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskState, type RunEvent, type Task } from '@aos/contracts';
import { expectCode, startRoutingHarness, type RoutingCalls, type RoutingHarness } from './routing.fixture';

/**
 * Routing keeps only the newest AOS_ROUTING_FINISHED_TASKS finished tasks
 * whole (here one): older ones are summaries in memory and read back from
 * the log when shown. What the API answers must not change when a task is
 * summarised: GetTask, ListTasks (its filters and pages), and a retried
 * request answered as its first attempt was. A real nats-server, the
 * JetStream store and the real lifecycle service.
 */
let h: RoutingHarness;
let calls: RoutingCalls;
const tenantId = 'summaries';
beforeAll(async () => {
  h = await startRoutingHarness({ AOS_ROUTING_FINISHED_TASKS: '1' });
  ({ calls } = h);
});

afterAll(async () => {
  await h?.stop();
});

/** Submits a task, claims it and records its run's steps and success. */
async function completed(text: string, requestId = randomUUID()): Promise<Task> {
  const task = await calls.submit(text, { tenantId, requestId });
  const run = await calls.claimRun(task.id, 1, 'runtime-1', tenantId);
  const steps: RunEvent[] = [
    { type: 'StepReported', data: { runId: run.runId, summary: `working on ${text}`, detailJson: '{"n":1}' } },
    { type: 'RunSucceeded', data: { runId: run.runId, result: `done: ${text}` } },
  ];
  return calls.recordRun(task.id, run.runId, steps, tenantId);
}

describe('finished tasks beyond AOS_ROUTING_FINISHED_TASKS', () => {
  it('answer GetTask, ListTasks and retried requests as they did while whole', async () => {
    await calls.agent({ name: 'Clerk', description: 'invoices refunds ledgers' }, { tenantId });
    const firstRequest = randomUUID();
    const first = await completed('refund the invoice', firstRequest);
    expect(first.state).toBe(TaskState.SUCCEEDED);
    const whole = await calls.get(first.id, { tenantId });
    expect(whole.steps.map((s) => s.type)).toEqual([
      'TaskSubmitted',
      'TaskRouted',
      'TaskStarted',
      'StepReported',
      'RunSucceeded',
    ]);
    const listedWhole = (await calls.list(tenantId)).tasks.find((t) => t.id === first.id);

    // A second task ends (cancelled): the first one is summarised.
    const cancelRequest = randomUUID();
    const second = await calls.submit('reconcile the ledger', { tenantId });
    const cancelled = await calls.cancel(second.id, { tenantId, requestId: cancelRequest, reason: 'duplicate' });
    expect(cancelled.state).toBe(TaskState.CANCELLED);
    const third = await calls.submit('refund another invoice', { tenantId });

    const position = cancelled.logPosition;
    expect(await calls.get(first.id, { tenantId, minPosition: position })).toEqual(whole);
    const page = await calls.list(tenantId);
    expect(page.tasks.map((t) => t.id)).toEqual([third.id, second.id, first.id]);
    expect(page.tasks.find((t) => t.id === first.id)).toEqual(listedWhole);
    expect(page.totalSize).toBe(3);
    expect((await calls.list(tenantId, 'state = SUCCEEDED')).tasks.map((t) => t.id)).toEqual([first.id]);
    expect((await calls.list(tenantId, `agent_id = "${first.assignedAgentId}"`)).totalSize).toBe(3);
    // Pages of one, read back one at a time.
    const one = await calls.list(tenantId, '', 1);
    const two = await calls.list(tenantId, '', 1, one.nextPageToken);
    const three = await calls.list(tenantId, '', 1, two.nextPageToken);
    expect([one, two, three].map((p) => p.tasks[0]!.id)).toEqual([third.id, second.id, first.id]);
    expect(three.nextPageToken).toBe('');

    // The first request retried: answered as a replay, no second task and no new event.
    const retried = await calls.submit('refund the invoice', { tenantId, requestId: firstRequest });
    expect(retried).toEqual({ ...first, steps: [] });
    expect((await calls.taskEvents(first.id, tenantId)).map((e) => e.type)).toEqual([
      'TaskSubmitted',
      'TaskRouted',
      'TaskStarted',
    ]);
    // Refused as they were: a new cancel, a claim of a next attempt, a request id reused for another task.
    await expectCode(calls.cancel(first.id, { tenantId }), 'FAILED_PRECONDITION');
    await expectCode(calls.claimRun(first.id, 2, 'runtime-1', tenantId), 'FAILED_PRECONDITION');
    await expectCode(calls.cancel(third.id, { tenantId, requestId: firstRequest }), 'INVALID_ARGUMENT', 'request_id');

    // Once a third task ends, the cancelled one is summarised too; its cancel retried is answered as before.
    await completed('refund a third invoice');
    const again = await calls.cancel(second.id, { tenantId, requestId: cancelRequest, reason: 'duplicate' });
    expect(again).toEqual(cancelled);
    expect(await calls.get(second.id, { tenantId })).toMatchObject({ state: TaskState.CANCELLED });
  });
});
