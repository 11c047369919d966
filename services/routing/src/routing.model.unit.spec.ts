import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { RequestIndex } from '@aos/command-pipeline';
import { toTaskStep } from '@aos/contracts';
import type { RecordedEvent } from '@aos/event-store';
import { RoutingModel, type RoutingModelState } from './routing.model';
import { isSummary, MAX_STEPS, requestHash, type TaskRecord } from './task/task.projection';
import { chooseAgent } from './task/task.routing';

/** The model and the routing choice fed hand-made events, as the log would deliver them. */
const tenantId = 'acme';
let position = 0;
const revisions = new Map<string, number>();

function event(category: string, streamId: string, type: string, data: unknown, tenant = tenantId): RecordedEvent {
  const key = `${tenant}/${category}-${streamId}`;
  const revision = (revisions.get(key) ?? -1) + 1;
  revisions.set(key, revision);
  position += 1;
  return {
    id: `e${position}`,
    type,
    data,
    stream: `${category}-${streamId}`,
    category,
    streamId,
    revision,
    position,
    time: new Date(1_700_000_000_000 + position * 1000).toISOString(),
    metadata: {
      tenantId: tenant,
      actor: { kind: 'user', id: 'alice' },
      correlationId: 'c',
      causationId: 'c',
      requestId: `r${position}`,
      schemaVersion: 1,
    },
  };
}

function agent(p: RoutingModel, id: string, name: string, description: string, capabilities: string[] = []) {
  const definition = {
    name,
    description,
    capabilities,
    instructions: '',
    model: '',
    toolIds: [],
    knowledgeBaseIds: [],
    labels: {},
  };
  p.apply(event('agent', id, 'AgentCreated', { agentId: id, definition, definitionVersion: 1, createdBy: 'alice' }));
  p.apply(event('agent', id, 'AgentDeployed', { agentId: id, reason: '' }));
}

const decision = { router: 'lexical', chosenAgentId: '', candidates: [], rationale: '' };

function task(p: RoutingModel, id: string, text: string, agentId: string) {
  p.apply(
    event('task', id, 'TaskSubmitted', {
      taskId: id,
      text,
      requiredCapabilities: [],
      requestedAgentId: '',
      priority: 'NORMAL',
      submittedBy: 'alice',
    }),
  );
  p.apply(event('task', id, 'TaskRouted', { taskId: id, agentId, cause: 'submitted', decision }));
}

