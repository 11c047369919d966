import { assertNever } from '@aos/errors';
import {
  evolveAgentSnapshot,
  type AgentSnapshot,
  type TaskEvent,
  type ToolEvent,
  type ToolRegistered,
} from '@aos/contracts';

/**
 * What the runtime needs to know of tasks, agents and tools, as pure
 * evolve functions over their events (the owners' deciders live in other
 * services; the runtime only follows their streams).
 */

export type TaskStateName =
  'QUEUED' | 'ASSIGNED' | 'RUNNING' | 'WAITING_APPROVAL' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface TaskView {
  taskId: string;
  text: string;
  state: TaskStateName;
  /** The assigned agent ('' while QUEUED without one). */
  agentId: string;
  /** The latest attempt started (0 before the first). */
  attempt: number;
  /** The run of the latest attempt ('' before the first). */
  runId: string;
  /** The runner of the latest attempt. */
  runner: string;
}

export function evolveTask(task: TaskView | undefined, event: TaskEvent): TaskView {
  if (event.type === 'TaskSubmitted') {
    const { taskId, text, requestedAgentId } = event.data;
    return { taskId, text, state: 'QUEUED', agentId: requestedAgentId, attempt: 0, runId: '', runner: '' };
  }
  if (!task) throw new Error(`${event.type} before TaskSubmitted`);
  switch (event.type) {
    case 'TaskRouted':
      return { ...task, state: 'ASSIGNED', agentId: event.data.agentId };
    case 'TaskQueued':
      return { ...task, state: 'QUEUED' };
    case 'TaskReassigned':
      return { ...task, state: 'ASSIGNED', agentId: event.data.toAgentId };
    case 'TaskStarted': {
      const { attempt, runId, agentId, runner } = event.data;
      return { ...task, state: 'RUNNING', attempt, runId, agentId, runner };
    }
    case 'TaskAttemptAbandoned':
      return { ...task, state: 'ASSIGNED' };
    case 'TaskWaitingApproval':
      return { ...task, state: 'WAITING_APPROVAL' };
    case 'TaskApprovalResolved':
      // A rejection is followed by TaskFailed; until then the attempt runs on.
      return { ...task, state: 'RUNNING' };
    case 'TaskSucceeded':
      return { ...task, state: 'SUCCEEDED' };
    case 'TaskFailed':
      return { ...task, state: 'FAILED' };
    case 'TaskCancelled':
      return { ...task, state: 'CANCELLED' };
    default:
      return assertNever(event);
  }
}

/** An agent as the runtime sees it: the agent-* stream's fold (libs/contracts). */
export type AgentView = AgentSnapshot;
export const evolveAgent = evolveAgentSnapshot;

export interface ToolView {
  definition: ToolRegistered;
  enabled: boolean;
}

/** The tools an event registers or changes, as they are after it. */
export function evolveTools(tools: ReadonlyMap<string, ToolView>, event: ToolEvent): ToolView[] {
  switch (event.type) {
    case 'ToolRegistered':
      return [{ definition: event.data, enabled: true }];
    case 'McpServerRegistered':
      return event.data.tools.map((definition) => ({ definition, enabled: true }));
    case 'ToolDisabled': {
      const tool = tools.get(event.data.toolId);
      return tool ? [{ ...tool, enabled: false }] : [];
    }
    default:
      return assertNever(event);
  }
}

/** The label that keeps an agent away from the built-in runtime: an attached external process runs it. */
export const RUNTIME_LABEL = 'aos.runtime';
export const EXTERNAL_RUNTIME = 'external';

/**
 * Whether this task's next attempt may start now: by the built-in runtime, or
 * (`external`) by an attached session of its external agent.
 */
export function isRunnable(task: TaskView, agent: AgentView | undefined, external = false): boolean {
  return (
    task.state === 'ASSIGNED' &&
    agent !== undefined &&
    agent.agentId === task.agentId &&
    agent.status === 'ACTIVE' &&
    (agent.definition.labels[RUNTIME_LABEL] === EXTERNAL_RUNTIME) === external
  );
}
