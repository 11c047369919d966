import { assertNever } from '@aos/errors';
import type { AgentStatusName } from './agent.events';
import { isRunEventType, type RunEvent } from './run.events';
import type { RoutingDecisionData, TaskEvent, TaskPriorityName } from './task.events';

/**
 * The one state machine of a task, folded from its own stream (`task-*`,
 * routing's: submission, routing, claims, abandonment, cancellation) and its
 * runs' streams (`run-*`, the runtime's: approval awaited and received, the
 * outcome). Each fact is written once, in the stream of the service that
 * knows it, and every follower (routing, the runtime, the gateway's
 * WatchTask) folds both with this function, so they agree.
 *
 * The two streams are written by two services, so their events can cross: a
 * run may succeed while routing abandons its attempt or a person cancels the
 * task. The fold takes the first ending in log order: an event of a run that
 * is not the task's current running attempt changes nothing, and neither does
 * a cancellation or an abandonment after the end.
 *
 * Logs written before runs were recorded once also hold TaskWaitingApproval,
 * TaskApprovalResolved, TaskSucceeded and TaskFailed copies of run events:
 * they fold to the same states.
 */

export type TaskStatus = 'QUEUED' | 'ASSIGNED' | 'RUNNING' | 'WAITING_APPROVAL' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export const TERMINAL_STATUSES: readonly TaskStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];
/** The states in which a task counts towards its agent's queue. */
export const LOADED_STATUSES: readonly TaskStatus[] = ['ASSIGNED', 'RUNNING', 'WAITING_APPROVAL'];
/** The states in which an attempt runs and holds a lease. */
export const RUNNING_STATUSES: readonly TaskStatus[] = ['RUNNING', 'WAITING_APPROVAL'];