describe('RoutingModel', () => {
  it('counts an agent load as its ASSIGNED, RUNNING and WAITING_APPROVAL tasks, and running ones apart', () => {
    const p = new RoutingModel();
    agent(p, 'a', 'alpha', 'invoices');
    task(p, 't1', 'invoice one', 'a');
    task(p, 't2', 'invoice two', 'a');
    expect(p.loadOf(tenantId, 'a')).toEqual({ queued: 2, running: 0 });
    const ids = (records: Iterable<{ task: { taskId: string } }>) => [...records].map((r) => r.task.taskId).sort();
    expect(ids(p.tasks.unstartedTasksOf(tenantId))).toEqual(['t1', 't2']);
    p.apply(event('task', 't1', 'TaskStarted', { taskId: 't1', runId: 't1-1', attempt: 1, agentId: 'a', runner: 'r' }));
    p.apply(event('task', 't1', 'TaskWaitingApproval', { taskId: 't1', runId: 't1-1', approvalId: 'x', toolId: 'y' }));
    expect(p.loadOf(tenantId, 'a')).toEqual({ queued: 2, running: 1 });
    // What the lease sweep and the reconciliation walk: the running and the unstarted, not every task ever seen.
    expect(ids(p.tasks.runningTasks())).toEqual(['t1']);
    expect(ids(p.tasks.unstartedTasksOf(tenantId))).toEqual(['t2']);
    p.apply(event('task', 't1', 'TaskSucceeded', { taskId: 't1', runId: 't1-1', result: 'ok' }));
    p.apply(event('task', 't2', 'TaskCancelled', { taskId: 't2', reason: '', cancelledBy: 'bob' }));
    expect(p.loadOf(tenantId, 'a')).toEqual({ queued: 0, running: 0 });
    expect(ids(p.tasks.runningTasks())).toEqual([]);
    expect(ids(p.tasks.unstartedTasksOf(tenantId))).toEqual([]);
    expect(p.tasks.runOwner('t1-1')).toEqual({ tenantId, taskId: 't1' });
  });

  it('refuses a change to an agent that was never created, as lifecycle and the runtime do (one fold)', () => {
    const p = new RoutingModel();
    expect(() => p.apply(event('agent', 'ghost', 'AgentPaused', { agentId: 'ghost', reason: '' }))).toThrow(
      /AgentPaused for agent ghost before AgentCreated/,
    );
    expect(p.agents.get(tenantId, 'ghost')).toBeUndefined();
  });

  it('keeps the run events of a task as its steps, the last MAX_STEPS only, and ignores redelivery', () => {
    const p = new RoutingModel();
    agent(p, 'a', 'alpha', 'reports');
    task(p, 't', 'report', 'a');
    const started = event('task', 't', 'TaskStarted', {
      taskId: 't',
      runId: 't-1',
      attempt: 1,
      agentId: 'a',
      runner: 'r',
    });
    p.apply(started);
    p.apply(started);
    for (let i = 0; i < MAX_STEPS + 10; i++)
      p.apply(event('run', 't-1', 'StepReported', { runId: 't-1', summary: `step ${i}`, detailJson: '{}' }));
    // Another tenant's run stream with the same id is not this task's.
    p.apply(event('run', 't-1', 'StepReported', { runId: 't-1', summary: 'foreign', detailJson: '{}' }, 'globex'));
    const record = p.task(tenantId, 't') as TaskRecord;
    expect(record.steps).toHaveLength(MAX_STEPS);
    expect(toTaskStep(record.steps.at(-1)!).summary).toBe(`step ${MAX_STEPS + 9}`);
    expect(toTaskStep(record.steps.at(-1)!).runId).toBe('t-1');
    expect(record.revision).toBe(2);
  });

  it('teaches the tenant router from completions and corrections', () => {
    const p = new RoutingModel();
    agent(p, 'a', 'alpha', 'general work');
    agent(p, 'b', 'beta', 'other work');
    task(p, 't', 'the walrus ledger', 'a');
    p.apply(
      event('task', 't', 'TaskReassigned', {
        taskId: 't',
        fromAgentId: 'a',
        toAgentId: 'b',
        reason: '',
        reassignedBy: 'bob',
        decision,
      }),
    );
    const outcome = chooseAgent(p, tenantId, {
      text: 'walrus ledger',
      requiredCapabilities: [],
      requestedAgentId: '',
      cause: 'submitted',
    });
    expect(outcome.agentId).toBe('b');
    expect(outcome.decision.rationale).toMatch(/^chose beta, matching "walrus", "ledger"/);
  });
});

