import { describe, expect, it } from 'vitest';
import type { RoutingDecisionData, RunEvent, TaskEvent, TaskHistoryEvent } from '@aos/contracts';
import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from '@aos/errors';
import {
  decide,
  evolve,
  initialTaskState,
  routingNeededFor,
  type AgentReadiness,
  type AgentStatusFact,
  type TaskCommand,
  type TaskState,
  type TaskStatus,
} from './task.decider';

const taskId = '0b6c6a59-7d2a-5c51-9a55-3f1a0a4e7c11';
const agentA = '11111111-1111-5111-8111-111111111111';
const agentB = '22222222-2222-5222-8222-222222222222';
const runId = `${taskId}-1`;

const decision = (chosen: string): RoutingDecisionData => ({
  router: 'lexical',
  chosenAgentId: chosen,
  candidates: chosen
    ? [{ agentId: chosen, agentName: 'a', score: 1, lexicalScore: 2, loadPenalty: 0, queueLength: 0 }]
    : [],
  rationale: chosen ? 'a: "invoice"' : 'no ACTIVE agent',
});

const submitted: TaskEvent = {
  type: 'TaskSubmitted',
  data: {
    taskId,
    text: 'refund the invoice',
    requiredCapabilities: ['billing'],
    requestedAgentId: '',
    priority: 'NORMAL',
    submittedBy: 'alice',
  },
};
const routedToA: TaskEvent = {
  type: 'TaskRouted',
  data: { taskId, agentId: agentA, cause: 'submitted', decision: decision(agentA) },
};
const queued: TaskEvent = {
  type: 'TaskQueued',
  data: { taskId, cause: 'submitted', reason: 'no ACTIVE agent', decision: decision('') },
};
const started: TaskEvent = {
  type: 'TaskStarted',
  data: { taskId, runId, attempt: 1, agentId: agentA, runner: 'runtime-1' },
};
/** The runtime's record in the run stream: the task's owner derives WAITING_APPROVAL, SUCCEEDED, FAILED from it. */
const awaited: RunEvent = { type: 'ApprovalAwaited', data: { runId, callId: 'c1', approvalId: 'ap-1', toolId: 'pay' } };
const received = (approved: boolean, run = runId): RunEvent => ({
  type: 'ApprovalReceived',
  data: { runId: run, approvalId: 'ap-1', approved, decidedBy: 'user:bob', reason: '' },
});
const runSucceeded = (run = runId): RunEvent => ({ type: 'RunSucceeded', data: { runId: run, result: 'refunded' } });
const runFailed = (run = runId): RunEvent => ({
  type: 'RunFailed',
  data: { runId: run, reason: 'tool failed', code: 'UNAVAILABLE' },
});
const abandoned: TaskEvent = {
  type: 'TaskAttemptAbandoned',
  data: { taskId, runId, attempt: 1, runner: 'runtime-1', reason: 'lease expired' },
};

/** The events that bring a new task into each state. */
const historyFor: Record<TaskStatus, TaskHistoryEvent[]> = {
  QUEUED: [submitted, queued],
  ASSIGNED: [submitted, routedToA],
  RUNNING: [submitted, routedToA, started],
  WAITING_APPROVAL: [submitted, routedToA, started, awaited],
  SUCCEEDED: [submitted, routedToA, started, runSucceeded()],
  FAILED: [submitted, routedToA, started, runFailed()],
  CANCELLED: [submitted, queued, { type: 'TaskCancelled', data: { taskId, reason: 'no', cancelledBy: 'bob' } }],
};
const ALL = Object.keys(historyFor) as TaskStatus[];

function given(events: TaskHistoryEvent[]): TaskState {
  return events.reduce(evolve, initialTaskState);
}

/** given events, when command: the events decided (or the error thrown). */
function when(events: TaskHistoryEvent[], command: TaskCommand): TaskEvent[] {
  return decide(command, given(events));
}

const ready: AgentReadiness = { status: 'ACTIVE', running: 0, limit: 4 };
const start = (agent: AgentReadiness = ready, attempt = 1): TaskCommand => ({
  type: 'StartRun',
  taskId,
  attempt,
  runner: 'runtime-2',
  agent,
});
const submit = (agentId: string | undefined, requested: Partial<TaskCommand> = {}): TaskCommand => ({
  type: 'SubmitTask',
  taskId,
  text: 'refund the invoice',
  requiredCapabilities: ['billing'],
  requestedAgentId: '',
  requestedAgentStatus: 'NONE',
  ...(requested as object),
  priority: 'NORMAL',
  submittedBy: 'alice',
  routing: { agentId, decision: decision(agentId ?? ''), cause: 'submitted' },
});

