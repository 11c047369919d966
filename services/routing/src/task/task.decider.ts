import {
  evolveTask,
  initialTaskState,
  mayBeGivenTasks,
  RUNNING_STATUSES,
  runIdOf,
  TERMINAL_STATUSES,
  type AgentStatusName,
  type ExistingTask,
  type RoutingCauseSchema,
  type RoutingDecisionData,
  type TaskAggregateState,
  type TaskEvent,
  type TaskHistoryEvent,
  type TaskPriorityName,
  type TaskStatus,
} from '@aos/domain';
import { assertNever, AlreadyExistsError, FailedPreconditionError, NotFoundError } from '@aos/errors';
import type { z } from 'zod';

/**
 * The Task aggregate as a pure decider: the commands of the task's owner
 * (routing) against the one task state machine (evolveTask in @aos/domain,
 * folded from the task's stream and its runs'). Routing decisions are taken
 * outside (they need the tenant's agents and the router) and arrive in the
 * command, as do the facts a rule needs: the state of the agent a task names
 * or is given, the agent's readiness for a start. A run's own steps (approval,
 * outcome) are the runtime's to record in its run stream; they are not
 * commands here.
 */

export { initialTaskState, RUNNING_STATUSES, TERMINAL_STATUSES };
export type { ExistingTask, TaskStatus };
export type TaskState = TaskAggregateState;

export type RoutingCause = z.infer<typeof RoutingCauseSchema>;

/** An agent's lifecycle state as a rule needs it: NONE when the tenant has no such agent. */
export type AgentStatusFact = AgentStatusName | 'NONE';

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
  /** The state of the requested agent now (ignored when none is requested). */
  requestedAgentStatus: AgentStatusFact;
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
  /** The state of the agent it goes to now. */
  toAgentStatus: AgentStatusFact;
  reason: string;
  reassignedBy: string;
  decision: RoutingDecisionData;
};
export type CancelTask = { type: 'CancelTask'; taskId: string; reason: string; cancelledBy: string };
/** What routing knows of the assigned agent when a runner asks to start. */
export interface AgentReadiness {
  /** The agent's lifecycle state, NONE when unknown. */
  status: AgentStatusFact;
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
export type TaskCommand = SubmitTask | RouteTask | ReassignTask | CancelTask | StartRun | AbandonAttempt;

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
    default:
      return assertNever(command);
  }
}

function decideSubmit(command: SubmitTask, state: TaskState): TaskEvent[] {
  if (state.status !== 'NONE') throw new AlreadyExistsError('task', 'id', command.taskId);
  if (command.requestedAgentId) requireNameable(command.requestedAgentId, command.requestedAgentStatus);
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
  if (agentId !== undefined && state.status === 'ASSIGNED' && agentId === state.assignedAgentId) return [];
  return [routed(state.taskId, command.routing)];
}

function decideReassign(command: ReassignTask, state: ExistingTask): TaskEvent[] {
  if (command.toAgentStatus === 'NONE') throw new NotFoundError('agent', command.toAgentId);
  if (!mayBeGivenTasks(command.toAgentStatus)) {
    throw new FailedPreconditionError(
      `cannot reassign to agent ${command.toAgentId} in state ${command.toAgentStatus}`,
    );
  }
  if (state.status !== 'QUEUED' && state.status !== 'ASSIGNED') {
    throw new FailedPreconditionError(
      `cannot reassign task in state ${state.status}: only QUEUED or ASSIGNED tasks can`,
    );
  }
  if (state.status === 'ASSIGNED' && state.assignedAgentId === command.toAgentId) {
    throw new FailedPreconditionError(`task ${state.taskId} is already assigned to agent ${command.toAgentId}`);
  }
  return [
    {
      type: 'TaskReassigned',
      data: {
        taskId: state.taskId,
        fromAgentId: state.status === 'ASSIGNED' ? state.assignedAgentId : '',
        toAgentId: command.toAgentId,
        reason: command.reason,
        reassignedBy: command.reassignedBy,
        decision: command.decision,
      },
    },
  ];
}

/**
 * A task may name only an agent that may be given tasks (ACTIVE, or PAUSED:
 * the task then waits). Exported so that the handler can refuse before it
 * spends a routing decision (maybe a model call) on a request decide refuses.
 */
export function requireNameable(agentId: string, status: AgentStatusFact): void {
  if (status === 'NONE') throw new NotFoundError('agent', agentId);
  if (!mayBeGivenTasks(status)) {
    throw new FailedPreconditionError(`agent ${agentId} is ${status}: a task may name only an ACTIVE or PAUSED agent`);
  }
}

/**
 * Why a task must be routed again, or undefined when it need not: a QUEUED
 * one whenever an agent may be available, an ASSIGNED one whose agent is
 * RETIRED or gone (its status NONE). The reconciliation routes by it and the
 * reactions schedule by it.
 */
export function routingNeededFor(
  task: Pick<ExistingTask, 'status'>,
  assignedAgentStatus: AgentStatusFact,
): 'agent-available' | 'agent-retired' | undefined {
  if (task.status === 'QUEUED') return 'agent-available';
  if (task.status !== 'ASSIGNED') return undefined;
  return assignedAgentStatus === 'NONE' || assignedAgentStatus === 'RETIRED' ? 'agent-retired' : undefined;
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
      `agent ${state.assignedAgentId} is ${agent.status === 'NONE' ? 'unknown' : agent.status}: its tasks wait until it is ACTIVE`,
    );
  }
  if (agent.running >= agent.limit) {
    throw new FailedPreconditionError(
      `agent ${state.assignedAgentId} already runs ${agent.running} of at most ${agent.limit} tasks at once`,
    );
  }
  return [
    {
      type: 'TaskStarted',
      data: {
        taskId: state.taskId,
        runId: runIdOf(state.taskId, command.attempt),
        attempt: command.attempt,
        agentId: state.assignedAgentId,
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

/** The one task state machine (see evolveTask): the task's own events and its runs'. */
export function evolve(state: TaskState, event: TaskHistoryEvent): TaskState {
  return evolveTask(state, event);
}
