import {
  runIdOf,
  type RoutingCauseSchema,
  type RoutingDecisionData,
  type TaskEvent,
  type TaskPriorityName,
} from '@aos/domain';
import { assertNever, AlreadyExistsError, FailedPreconditionError, NotFoundError } from '@aos/errors';
import type { z } from 'zod';

/**
 * The Task aggregate as a pure decider. Routing decisions are taken outside
 * (they need the tenant's agents and the router) and arrive in the command, as
 * do the agent's readiness for a start; the decider only checks that the task
 * may make the move and says which events record it.
 */

export type TaskStatus = 'QUEUED' | 'ASSIGNED' | 'RUNNING' | 'WAITING_APPROVAL' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export const TERMINAL_STATUSES: readonly TaskStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];
/** The states in which a task counts towards its agent's queue. */
export const LOADED_STATUSES: readonly TaskStatus[] = ['ASSIGNED', 'RUNNING', 'WAITING_APPROVAL'];
/** The states in which an attempt holds a lease. */
export const RUNNING_STATUSES: readonly TaskStatus[] = ['RUNNING', 'WAITING_APPROVAL'];

export type RoutingCause = z.infer<typeof RoutingCauseSchema>;

export interface ExistingTask {
  status: TaskStatus;
  taskId: string;
  text: string;
  requiredCapabilities: string[];
  requestedAgentId: string;
  priority: TaskPriorityName;
  submittedBy: string;
  /** The agent it is (or was last) assigned to; '' while never assigned. */
  agentId: string;
  decision: RoutingDecisionData;
  /** The attempt that runs or ran last; 0 before the first start. */
  attempt: number;
  /** The current (or last) attempt's run id; '' before the first start. */
  runId: string;
  runner: string;
  /** Set while WAITING_APPROVAL. */
  approvalId: string;
  result: string;
  failureReason: string;
  failureCode: string;
}

export type TaskState = { status: 'NONE' } | ExistingTask;
export const initialTaskState: TaskState = { status: 'NONE' };

/** Where routing sent the task: an agent, or nowhere (QUEUED), and why. */
export interface RoutingOutcome {
  /** Undefined: no eligible agent, the task is (or stays) QUEUED. */
  agentId: string | undefined;
  decision: RoutingDecisionData;
  cause: RoutingCause;
}

export type SubmitTask = {
  type: 'SubmitTask';
  taskId: string;
  text: string;
  requiredCapabilities: string[];
  requestedAgentId: string;
  priority: TaskPriorityName;
  submittedBy: string;
  routing: RoutingOutcome;
};
/** Routes a QUEUED task again, or an ASSIGNED one whose agent went away. */
export type RouteTask = { type: 'RouteTask'; taskId: string; routing: RoutingOutcome };
export type ReassignTask = {
  type: 'ReassignTask';
  taskId: string;
  toAgentId: string;
  reason: string;
  reassignedBy: string;
  decision: RoutingDecisionData;
};
export type CancelTask = { type: 'CancelTask'; taskId: string; reason: string; cancelledBy: string };
/** What routing knows of the assigned agent when a runner asks to start. */
export interface AgentReadiness {
  /** The agent's lifecycle state, NONE when unknown. */
  status: 'NONE' | 'DRAFT' | 'ACTIVE' | 'PAUSED' | 'RETIRED';
  /** Its tasks RUNNING or WAITING_APPROVAL right now. */
  running: number;
  /** How many it may run at once. */
  limit: number;
}
export type StartRun = {
  type: 'StartRun';
  taskId: string;
  attempt: number;
  runner: string;
  agent: AgentReadiness;
};
export type AbandonAttempt = { type: 'AbandonAttempt'; taskId: string; runId: string; reason: string };
export type AwaitApproval = {
  type: 'AwaitApproval';
  taskId: string;
  runId: string;
  approvalId: string;
  toolId: string;
};
export type ResolveApproval = {
  type: 'ResolveApproval';
  taskId: string;
  runId: string;
  approvalId: string;
  approved: boolean;
};
export type FinishRun = {
  type: 'FinishRun';
  taskId: string;
  runId: string;
  outcome: 'SUCCEEDED' | 'FAILED';
  result: string;
  reason: string;
  code: string;
};

export type TaskCommand =
  | SubmitTask
  | RouteTask
  | ReassignTask
  | CancelTask
  | StartRun
  | AbandonAttempt
  | AwaitApproval
  | ResolveApproval
  | FinishRun;