export interface ExistingTask {
  status: TaskStatus;
  taskId: string;
  text: string;
  requiredCapabilities: string[];
  /** The agent the submitter asked for (the API's `Task.agent_id`); '' when routing chose. */
  requestedAgentId: string;
  priority: TaskPriorityName;
  submittedBy: string;
  /** The agent it is (or was last) assigned to (the API's `Task.assigned_agent_id`); '' while never assigned. */
  assignedAgentId: string;
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

export type TaskAggregateState = { status: 'NONE' } | ExistingTask;
export const initialTaskState: TaskAggregateState = { status: 'NONE' };

/** The events a task is folded from: its own stream's and its runs'. */
export type TaskHistoryEvent = TaskEvent | RunEvent;

export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** Whether an agent in this state may be given tasks: an ACTIVE one runs them, a PAUSED one keeps them waiting. */
export function mayBeGivenTasks(status: AgentStatusName): boolean {
  return status === 'ACTIVE' || status === 'PAUSED';
}

/** `run-<runId>`; a run id is `<taskId>-<attempt>`. */
export function runIdOf(taskId: string, attempt: number): string {
  return `${taskId}-${attempt}`;
}

/** The task a run id (`<taskId>-<attempt>`) belongs to, undefined when it is not one. */
export function taskIdOfRun(runId: string): string | undefined {
  const match = /^(.+)-(\d+)$/.exec(runId);
  return match ? match[1] : undefined;
}

export function evolveTask(state: TaskAggregateState, event: TaskHistoryEvent): TaskAggregateState {
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
      assignedAgentId: '',
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
  if (state.status === 'NONE') {
    // A run's events may be seen before its task's (a follower of run-* only), never change a task that is not there.
    if (isRunEvent(event)) return state;
    throw new Error(`${event.type} for task ${event.data.taskId} before TaskSubmitted`);
  }
  return isRunEvent(event) ? evolveByRun(state, event) : evolveByTask(state, event);
}

function evolveByTask(state: ExistingTask, event: Exclude<TaskEvent, { type: 'TaskSubmitted' }>): ExistingTask {
  switch (event.type) {
    case 'TaskRouted':
      return { ...state, status: 'ASSIGNED', assignedAgentId: event.data.agentId, decision: event.data.decision };
    case 'TaskQueued':
      return { ...state, status: 'QUEUED', assignedAgentId: '', decision: event.data.decision };
    case 'TaskReassigned':
      return { ...state, status: 'ASSIGNED', assignedAgentId: event.data.toAgentId, decision: event.data.decision };
    case 'TaskStarted':
      return {
        ...state,
        status: 'RUNNING',
        attempt: event.data.attempt,
        runId: event.data.runId,
        runner: event.data.runner,
        assignedAgentId: event.data.agentId,
        approvalId: '',
      };
    case 'TaskAttemptAbandoned':
      return runs(state, event.data.runId) ? { ...state, status: 'ASSIGNED', approvalId: '' } : state;
    case 'TaskCancelled':
      if (isTerminal(state.status)) return state;
      return {
        ...state,
        status: 'CANCELLED',
        failureReason: event.data.reason,
        failureCode: 'CANCELLED',
        approvalId: '',
      };
    // Copies of run events in logs written before runs were recorded once.
    case 'TaskWaitingApproval':
      return awaiting(state, event.data.runId, event.data.approvalId);
    case 'TaskApprovalResolved':
      return resumed(state, event.data.runId);
    case 'TaskSucceeded':
      return succeeded(state, event.data.runId, event.data.result);
    case 'TaskFailed':
      // A failure before any run (empty runId) ended the task too.
      if (event.data.runId === '' && !isTerminal(state.status))
        return failed(state, event.data.reason, event.data.code);
      return runs(state, event.data.runId) ? failed(state, event.data.reason, event.data.code) : state;
    default:
      return assertNever(event);
  }
}

function evolveByRun(state: ExistingTask, event: RunEvent): ExistingTask {
  switch (event.type) {
    case 'ApprovalAwaited':
      return awaiting(state, event.data.runId, event.data.approvalId);
    case 'ApprovalReceived':
      return resumed(state, event.data.runId);
    case 'RunSucceeded':
      return succeeded(state, event.data.runId, event.data.result);
    case 'RunFailed':
      return runs(state, event.data.runId) ? failed(state, event.data.reason, event.data.code) : state;
    // The start is routing's TaskStarted; what the run does between start and end does not move the task;
    // a stopped run leaves the attempt to its lease or its release (TaskAttemptAbandoned).
    case 'RunStarted':
    case 'ModelCalled':
    case 'ToolCalled':
    case 'StepReported':
    case 'UsageCharged':
    case 'KnowledgeSearched':
    case 'RunStopped':
      return state;
    // A principal's direct tool call: in a run-direct_* stream of no task.
    case 'DirectToolCalled':
      return state;
    default:
      return assertNever(event);
  }
}

/** Whether `runId` is the task's current attempt and it is running. */
function runs(state: ExistingTask, runId: string): boolean {
  return runId === state.runId && state.runId !== '' && RUNNING_STATUSES.includes(state.status);
}

function awaiting(state: ExistingTask, runId: string, approvalId: string): ExistingTask {
  return runs(state, runId) ? { ...state, status: 'WAITING_APPROVAL', approvalId } : state;
}

function resumed(state: ExistingTask, runId: string): ExistingTask {
  return runs(state, runId) ? { ...state, status: 'RUNNING', approvalId: '' } : state;
}

function succeeded(state: ExistingTask, runId: string, result: string): ExistingTask {
  return runs(state, runId) ? { ...state, status: 'SUCCEEDED', result, approvalId: '' } : state;
}

function failed(state: ExistingTask, reason: string, code: string): ExistingTask {
  return { ...state, status: 'FAILED', failureReason: reason, failureCode: code, approvalId: '' };
}

function isRunEvent(event: TaskHistoryEvent): event is RunEvent {
  return isRunEventType(event.type);
}
