import { evolveAgentSnapshot, type AgentSnapshot, type ExistingTask } from '@aos/contracts';

/**
 * What the runtime needs to know of tasks, agents and tools: the owners'
 * folds of their streams (the runtime only follows them), and which task its
 * runners may start.
 */

/** A task as the one task fold (evolveTask, over its stream and its runs') makes it. */
export type TaskView = ExistingTask;

/** An agent as the runtime sees it: the agent-* stream's fold (libs/contracts). */
export type AgentView = AgentSnapshot;
export const evolveAgent = evolveAgentSnapshot;

/** A tool as the tool-* streams' shared fold makes it (libs/domain). */
export { evolveTools, type ToolView } from '@aos/contracts';

/** The label that keeps an agent away from the built-in runtime: an attached external process runs it. */
export const RUNTIME_LABEL = 'aos.runtime';
export const EXTERNAL_RUNTIME = 'external';

/**
 * Whether this task's next attempt may start now: by the built-in runtime, or
 * (`external`) by an attached session of its external agent.
 */
export function isRunnable(task: TaskView, agent: AgentView | undefined, external = false): boolean {
  return (
    task.status === 'ASSIGNED' &&
    agent !== undefined &&
    agent.agentId === task.assignedAgentId &&
    agent.status === 'ACTIVE' &&
    (agent.definition.labels[RUNTIME_LABEL] === EXTERNAL_RUNTIME) === external
  );
}