/** Returns the events a command causes; throws the typed error that says why it may not happen. */
export function decide(command: TaskCommand, state: TaskState): TaskEvent[] {
  if (command.type === 'SubmitTask') return decideSubmit(command, state);
  if (state.status === 'NONE') throw new NotFoundError('task', command.taskId);
  switch (command.type) {
    case 'RouteTask':
      return decideRoute(command, state);
    case 'ReassignTask':
      return decideReassign(command, state);
    case 'CancelTask':
      if (TERMINAL_STATUSES.includes(state.status)) {
        throw new FailedPreconditionError(`cannot cancel task in state ${state.status}`);
      }
      return [
        {
          type: 'TaskCancelled',
          data: { taskId: state.taskId, reason: command.reason, cancelledBy: command.cancelledBy },
        },
      ];
    case 'StartRun':
      return decideStart(command, state);
    case 'AbandonAttempt':
      requireCurrentRun(state, command.runId, RUNNING_STATUSES, 'abandon');
      return [
        {
          type: 'TaskAttemptAbandoned',
          data: {
            taskId: state.taskId,
            runId: state.runId,
            attempt: state.attempt,
            runner: state.runner,
            reason: command.reason,
          },
        },
      ];
    case 'AwaitApproval':
      requireCurrentRun(state, command.runId, ['RUNNING'], 'await an approval for');
      return [
        {
          type: 'TaskWaitingApproval',
          data: { taskId: state.taskId, runId: state.runId, approvalId: command.approvalId, toolId: command.toolId },
        },
      ];
    case 'ResolveApproval':
      requireCurrentRun(state, command.runId, ['WAITING_APPROVAL'], 'resolve an approval of');
      if (command.approvalId !== state.approvalId) {
        throw new FailedPreconditionError(
          `task ${state.taskId} waits for approval ${state.approvalId}, not ${command.approvalId}`,
        );
      }
      return [
        {
          type: 'TaskApprovalResolved',
          data: {
            taskId: state.taskId,
            runId: state.runId,
            approvalId: command.approvalId,
            approved: command.approved,
          },
        },
      ];
    case 'FinishRun':
      requireCurrentRun(state, command.runId, RUNNING_STATUSES, 'finish');
      return command.outcome === 'SUCCEEDED'
        ? [{ type: 'TaskSucceeded', data: { taskId: state.taskId, runId: state.runId, result: command.result } }]
        : [
            {
              type: 'TaskFailed',
              data: { taskId: state.taskId, runId: state.runId, reason: command.reason, code: command.code },
            },
          ];
    default:
      return assertNever(command);
  }
}

function decideSubmit(command: SubmitTask, state: TaskState): TaskEvent[] {
  if (state.status !== 'NONE') throw new AlreadyExistsError('task', 'id', command.taskId);
  const { taskId, text, requiredCapabilities, requestedAgentId, priority, submittedBy, routing } = command;
  return [
    { type: 'TaskSubmitted', data: { taskId, text, requiredCapabilities, requestedAgentId, priority, submittedBy } },
    routed(taskId, routing),
  ];
}

/**
 * A QUEUED task that still finds no agent records nothing (it stays queued); an
 * ASSIGNED one whose agent went away and finds none goes back to QUEUED.
 */
function decideRoute(command: RouteTask, state: ExistingTask): TaskEvent[] {
  if (state.status !== 'QUEUED' && state.status !== 'ASSIGNED') {
    throw new FailedPreconditionError(`cannot route task in state ${state.status}`);
  }
  const { agentId } = command.routing;
  if (agentId === undefined && state.status === 'QUEUED') return [];
  if (agentId !== undefined && state.status === 'ASSIGNED' && agentId === state.agentId) return [];
  return [routed(state.taskId, command.routing)];
}

function decideReassign(command: ReassignTask, state: ExistingTask): TaskEvent[] {
  if (state.status !== 'QUEUED' && state.status !== 'ASSIGNED') {
    throw new FailedPreconditionError(
      `cannot reassign task in state ${state.status}: only QUEUED or ASSIGNED tasks can`,
    );
  }
  if (state.status === 'ASSIGNED' && state.agentId === command.toAgentId) {
    throw new FailedPreconditionError(`task ${state.taskId} is already assigned to agent ${command.toAgentId}`);
  }
  return [
    {
      type: 'TaskReassigned',
      data: {
        taskId: state.taskId,
        fromAgentId: state.status === 'ASSIGNED' ? state.agentId : '',
        toAgentId: command.toAgentId,
        reason: command.reason,
        reassignedBy: command.reassignedBy,
        decision: command.decision,
      },
    },
  ];
}

