import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoutingSubjects, TaskState } from '@aos/contracts';
import { startRouting } from '../src/bootstrap';
import { startRoutingHarness, type RoutingCalls, type RoutingHarness } from './routing.fixture';

/**
 * Leases and restarts, with a short lease so an unrenewed attempt is
 * abandoned quickly. The tests wait for the events routing appends; they do
 * not measure time.
 */
let h: RoutingHarness;
let calls: RoutingCalls;
let client: RoutingHarness['client'];
beforeAll(async () => {
  h = await startRoutingHarness({ AOS_LOG_LEVEL: 'error', AOS_RUN_LEASE_MS: '300' });
  ({ calls, client } = h);
});

afterAll(async () => {
  await h?.stop();
});

describe('leases', () => {
  it('abandons an attempt whose lease is not renewed; the next attempt can be claimed', async () => {
    const tenantId = 'lease';
    await calls.agent({ name: 'worker', description: 'works' }, { tenantId });
    const task = await calls.submit('work', { tenantId });
    const first = await calls.claimRun(task.id, 1, 'runtime-crashed', tenantId);
    expect(first.leaseMs).toBe(300);

    const abandoned = await calls.event((e) => e.streamId === task.id && e.type === 'TaskAttemptAbandoned');
    expect(abandoned.data).toMatchObject({ runId: first.runId, attempt: 1, runner: 'runtime-crashed' });
    expect(abandoned.metadata.actor).toEqual({ kind: 'system', id: 'routing' });
    const read = await calls.get(task.id, { tenantId, minPosition: abandoned.position });
    expect(read.state).toBe(TaskState.ASSIGNED);
    expect(read.attempt).toBe(1);

    const lost = await client.request(RoutingSubjects.renewLeases, calls.runnerCtx(tenantId), {
      runner: 'runtime-crashed',
      runIds: [first.runId],
    });
    expect(lost.lost).toEqual([first.runId]);
    // The abandoned run's late outcome does not end the task: the next attempt's will.
    expect((await calls.finishRun(task.id, first.runId, 'too late', tenantId)).state).toBe(TaskState.ASSIGNED);

    const second = await calls.claimRun(task.id, 2, 'runtime-2', tenantId);
    expect(second.runId).toBe(`${task.id}-2`);
    expect(second.previousRunId).toBe(first.runId);
  });

  it('refuses renewal by a runner that does not hold the attempt', async () => {
    const tenantId = 'lease-owner';
    await calls.agent({ name: 'owner', description: 'owns' }, { tenantId });
    const task = await calls.submit('owns', { tenantId });
    const run = await calls.claimRun(task.id, 1, 'runtime-a', tenantId);
    const reply = await client.request(RoutingSubjects.renewLeases, calls.runnerCtx(tenantId), {
      runner: 'runtime-b',
      runIds: [run.runId],
    });
    expect(reply.lost).toEqual([run.runId]);
  });
});

describe('after a restart', () => {
  it('routes what changed while routing was down, and abandons an attempt whose lease (kept in KV) ran out meanwhile', async () => {
    const tenantId = 'restart';
    const worker = await calls.agent({ name: 'restarter', description: 'restart work' }, { tenantId });
    const running = await calls.submit('restart work', { tenantId });
    const claimedAt = Date.now();
    const run = await calls.claimRun(running.id, 1, 'runtime-x', tenantId);
    const waiting = await calls.submit('needs a translator', { tenantId, capabilities: ['french'] });
    expect(waiting.state).toBe(TaskState.QUEUED);

    await h.routing.close();
    const translator = await calls.agent({ name: 'translator', capabilities: ['french'] }, { tenantId });
    h.routing = await startRouting(h.config, { shutdownHooks: false });

    const routed = await calls.event((e) => e.streamId === waiting.id && e.type === 'TaskRouted');
    expect(routed.data).toMatchObject({ agentId: translator.id, cause: 'agent-available' });
    const abandoned = await calls.event((e) => e.streamId === running.id && e.type === 'TaskAttemptAbandoned');
    expect(abandoned.data).toMatchObject({ runId: run.runId });
    // Judged by the lease the claim took (300 ms, never renewed): a restart of routing neither loses nor extends it.
    expect(Date.parse(abandoned.time) - claimedAt).toBeGreaterThanOrEqual(300);
    expect(abandoned.data).toMatchObject({ reason: expect.stringContaining('did not renew its lease') });
    // Reconciling again changes nothing: one TaskRouted, one abandonment.
    await h.routing.idle();
    const events = await calls.taskEvents(waiting.id, tenantId);
    expect(events.filter((e) => e.type === 'TaskRouted')).toHaveLength(1);
    const runningEvents = await calls.taskEvents(running.id, tenantId);
    expect(runningEvents.filter((e) => e.type === 'TaskAttemptAbandoned')).toHaveLength(1);
    expect(worker.id).toBeTruthy();
  });
});