describe('Task decider: submit', () => {
  it('records the task and routes it to the chosen agent', () => {
    const events = when([], submit(agentA));
    expect(events.map((e) => e.type)).toEqual(['TaskSubmitted', 'TaskRouted']);
    const state = given(events);
    expect(state).toMatchObject({ status: 'ASSIGNED', assignedAgentId: agentA, attempt: 0 });
  });

  it('queues it when no agent was chosen', () => {
    const events = when([], submit(undefined));
    expect(events.map((e) => e.type)).toEqual(['TaskSubmitted', 'TaskQueued']);
    expect(given(events)).toMatchObject({ status: 'QUEUED', assignedAgentId: '' });
  });

  it('takes a task naming an ACTIVE or PAUSED agent, and refuses one naming an agent that cannot have tasks', () => {
    const naming = (status: string) =>
      submit(agentA, { requestedAgentId: agentA, requestedAgentStatus: status } as never);
    expect(when([], naming('ACTIVE'))[0]).toMatchObject({ data: { requestedAgentId: agentA } });
    expect(when([], naming('PAUSED')).map((e) => e.type)).toEqual(['TaskSubmitted', 'TaskRouted']);
    expect(() => when([], naming('NONE'))).toThrow(NotFoundError);
    for (const status of ['DRAFT', 'RETIRED']) {
      expect(() => when([], naming(status))).toThrow(
        `agent ${agentA} is ${status}: a task may name only an ACTIVE or PAUSED agent`,
      );
    }
  });

  it('refuses a task id that exists', () => {
    expect(() => when(historyFor.QUEUED, submit(agentA))).toThrow(AlreadyExistsError);
  });

  it('refuses any other command for an unknown task', () => {
    expect(() => when([], { type: 'CancelTask', taskId, reason: '', cancelledBy: 'bob' })).toThrow(NotFoundError);
  });
});

