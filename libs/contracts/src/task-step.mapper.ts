import type { TaskStep } from './gen/aos/v1/task';
import type { RecordedEventLike } from './event.mapper';
import { RUN_CATEGORY, TASK_CATEGORY, taskIdOfRun } from '@aos/domain';
import { toTimestamp } from './timestamps';

/** A recorded event as a step needs it: any store's RecordedEvent fits. */
export type StepEventLike = Pick<RecordedEventLike, 'type' | 'time' | 'position' | 'data'> & {
  category: string;
  streamId: string;
};

const MAX_SUMMARY = 200;

/**
 * One event of a task's stream or of one of its runs' streams as a TaskStep:
 * the same function serves GetTask.steps (routing) and WatchTask (gateway), so
 * both show a task's history alike. Tolerant of data it does not know (a newer
 * event type, a field missing): the step then says only what it can.
 */
export function toTaskStep(e: StepEventLike): TaskStep {
  const data = (e.data && typeof e.data === 'object' ? e.data : {}) as Record<string, unknown>;
  return {
    type: e.type,
    time: toTimestamp(e.time),
    position: e.position,
    runId: e.category === RUN_CATEGORY ? e.streamId : '',
    summary: oneLine(summaryOf(e.type, data)),
    dataJson: JSON.stringify(e.data ?? null),
  };
}

/** Whether the event belongs to the task: its own stream, or a run stream `run-<taskId>-<attempt>`. */
export function isStepOfTask(e: Pick<StepEventLike, 'category' | 'streamId'>, taskId: string): boolean {
  if (e.category === TASK_CATEGORY) return e.streamId === taskId;
  return e.category === RUN_CATEGORY && taskIdOfRun(e.streamId) === taskId;
}

function summaryOf(type: string, d: Record<string, unknown>): string {
  const s = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : '');
  const n = (k: string) => (typeof d[k] === 'number' ? (d[k] as number) : 0);
  const decision = (d.decision && typeof d.decision === 'object' ? d.decision : {}) as Record<string, unknown>;
  const rationale = typeof decision.rationale === 'string' ? decision.rationale : '';
  switch (type) {
    case 'TaskSubmitted': {
      const caps = Array.isArray(d.requiredCapabilities) ? (d.requiredCapabilities as string[]) : [];
      return `submitted by ${s('submittedBy')}${caps.length ? ` needing [${caps.join(', ')}]` : ''}${s('requestedAgentId') ? ` for agent ${s('requestedAgentId')}` : ''}: ${s('text')}`;
    }
    case 'TaskRouted':
      return `routed to agent ${s('agentId')} (${s('cause')}): ${rationale}`;
    case 'TaskQueued':
      return `queued (${s('cause')}): ${s('reason')}`;
    case 'TaskReassigned':
      return `reassigned by ${s('reassignedBy')} from ${s('fromAgentId') || 'the queue'} to agent ${s('toAgentId')}${s('reason') ? `: ${s('reason')}` : ''}`;
    case 'TaskStarted':
      return `attempt ${n('attempt')} started by ${s('runner')} on agent ${s('agentId')}`;
    case 'TaskAttemptAbandoned':
      return `attempt ${n('attempt')} abandoned: ${s('reason')}`;
    case 'TaskWaitingApproval':
      return `waiting for approval ${s('approvalId')} of tool ${s('toolId')}`;
    case 'TaskApprovalResolved':
      return `approval ${s('approvalId')} ${d.approved === true ? 'granted' : 'rejected'}`;
    case 'TaskSucceeded':
      return `succeeded: ${s('result')}`;
    case 'TaskFailed':
      return `failed${s('code') ? ` (${s('code')})` : ''}: ${s('reason')}`;
    case 'TaskCancelled':
      return `cancelled by ${s('cancelledBy')}${s('reason') ? `: ${s('reason')}` : ''}`;
    case 'RunStarted':
      return `run started on ${s('runner')}${s('model') ? ` with model ${s('model')}` : ''}${s('previousRunId') ? ` after ${s('previousRunId')}` : ''}`;
    case 'ModelCalled': {
      const calls = Array.isArray(d.toolCalls) ? (d.toolCalls as { name?: string }[]).map((c) => c?.name ?? '') : [];
      const what = s('decision') === 'tool_calls' ? `calls ${calls.join(', ')}` : `answers: ${s('content')}`;
      return `model ${s('model')} turn ${n('turn')} (${n('totalTokens')} tokens): ${what}`;
    }
    case 'ToolCalled':
      return `tool ${s('toolName')}: ${s('decision')}, ${s('outcome')}${s('error') ? ` (${s('error')})` : ''}`;
    case 'KnowledgeSearched': {
      const found = Array.isArray(d.citations) ? d.citations.length : 0;
      const kbs = Array.isArray(d.knowledgeBaseIds) ? (d.knowledgeBaseIds as string[]) : [];
      const outcome = s('error') ? `${s('decision')} (${s('error')})` : `${found} citation${found === 1 ? '' : 's'}`;
      return `knowledge search ${JSON.stringify(s('query'))} in [${kbs.join(', ')}]: ${outcome}`;
    }
    case 'DirectToolCalled':
      return `tool ${s('toolName')} called directly by ${s('principal')}: ${s('decision')}, ${s('outcome')}${s('error') ? ` (${s('error')})` : ''}`;
    case 'ApprovalAwaited':
      return `awaiting approval ${s('approvalId')} for tool ${s('toolId')}`;
    case 'ApprovalReceived':
      return `approval ${s('approvalId')} ${d.approved === true ? 'granted' : 'rejected'} by ${s('decidedBy')}${s('reason') ? `: ${s('reason')}` : ''}`;
    case 'StepReported':
      return s('summary');
    case 'UsageCharged':
      // A priced tool call's charge names the call; a model call's its tokens.
      return s('callId')
        ? `charged ${n('costMicros')} micros for tool call ${s('callId')}`
        : `charged ${n('tokens')} tokens, ${n('costMicros')} micros`;
    case 'RunSucceeded':
      return `run succeeded: ${s('result')}`;
    case 'RunFailed':
      return `run failed${s('code') ? ` (${s('code')})` : ''}: ${s('reason')}`;
    case 'RunStopped':
      return `run stopped: ${s('reason')}`;
    default:
      return type;
  }
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_SUMMARY ? `${flat.slice(0, MAX_SUMMARY - 1)}…` : flat;
}
