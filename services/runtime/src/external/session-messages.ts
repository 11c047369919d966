import type { Attach, StepReport, TaskOutcome, ToolCallRequest } from '@aos/contracts';
import { InvalidArgumentError } from '@aos/errors';
import { charLength, validateId, validateText } from '@aos/request-fields';

/**
 * Checks of what an external agent process sends on its stream. Each error
 * names the proto field (`tool_call.call_id`); the session answers it with a
 * RuntimeNotice and the stream stays open (only a bad `attach` ends it).
 */

export const MAX_CONCURRENT_TASKS = 64;
export const CALL_ID_MAX = 128;
export const TOOL_NAME_MAX = 64;
export const ARGUMENTS_MAX = 64 * 1024;
export const SUMMARY_MAX = 2000;
export const DETAIL_MAX = 64 * 1024;
/** Routing's limits for a task's result and a failure's reason (finishRun). */
export const RESULT_MAX = 64 * 1024;
export const FAILURE_REASON_MAX = 1000;

export interface ValidAttach {
  agentId: string;
  maxConcurrentTasks: number;
}

export function validateAttach(attach: Partial<Attach> | undefined): ValidAttach {
  if (!attach || typeof attach !== 'object') {
    throw new InvalidArgumentError('attach', 'the first message of the stream must be attach');
  }
  const agentId = validateId('attach.agent_id', attach.agentId);
  const requested = attach.maxConcurrentTasks ?? 0;
  if (!Number.isInteger(requested) || requested < 0 || requested > MAX_CONCURRENT_TASKS) {
    throw new InvalidArgumentError('attach.max_concurrent_tasks', `must be 0 (meaning 1) to ${MAX_CONCURRENT_TASKS}`);
  }
  return { agentId, maxConcurrentTasks: requested === 0 ? 1 : requested };
}

/** The task a message is about; checked before anything else so a notice can name it. */
export function messageTaskId(field: string, value: unknown): string {
  return validateId(`${field}.task_id`, value);
}

export interface ValidToolCall {
  taskId: string;
  callId: string;
  toolName: string;
  argumentsJson: string;
}

export function validateToolCall(call: Partial<ToolCallRequest>): ValidToolCall {
  const taskId = messageTaskId('tool_call', call.taskId);
  const callId = validateText('tool_call.call_id', call.callId, CALL_ID_MAX, { multiline: false });
  if (callId === '') throw new InvalidArgumentError('tool_call.call_id', 'is required (1-128 characters)');
  const toolName = validateText('tool_call.tool_name', call.toolName, TOOL_NAME_MAX, { multiline: false });
  if (toolName === '') throw new InvalidArgumentError('tool_call.tool_name', 'is required');
  const argumentsJson = call.argumentsJson ?? '';
  if (typeof argumentsJson !== 'string' || charLength(argumentsJson) > ARGUMENTS_MAX) {
    throw new InvalidArgumentError('tool_call.arguments_json', `must be at most ${ARGUMENTS_MAX} characters`);
  }
  // Arguments that are not a JSON object are governance's and the recorder's
  // business like the model's are: the call is decided, recorded and answered with the error.
  return { taskId, callId, toolName, argumentsJson };
}

export interface ValidStep {
  taskId: string;
  summary: string;
  detailJson: string;
}

export function validateStep(step: Partial<StepReport>): ValidStep {
  const taskId = messageTaskId('step', step.taskId);
  const summary = validateText('step.summary', step.summary, SUMMARY_MAX);
  if (summary.trim() === '')
    throw new InvalidArgumentError('step.summary', `is required (1-${SUMMARY_MAX} characters)`);
  const detailJson = step.detailJson ?? '';
  if (typeof detailJson !== 'string' || charLength(detailJson) > DETAIL_MAX) {
    throw new InvalidArgumentError('step.detail_json', `must be a JSON document of at most ${DETAIL_MAX} characters`);
  }
  if (detailJson !== '' && !isJson(detailJson)) throw new InvalidArgumentError('step.detail_json', 'is not valid JSON');
  return { taskId, summary, detailJson };
}

export type ValidOutcome =
  { taskId: string; succeeded: true; result: string } | { taskId: string; succeeded: false; reason: string };

export const NO_FAILURE_REASON = 'the agent reported a failure without a reason';

export function validateOutcome(outcome: Partial<TaskOutcome>): ValidOutcome {
  const taskId = messageTaskId('outcome', outcome.taskId);
  if (outcome.succeeded) {
    return { taskId, succeeded: true, result: validateText('outcome.result', outcome.result, RESULT_MAX) };
  }
  const reason = validateText('outcome.failure_reason', outcome.failureReason, FAILURE_REASON_MAX);
  return { taskId, succeeded: false, reason: reason.trim() === '' ? NO_FAILURE_REASON : reason };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
