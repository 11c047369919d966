import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent, CreateTenantResponse, Task, TaskStep } from '@aos/contracts';
import type { AosClient } from '@aos/grpc-client';
import { RunSimulator, startTestStack, statusOf, type TestStack } from '@aos/testing';
import { GatewayCaller } from './support/gateway-caller';
import { principalWithKey, rid, unique } from './support/governance-fixtures';

/**
 * TaskService through the gRPC gateway of the whole stack. Runs are played by
 * a RunSimulator speaking routing's internal run protocol over NATS, so what a
 * user sees of a task (steps, WatchTask) is tested without a model server.
 */
let t: TestStack;
let api: AosClient;
let gateway: GatewayCaller;
let runner: RunSimulator;

beforeAll(async () => {
  t = await startTestStack();
  api = t.client;
  gateway = new GatewayCaller(t.gatewayAddr);
  runner = await RunSimulator.connect(t.natsUrl);
});
afterAll(async () => {
  await runner?.close();
  gateway?.close();
  await t?.stop();
});

const failure = statusOf;

/**
 * The agents are external (`aos.runtime = external`) so that the built-in
 * runtime in the stack leaves their tasks to the RunSimulator these tests drive.
 */
async function activeAgent(client: AosClient, fields: Partial<Agent>): Promise<Agent> {
  const agent = await client.agents.createAgent({
    agent: { name: unique('agent'), labels: { 'aos.runtime': 'external' }, ...fields },
    requestId: rid(),
  });
  return client.agents.deployAgent({ id: agent.id, requestId: rid() });
}

function submit(client: AosClient, text: string, task: Partial<Task> = {}): Promise<Task> {
  return client.tasks.submitTask({ task: { text, ...task }, requestId: rid() });
}