describe('Task decider: routing again', () => {
  const route = (agentId: string | undefined, cause: 'agent-available' | 'agent-retired'): TaskCommand => ({
    type: 'RouteTask',
    taskId,
    routing: { agentId, decision: decision(agentId ?? ''), cause },
  });

  it('assigns a queued task once an agent is available', () => {
    const events = when(historyFor.QUEUED, route(agentB, 'agent-available'));
    expect(events).toEqual([
      { type: 'TaskRouted', data: { taskId, agentId: agentB, cause: 'agent-available', decision: decision(agentB) } },
    ]);
  });

  it('records nothing when a queued task still finds no agent, or an assigned one the same agent', () => {
    expect(when(historyFor.QUEUED, route(undefined, 'agent-available'))).toEqual([]);
    expect(when(historyFor.ASSIGNED, route(agentA, 'agent-retired'))).toEqual([]);
  });

  it('sends the task of a retired agent to another, or back to the queue', () => {
    expect(when(historyFor.ASSIGNED, route(agentB, 'agent-retired'))[0]).toMatchObject({
      type: 'TaskRouted',
      data: { agentId: agentB, cause: 'agent-retired' },
    });
    const back = when(historyFor.ASSIGNED, route(undefined, 'agent-retired'));
    expect(back[0]).toMatchObject({ type: 'TaskQueued', data: { cause: 'agent-retired' } });
    expect(given([...historyFor.ASSIGNED, ...back])).toMatchObject({ status: 'QUEUED', assignedAgentId: '' });
  });

  it.each(['RUNNING', 'WAITING_APPROVAL', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as TaskStatus[])(
    'does not route a task in state %s',
    (status) => {
      expect(() => when(historyFor[status], route(agentB, 'agent-available'))).toThrow(FailedPreconditionError);
    },
  );
});

describe('Task decider: reassign', () => {
  const reassign = (to: string, toAgentStatus: AgentStatusFact = 'ACTIVE'): TaskCommand => ({
    type: 'ReassignTask',
    taskId,
    toAgentId: to,
    toAgentStatus,
    reason: 'B owns invoices',
    reassignedBy: 'bob',
    decision: { ...decision(to), router: 'person' },
  });

  it('moves an assigned task and says from whom', () => {
    const events = when(historyFor.ASSIGNED, reassign(agentB));
    expect(events[0]).toMatchObject({ type: 'TaskReassigned', data: { fromAgentId: agentA, toAgentId: agentB } });
    expect(given([...historyFor.ASSIGNED, ...events])).toMatchObject({ status: 'ASSIGNED', assignedAgentId: agentB });
  });

  it('refuses an agent that is unknown or cannot be given tasks', () => {
    expect(() => when(historyFor.ASSIGNED, reassign(agentB, 'NONE'))).toThrow(NotFoundError);
    expect(() => when(historyFor.ASSIGNED, reassign(agentB, 'RETIRED'))).toThrow(
      `cannot reassign to agent ${agentB} in state RETIRED`,
    );
    expect(when(historyFor.QUEUED, reassign(agentB, 'PAUSED'))).toHaveLength(1);
  });

  it('takes a queued task out of the queue', () => {
    expect(when(historyFor.QUEUED, reassign(agentB))[0]).toMatchObject({ data: { fromAgentId: '' } });
  });

  it('refuses the agent it already has', () => {
    expect(() => when(historyFor.ASSIGNED, reassign(agentA))).toThrow(/already assigned/);
  });

  it.each(['RUNNING', 'WAITING_APPROVAL', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as TaskStatus[])(
    'refuses a task in state %s',
    (status) => {
      expect(() => when(historyFor[status], reassign(agentB))).toThrow(FailedPreconditionError);
    },
  );
});

describe('Task decider: cancel', () => {
  it.each(['QUEUED', 'ASSIGNED', 'RUNNING', 'WAITING_APPROVAL'] as TaskStatus[])(
    'cancels a task in state %s',
    (status) => {
      const events = when(historyFor[status], {
        type: 'CancelTask',
        taskId,
        reason: 'no longer needed',
        cancelledBy: 'bob',
      });
      expect(events).toEqual([
        { type: 'TaskCancelled', data: { taskId, reason: 'no longer needed', cancelledBy: 'bob' } },
      ]);
      expect(given([...historyFor[status], ...events])).toMatchObject({
        status: 'CANCELLED',
        failureReason: 'no longer needed',
      });
    },
  );

  it.each(['SUCCEEDED', 'FAILED', 'CANCELLED'] as TaskStatus[])('refuses a finished task (%s)', (status) => {
    expect(() => when(historyFor[status], { type: 'CancelTask', taskId, reason: '', cancelledBy: 'bob' })).toThrow(
      FailedPreconditionError,
    );
  });
});

describe('Task decider: starting an attempt', () => {
  it('starts attempt 1 of an assigned task on its agent', () => {
    expect(when(historyFor.ASSIGNED, start())).toEqual([
      { type: 'TaskStarted', data: { taskId, runId, attempt: 1, agentId: agentA, runner: 'runtime-2' } },
    ]);
  });

  it('refuses an attempt that is not the next one (the loser of a race)', () => {
    expect(() => when(historyFor.ASSIGNED, start(ready, 2))).toThrow(/next attempt is 1/);
    expect(() => when(historyFor.RUNNING, start())).toThrow(/state RUNNING/);
  });

  it('refuses while the agent is not ACTIVE: the task waits', () => {
    expect(() => when(historyFor.ASSIGNED, start({ ...ready, status: 'PAUSED' }))).toThrow(/PAUSED/);
    expect(() => when(historyFor.ASSIGNED, start({ ...ready, status: 'NONE' }))).toThrow(/unknown/);
  });

  it('refuses when the agent runs as many tasks as it may', () => {
    expect(() => when(historyFor.ASSIGNED, start({ status: 'ACTIVE', running: 4, limit: 4 }))).toThrow(
      /already runs 4 of at most 4/,
    );
  });

  it('starts attempt 2 after attempt 1 was abandoned', () => {
    const history = [...historyFor.RUNNING, abandoned];
    expect(given(history)).toMatchObject({ status: 'ASSIGNED', attempt: 1 });
    expect(when(history, start(ready, 2))[0]).toMatchObject({ data: { runId: `${taskId}-2`, attempt: 2 } });
  });
});

describe('Task decider: a running attempt', () => {
  it("follows its run's record: waiting for an approval, resumed, then ended", () => {
    expect(given(historyFor.WAITING_APPROVAL)).toMatchObject({ status: 'WAITING_APPROVAL', approvalId: 'ap-1' });
    const resumed = [...historyFor.WAITING_APPROVAL, received(true)];
    expect(given(resumed)).toMatchObject({ status: 'RUNNING', approvalId: '' });
    expect(given([...resumed, runSucceeded()])).toMatchObject({ status: 'SUCCEEDED', result: 'refunded' });
    expect(given([...historyFor.WAITING_APPROVAL, received(false), runFailed()])).toMatchObject({
      status: 'FAILED',
      failureReason: 'tool failed',
      failureCode: 'UNAVAILABLE',
    });
  });

  it('ignores the record of a run that is not the current attempt', () => {
    const history = [
      ...historyFor.RUNNING,
      abandoned,
      { ...started, data: { ...started.data, runId: `${taskId}-2`, attempt: 2 } },
    ] as TaskHistoryEvent[];
    for (const late of [awaited, runSucceeded(runId), runFailed(runId)]) {
      expect(given([...history, late])).toMatchObject({ status: 'RUNNING', runId: `${taskId}-2` });
    }
    expect(given([...history, runSucceeded(`${taskId}-2`)])).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('keeps the first ending when the run and routing cross: a late abandonment or cancellation changes nothing', () => {
    const done = [...historyFor.RUNNING, runSucceeded()];
    expect(given([...done, abandoned])).toMatchObject({ status: 'SUCCEEDED' });
    expect(given([...done, { type: 'TaskCancelled', data: { taskId, reason: '', cancelledBy: 'bob' } }])).toMatchObject(
      { status: 'SUCCEEDED' },
    );
    const cancelled = [
      ...historyFor.RUNNING,
      { type: 'TaskCancelled', data: { taskId, reason: 'x', cancelledBy: 'bob' } },
    ];
    expect(given([...(cancelled as TaskHistoryEvent[]), runSucceeded()])).toMatchObject({ status: 'CANCELLED' });
  });

  it('folds a log written before runs were recorded once (task-stream copies of run events) to the same states', () => {
    const legacy: TaskHistoryEvent[] = [
      ...historyFor.RUNNING,
      { type: 'TaskWaitingApproval', data: { taskId, runId, approvalId: 'ap-1', toolId: 'pay' } },
      awaited,
      received(true),
      { type: 'TaskApprovalResolved', data: { taskId, runId, approvalId: 'ap-1', approved: true } },
      runSucceeded(),
      { type: 'TaskSucceeded', data: { taskId, runId, result: 'refunded' } },
    ];
    expect(given(legacy.slice(0, 4))).toMatchObject({ status: 'WAITING_APPROVAL', approvalId: 'ap-1' });
    expect(given(legacy)).toMatchObject({ status: 'SUCCEEDED', result: 'refunded' });
    expect(
      given([...historyFor.RUNNING, { type: 'TaskFailed', data: { taskId, runId, reason: 'x', code: 'INTERNAL' } }]),
    ).toMatchObject({ status: 'FAILED', failureCode: 'INTERNAL' });
  });

  it('abandons the current attempt, which makes the task ASSIGNED again', () => {
    const events = when(historyFor.WAITING_APPROVAL, {
      type: 'AbandonAttempt',
      taskId,
      runId,
      reason: 'lease expired',
    });
    expect(events).toEqual([abandoned]);
    expect(given([...historyFor.WAITING_APPROVAL, ...events])).toMatchObject({ status: 'ASSIGNED', approvalId: '' });
  });

  it.each(ALL.filter((s) => s !== 'RUNNING' && s !== 'WAITING_APPROVAL'))('cannot abandon in state %s', (status) => {
    expect(() => when(historyFor[status], { type: 'AbandonAttempt', taskId, runId, reason: '' })).toThrow(
      FailedPreconditionError,
    );
  });
});

describe('Task decider: does a task need routing again', () => {
  it('routes a queued task, and an assigned one whose agent is retired or gone; nothing else', () => {
    expect(routingNeededFor({ status: 'QUEUED' }, 'NONE')).toBe('agent-available');
    expect(routingNeededFor({ status: 'ASSIGNED' }, 'RETIRED')).toBe('agent-retired');
    expect(routingNeededFor({ status: 'ASSIGNED' }, 'NONE')).toBe('agent-retired');
    expect(routingNeededFor({ status: 'ASSIGNED' }, 'PAUSED')).toBeUndefined();
    expect(routingNeededFor({ status: 'RUNNING' }, 'RETIRED')).toBeUndefined();
  });
});

describe('Task decider: evolve', () => {
  it('refuses an event before TaskSubmitted', () => {
    expect(() => evolve(initialTaskState, routedToA)).toThrow(/before TaskSubmitted/);
  });
});
