import type { TaskHistoryEvent } from '@aos/contracts';

/**
 * The events of one task's life as routing and the runtime record them, for
 * the unit tests of the folds that follow tasks (evolveTask's followers): a
 * task submitted and routed to `agentId`, its attempts started, abandoned or
 * cancelled. Run ids are `<taskId>-<attempt>`, as the runtime's.
 */
export function taskHistory(taskId: string, agentId: string, runner = 'r') {
  const decision = { router: 'lexical' as const, chosenAgentId: agentId, candidates: [], rationale: '' };
  const submitted: TaskHistoryEvent = {
    type: 'TaskSubmitted',
    data: {
      taskId,
      text: 'refund order 7',
      requiredCapabilities: [],
      requestedAgentId: '',
      priority: 'NORMAL',
      submittedBy: 'user:u',
    },
  };
  const routed: TaskHistoryEvent = { type: 'TaskRouted', data: { taskId, agentId, cause: 'submitted', decision } };
  return {
    submitted,
    routed,
    started: (attempt: number): TaskHistoryEvent => ({
      type: 'TaskStarted',
      data: { taskId, runId: `${taskId}-${attempt}`, attempt, agentId, runner },
    }),
    abandoned: (attempt: number, reason = 'lease expired'): TaskHistoryEvent => ({
      type: 'TaskAttemptAbandoned',
      data: { taskId, runId: `${taskId}-${attempt}`, attempt, runner, reason },
    }),
    cancelled: (reason: string): TaskHistoryEvent => ({
      type: 'TaskCancelled',
      data: { taskId, reason, cancelledBy: 'user:u' },
    }),
  };
}