describe('RoutingModel: a task moved by its run', () => {
  it("takes WAITING_APPROVAL and the end from the run's events: load, router learning, position, not the revision", () => {
    const p = new RoutingModel();
    // Without learning, no word matches and the least busy, then first by name (beta) would take it.
    agent(p, 'a', 'zeta', 'general work');
    agent(p, 'b', 'beta', 'other work');
    task(p, 't', 'the narwhal inventory', 'a');
    p.apply(event('task', 't', 'TaskStarted', { taskId: 't', runId: 't-1', attempt: 1, agentId: 'a', runner: 'r' }));
    const revision = p.task(tenantId, 't')!.revision;
    const awaited = event('run', 't-1', 'ApprovalAwaited', {
      runId: 't-1',
      callId: 'c',
      approvalId: 'ap',
      toolId: 'x',
    });
    p.apply(awaited);
    expect(p.task(tenantId, 't')!.task).toMatchObject({ status: 'WAITING_APPROVAL', approvalId: 'ap' });
    expect(p.task(tenantId, 't')!.logPosition).toBe(awaited.position);
    expect(p.loadOf(tenantId, 'a')).toEqual({ queued: 1, running: 1 });
    p.apply(
      event('run', 't-1', 'ApprovalReceived', {
        runId: 't-1',
        approvalId: 'ap',
        approved: true,
        decidedBy: 'user:bob',
        reason: '',
      }),
    );
    const done = event('run', 't-1', 'RunSucceeded', { runId: 't-1', result: 'counted' });
    p.apply(done);
    const record = p.task(tenantId, 't') as TaskRecord;
    expect(record.task).toMatchObject({ status: 'SUCCEEDED', result: 'counted' });
    expect([record.revision, record.logPosition]).toEqual([revision, done.position]);
    expect(record.steps.map((s) => s.type).slice(-3)).toEqual(['ApprovalAwaited', 'ApprovalReceived', 'RunSucceeded']);
    expect(p.loadOf(tenantId, 'a')).toEqual({ queued: 0, running: 0 });
    expect([...p.tasks.runningTasks()]).toEqual([]);
    // The completion taught the router: the same words now go to alpha, whatever the other agent says.
    p.refreshRouters();
    const outcome = chooseAgent(p, tenantId, {
      text: 'narwhal inventory',
      requiredCapabilities: [],
      requestedAgentId: '',
      cause: 'submitted',
    });
    expect(outcome.agentId).toBe('a');
  });

  it('ignores the end of an attempt that was abandoned, and an abandonment after the end', () => {
    const p = new RoutingModel();
    agent(p, 'a', 'alpha', 'work');
    task(p, 't', 'work', 'a');
    p.apply(event('task', 't', 'TaskStarted', { taskId: 't', runId: 't-1', attempt: 1, agentId: 'a', runner: 'r' }));
    p.apply(
      event('task', 't', 'TaskAttemptAbandoned', {
        taskId: 't',
        runId: 't-1',
        attempt: 1,
        runner: 'r',
        reason: 'lease',
      }),
    );
    p.apply(event('run', 't-1', 'RunSucceeded', { runId: 't-1', result: 'late' }));
    expect(p.task(tenantId, 't')!.task).toMatchObject({ status: 'ASSIGNED', result: '' });
    p.apply(event('task', 't', 'TaskStarted', { taskId: 't', runId: 't-2', attempt: 2, agentId: 'a', runner: 'r' }));
    p.apply(event('run', 't-2', 'RunFailed', { runId: 't-2', reason: 'broke', code: 'INTERNAL' }));
    p.apply(
      event('task', 't', 'TaskAttemptAbandoned', {
        taskId: 't',
        runId: 't-2',
        attempt: 2,
        runner: 'r',
        reason: 'lease',
      }),
    );
    expect(p.task(tenantId, 't')!.task).toMatchObject({ status: 'FAILED', failureCode: 'INTERNAL' });
    expect(p.loadOf(tenantId, 'a')).toEqual({ queued: 0, running: 0 });
  });
});