describe('tasks through the gateway', () => {
  it('submits a task and routes it to the best-matching agent, with the decision explained', async () => {
    const billing = await activeAgent(api, {
      name: unique('billing'),
      description: 'Handles invoices, refunds and payment disputes',
      capabilities: ['billing'],
    });
    await activeAgent(api, { description: 'Resets passwords and VPN tokens', capabilities: ['it'] });
    const task = await submit(api, 'Refund the duplicate charge on invoice 4411');
    expect(task).toMatchObject({ state: 'ASSIGNED', assignedAgentId: billing.id, tenantId: 'default' });
    expect(task.routing).toMatchObject({ router: 'lexical', chosenAgentId: billing.id });
    expect(task.routing!.candidates[0]).toMatchObject({ agentId: billing.id, agentName: billing.name });
    expect(task.routing!.candidates[0]!.score).toBeGreaterThan(0);
    expect(task.routing!.rationale).toMatch(/"refund"|"invoice"/);
    expect(task.routing!.decideTime).toBeDefined();
    // Decided when it was routed: not before it was created.
    const ms = (t: { seconds: number; nanos: number } | undefined) =>
      Number(t?.seconds ?? NaN) * 1000 + (t?.nanos ?? 0) / 1e6;
    expect(ms(task.routing!.decideTime)).toBeGreaterThanOrEqual(ms(task.createTime));

    const read = await api.tasks.getTask({ id: task.id, minPosition: task.logPosition });
    expect(read.steps.map((s) => s.type)).toEqual(['TaskSubmitted', 'TaskRouted']);
    const listed = await api.tasks.listTasks({ filter: `agent_id = "${billing.id}"` });
    expect(listed.tasks.map((x) => x.id)).toEqual([task.id]);
  });

  it('answers bad requests with the right status', async () => {
    const empty = await failure(api.tasks.submitTask({ task: { text: '' }, requestId: rid() }));
    expect(empty.code).toBe('INVALID_ARGUMENT');
    expect(empty.details).toMatch(/task\.text/);
    const noRequestId = await failure(api.tasks.submitTask({ task: { text: 'x' } }));
    expect(noRequestId.details).toMatch(/request_id/);
    expect((await failure(api.tasks.getTask({ id: 'nope' }))).code).toBe('INVALID_ARGUMENT');
    expect((await failure(api.tasks.getTask({ id: rid() }))).code).toBe('NOT_FOUND');
    expect((await failure(submit(api, 'x', { agentId: rid() }))).code).toBe('NOT_FOUND');

    const agent = await activeAgent(api, { description: 'status codes' });
    const task = await submit(api, 'status codes', { agentId: agent.id });
    expect(task.routing?.router).toBe('requested');
    const stale = await failure(
      api.tasks.cancelTask({ id: task.id, expectedRevision: 0, requestId: rid(), reason: '' }),
    );
    expect(stale.code).toBe('ABORTED');
    expect((await failure(api.tasks.reassignTask({ id: task.id, agentId: rid(), requestId: rid() }))).code).toBe(
      'NOT_FOUND',
    );
    await api.tasks.cancelTask({ id: task.id, requestId: rid(), reason: 'test' });
    expect((await failure(api.tasks.cancelTask({ id: task.id, requestId: rid() }))).code).toBe('FAILED_PRECONDITION');

    const viewer = await principalWithKey(gateway, t.apiKey, { role: 'viewer' });
    const denied = await gateway.call(
      'TaskService',
      'SubmitTask',
      { task: { text: 'x' }, requestId: rid() },
      `Bearer ${viewer.key}`,
    );
    expect(denied.status).toBe('PERMISSION_DENIED');
  });

  it('keeps tenants apart: another tenant cannot read, change, watch or route to them', async () => {
    const tenantId = unique('tasks-b');
    const created = await gateway.unary<CreateTenantResponse>(
      'GovernanceService',
      'CreateTenant',
      { tenant: { id: tenantId, displayName: 'Tenant B' }, requestId: rid() },
      t.apiKey,
    );
    const b = t.clientWithKey(created.adminApiKeySecret);
    const agentA = await activeAgent(api, { description: 'tenant isolation' });
    const taskA = await submit(api, 'tenant isolation');

    expect((await failure(b.tasks.getTask({ id: taskA.id }))).code).toBe('NOT_FOUND');
    expect((await failure(b.tasks.cancelTask({ id: taskA.id, requestId: rid() }))).code).toBe('NOT_FOUND');
    expect((await failure(b.tasks.reassignTask({ id: taskA.id, agentId: agentA.id, requestId: rid() }))).code).toBe(
      'NOT_FOUND',
    );
    const watched = await gateway.call(
      'TaskService',
      'WatchTask',
      { id: taskA.id },
      `Bearer ${created.adminApiKeySecret}`,
    );
    expect(watched.status).toBe('NOT_FOUND');
    expect(watched.messages).toEqual([]);
    expect((await failure(submit(b, 'tenant isolation', { agentId: agentA.id }))).code).toBe('NOT_FOUND');

    const taskB = await submit(b, 'tenant isolation');
    expect(taskB.state).toBe('QUEUED');
    expect((await b.tasks.listTasks({})).tasks.map((x) => x.id)).toEqual([taskB.id]);
    expect((await api.tasks.listTasks({})).tasks.map((x) => x.id)).not.toContain(taskB.id);
  });

  it('WatchTask replays the steps so far, follows the run live, and ends after the finishing step', async () => {
    const agent = await activeAgent(api, { description: 'quarterly report writer' });
    const task = await submit(api, 'write the quarterly report', { agentId: agent.id });
    const stream = api.tasks.watchTask({ id: task.id });
    const steps = stream[Symbol.asyncIterator]();
    const next = async (): Promise<TaskStep> => {
      const r = await steps.next();
      if (r.done) throw new Error('the stream ended early');
      return r.value;
    };
    // Catch-up: what was recorded before the call.
    expect((await next()).type).toBe('TaskSubmitted');
    const routed = await next();
    expect(routed).toMatchObject({ type: 'TaskRouted', runId: '' });
    expect(routed.summary).toContain(agent.id);

    // Live: the run happens while the stream is open.
    const run = await runner.runToEnd('default', task.id, { result: 'Q3 revenue grew 12%' });
    const live: TaskStep[] = [];
    for (;;) {
      const r = await steps.next();
      if (r.done) break;
      live.push(r.value);
    }
    // The run's RunSucceeded is the one record of the outcome: the task ends with it (nothing is copied).
    expect(live.map((s) => s.type)).toEqual(['TaskStarted', 'RunStarted', 'ModelCalled', 'RunSucceeded']);
    expect(live.filter((s) => s.runId === run.runId).map((s) => s.type)).toEqual([
      'RunStarted',
      'ModelCalled',
      'RunSucceeded',
    ]);
    expect(live.at(-1)!.summary).toBe('run succeeded: Q3 revenue grew 12%');
    expect(JSON.parse(live.at(-1)!.dataJson)).toMatchObject({ result: 'Q3 revenue grew 12%' });
    const positions = live.map((s) => Number(s.position));
    expect(positions).toEqual([...positions].sort((x, y) => x - y));

    // GetTask shows the same steps; a watch of a finished task replays them and ends.
    const read = await api.tasks.getTask({ id: task.id });
    expect(read).toMatchObject({ state: 'SUCCEEDED', result: 'Q3 revenue grew 12%', attempt: 1 });
    expect(read.steps.map((s) => s.type)).toEqual(['TaskSubmitted', 'TaskRouted', ...live.map((s) => s.type)]);
    const again: TaskStep[] = [];
    for await (const step of api.tasks.watchTask({ id: task.id, afterPosition: live[1]!.position })) again.push(step);
    expect(again.map((s) => s.type)).toEqual(['ModelCalled', 'RunSucceeded']);
    const after: TaskStep[] = [];
    for await (const step of api.tasks.watchTask({ id: task.id, afterPosition: live.at(-1)!.position }))
      after.push(step);
    expect(after).toEqual([]);
  });
});