function decideStart(command: StartRun, state: ExistingTask): TaskEvent[] {
  if (state.status !== 'ASSIGNED') throw new FailedPreconditionError(`cannot start task in state ${state.status}`);
  if (command.attempt !== state.attempt + 1) {
    throw new FailedPreconditionError(
      `attempt ${command.attempt} of task ${state.taskId} cannot start: the next attempt is ${state.attempt + 1}`,
    );
  }
  const { agent } = command;
  if (agent.status !== 'ACTIVE') {
    throw new FailedPreconditionError(
      `agent ${state.agentId} is ${agent.status === 'NONE' ? 'unknown' : agent.status}: its tasks wait until it is ACTIVE`,
    );
  }
  if (agent.running >= agent.limit) {
    throw new FailedPreconditionError(
      `agent ${state.agentId} already runs ${agent.running} of at most ${agent.limit} tasks at once`,
    );
  }
  return [
    {
      type: 'TaskStarted',
      data: {
        taskId: state.taskId,
        runId: runIdOf(state.taskId, command.attempt),
        attempt: command.attempt,
        agentId: state.agentId,
        runner: command.runner,
      },
    },
  ];
}

function routed(taskId: string, routing: RoutingOutcome): TaskEvent {
  if (routing.agentId === undefined) {
    return {
      type: 'TaskQueued',
      data: { taskId, cause: routing.cause, reason: routing.decision.rationale, decision: routing.decision },
    };
  }
  return {
    type: 'TaskRouted',
    data: { taskId, agentId: routing.agentId, cause: routing.cause, decision: routing.decision },
  };
}

function requireCurrentRun(state: ExistingTask, runId: string, allowed: readonly TaskStatus[], verb: string): void {
  if (runId !== state.runId || state.runId === '') {
    throw new FailedPreconditionError(
      `run ${runId} is not the current attempt of task ${state.taskId}${state.runId ? ` (that is ${state.runId})` : ''}`,
    );
  }
  if (!allowed.includes(state.status)) {
    throw new FailedPreconditionError(`cannot ${verb} task in state ${state.status}`);
  }
}

export function evolve(state: TaskState, event: TaskEvent): TaskState {
  if (event.type === 'TaskSubmitted') {
    const d = event.data;
    return {
      status: 'QUEUED',
      taskId: d.taskId,
      text: d.text,
      requiredCapabilities: d.requiredCapabilities,
      requestedAgentId: d.requestedAgentId,
      priority: d.priority,
      submittedBy: d.submittedBy,
      agentId: '',
      decision: { router: 'lexical', chosenAgentId: '', candidates: [], rationale: '' },
      attempt: 0,
      runId: '',
      runner: '',
      approvalId: '',
      result: '',
      failureReason: '',
      failureCode: '',
    };
  }
  if (state.status === 'NONE') throw new Error(`${event.type} for task ${event.data.taskId} before TaskSubmitted`);
  switch (event.type) {
    case 'TaskRouted':
      return { ...state, status: 'ASSIGNED', agentId: event.data.agentId, decision: event.data.decision };
    case 'TaskQueued':
      return { ...state, status: 'QUEUED', agentId: '', decision: event.data.decision };
    case 'TaskReassigned':
      return { ...state, status: 'ASSIGNED', agentId: event.data.toAgentId, decision: event.data.decision };
    case 'TaskStarted':
      return {
        ...state,
        status: 'RUNNING',
        attempt: event.data.attempt,
        runId: event.data.runId,
        runner: event.data.runner,
        agentId: event.data.agentId,
      };
    case 'TaskAttemptAbandoned':
      return { ...state, status: 'ASSIGNED', approvalId: '' };
    case 'TaskWaitingApproval':
      return { ...state, status: 'WAITING_APPROVAL', approvalId: event.data.approvalId };
    case 'TaskApprovalResolved':
      return { ...state, status: 'RUNNING', approvalId: '' };
    case 'TaskSucceeded':
      return { ...state, status: 'SUCCEEDED', result: event.data.result, approvalId: '' };
    case 'TaskFailed':
      return {
        ...state,
        status: 'FAILED',
        failureReason: event.data.reason,
        failureCode: event.data.code,
        approvalId: '',
      };
    case 'TaskCancelled':
      return {
        ...state,
        status: 'CANCELLED',
        failureReason: event.data.reason,
        failureCode: 'CANCELLED',
        approvalId: '',
      };
    default:
      return assertNever(event);
  }
}