describe('chooseAgent', () => {
  it('skips the excluded (retired) agent and queues when no agent has the capabilities', () => {
    const p = new RoutingModel();
    agent(p, 'a', 'alpha', 'payroll', ['hr']);
    agent(p, 'b', 'beta', 'payroll', ['hr']);
    const without = chooseAgent(p, tenantId, {
      text: 'payroll',
      requiredCapabilities: ['HR'],
      requestedAgentId: '',
      cause: 'agent-retired',
      excludeAgentId: 'a',
    });
    expect(without.agentId).toBe('b');
    expect(without.decision.candidates.map((c) => c.agentId)).toEqual(['b']);
    const none = chooseAgent(p, tenantId, {
      text: 'payroll',
      requiredCapabilities: ['legal'],
      requestedAgentId: '',
      cause: 'submitted',
    });
    expect(none.agentId).toBeUndefined();
    expect(none.decision.rationale).toMatch(/no ACTIVE agent with capabilities \[legal\]/);
  });

  it('gives a task no word of which matches to the least busy qualified agent, and says so', () => {
    const p = new RoutingModel();
    agent(p, 'a', 'alpha', 'payroll', ['hr']);
    agent(p, 'b', 'beta', 'benefits', ['hr']);
    task(p, 't', 'payroll', 'a');
    const outcome = chooseAgent(p, tenantId, {
      text: 'zzz qqq',
      requiredCapabilities: ['hr'],
      requestedAgentId: '',
      cause: 'submitted',
    });
    expect(outcome.agentId).toBe('b');
    expect(outcome.decision.rationale).toMatch(/no word of the task matches.*chose beta, the least busy/);
  });

  it('prefers the less loaded of two equally matching agents', () => {
    const p = new RoutingModel();
    agent(p, 'a', 'alpha', 'translation');
    agent(p, 'b', 'beta', 'translation');
    for (let i = 0; i < 5; i++) task(p, `t${i}`, 'x', 'a');
    const outcome = chooseAgent(p, tenantId, {
      text: 'translation',
      requiredCapabilities: [],
      requestedAgentId: '',
      cause: 'submitted',
    });
    expect(outcome.agentId).toBe('b');
    const loaded = outcome.decision.candidates.find((c) => c.agentId === 'a')!;
    expect(loaded.queueLength).toBe(5);
    expect(loaded.loadPenalty).toBeGreaterThan(0);
  });

  it('keeps the newest finished tasks whole and the older ones as summaries, their requests and runs forgotten', () => {
    const requests = new RequestIndex(['task']);
    const p = new RoutingModel({ requests, finishedKeptWhole: 2 });
    const feed = (e: RecordedEvent) => p.apply(e);
    const fed = (m: RoutingModel) => (e: RecordedEvent) => m.apply(e);
    agent(p, 'a', 'alpha', 'invoices');
    const submittedBy = new Map<string, string>();
    let t1Submitted: RecordedEvent = undefined!;
    const run = (id: string, end: 'RunSucceeded' | 'RunFailed' | 'cancel') => {
      const submitted = event('task', id, 'TaskSubmitted', {
        taskId: id,
        text: `text of ${id}`,
        requiredCapabilities: [],
        requestedAgentId: '',
        priority: 'HIGH',
        submittedBy: 'alice',
      });
      submittedBy.set(id, submitted.metadata.requestId);
      if (id === 't1') t1Submitted = submitted;
      feed(submitted);
      feed(event('task', id, 'TaskRouted', { taskId: id, agentId: 'a', cause: 'submitted', decision }));
      if (end === 'cancel') {
        return feed(event('task', id, 'TaskCancelled', { taskId: id, reason: 'no', cancelledBy: 'alice' }));
      }
      feed(event('task', id, 'TaskStarted', { taskId: id, runId: `${id}-1`, attempt: 1, agentId: 'a', runner: 'r' }));
      feed(event('run', `${id}-1`, end, { runId: `${id}-1`, result: 'ok', reason: 'broke', code: 'INTERNAL' }));
    };
    run('t1', 'RunSucceeded');
    const whole = p.task(tenantId, 't1') as TaskRecord;
    run('t2', 'cancel');
    expect(p.task(tenantId, 't1')).toBe(whole);
    run('t3', 'RunFailed');
    run('t4', 'RunSucceeded');

    const t1 = p.task(tenantId, 't1')!;
    expect(isSummary(t1)).toBe(true);
    expect(t1).toMatchObject({
      tenantId,
      revision: whole.revision,
      logPosition: whole.logPosition,
      createPosition: whole.createPosition,
      createMs: Date.parse(whole.createTime),
    });
    expect(t1.task).toEqual({
      ...whole.task,
      text: '',
      decision: { router: 'lexical', chosenAgentId: '', candidates: [], rationale: '' },
      result: '',
    });
    expect(p.task(tenantId, 't2')!.task).toMatchObject({ status: 'CANCELLED', attempt: 0, runId: '', runner: '' });
    expect(isSummary(p.task(tenantId, 't3')!)).toBe(false);
    expect([...p.tasks.tasksOf(tenantId)].map((v) => [v.task.taskId, isSummary(v)])).toEqual([
      ['t4', false],
      ['t3', false],
      ['t2', true],
      ['t1', true],
    ]);
    expect(p.tasks.countsOf(tenantId)).toEqual({ tasks: 4, whole: 2 });
    expect(p.tasks.runOwner('t1-1')).toBeUndefined();
    expect(p.tasks.runOwner('t3-1')).toEqual({ tenantId, taskId: 't3' });
    expect(requests.get(tenantId, submittedBy.get('t1')!)).toBeUndefined();
    expect(requests.get(tenantId, submittedBy.get('t4')!)?.map((s) => s.type)).toEqual(['TaskSubmitted']);

    // A late run event of a summarised task changes nothing; its task stream's events only its revision.
    feed(event('run', 't1-1', 'StepReported', { runId: 't1-1', summary: 'late', detailJson: '{}' }));
    const t2 = p.task(tenantId, 't2')!;
    feed(event('task', 't2', 'TaskCancelled', { taskId: 't2', reason: 'again', cancelledBy: 'bob' }));
    expect(p.task(tenantId, 't1')).toEqual(t1);
    expect(p.task(tenantId, 't2')).toEqual({ ...t2, revision: t2.revision + 1 });
    // A redelivered event of a summarised task does not bring its request back into the index.
    feed(t1Submitted);
    expect(requests.get(tenantId, submittedBy.get('t1')!)).toBeUndefined();

    // Restored from a serialized capture: the same views; kept by a process that keeps fewer whole, t3 too is summarised.
    const state = deserialize(serialize(p.capture())) as RoutingModelState;
    const restored = new RoutingModel({ finishedKeptWhole: 2 });
    restored.restore(state);
    expect([...restored.tasks.tasksOf(tenantId)]).toEqual([...p.tasks.tasksOf(tenantId)]);
    const fewer = new RoutingModel({ finishedKeptWhole: 1 });
    fewer.restore(deserialize(serialize(p.capture())) as RoutingModelState);
    expect(isSummary(fewer.task(tenantId, 't3')!)).toBe(true);
    expect(fewer.task(tenantId, 't3')!.task).toMatchObject({ status: 'FAILED', failureReason: '', attempt: 1 });
    // And both go on applying the log alike.
    const next = event('task', 't5', 'TaskSubmitted', {
      taskId: 't5',
      text: 'five',
      requiredCapabilities: [],
      requestedAgentId: '',
      priority: 'NORMAL',
      submittedBy: 'alice',
    });
    [p, restored].forEach((m) => fed(m)(next));
    expect(restored.task(tenantId, 't5')).toEqual(p.task(tenantId, 't5'));
    expect(restored.position).toBe(p.position);
  });

  it('remembers every summarised task of request ids that share a hash', () => {
    // Two request ids with the same 31-bit hash, found by search (about 2 in 100,000 ids collide).
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; !pair; i++) {
      const id = `collide-${i}`;
      const other = seen.get(requestHash(id));
      if (other) pair = [other, id];
      else seen.set(requestHash(id), id);
    }
    const p = new RoutingModel({ requests: new RequestIndex(['task']), finishedKeptWhole: 1 });
    agent(p, 'a', 'alpha', 'invoices');
    const withRequest = (e: RecordedEvent, requestId: string) => ({ ...e, metadata: { ...e.metadata, requestId } });
    const cancelled = (id: string, requestId: string) => {
      const submitted = event('task', id, 'TaskSubmitted', {
        taskId: id,
        text: id,
        requiredCapabilities: [],
        requestedAgentId: '',
        priority: 'NORMAL',
        submittedBy: 'alice',
      });
      p.apply(withRequest(submitted, requestId));
      p.apply(event('task', id, 'TaskCancelled', { taskId: id, reason: '', cancelledBy: 'alice' }));
    };
    cancelled('h1', pair[0]);
    cancelled('h2', pair[1]);
    cancelled('h3', 'unrelated');
    expect(p.tasks.forgottenRequestTasks(tenantId, pair[0])).toEqual(['h1', 'h2']);
    expect(p.tasks.forgottenRequestTasks(tenantId, pair[1])).toEqual(['h1', 'h2']);
    expect(p.tasks.forgottenRequestTasks(tenantId, 'never-used')).toEqual([]);
  });
});
