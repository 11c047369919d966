import type {
  AwaitApprovalBody,
  CancelTaskRequest,
  FinishRunBody,
  GetTaskRequest,
  ListTasksRequest,
  ReassignTaskRequest,
  ReleaseRunBody,
  RenewLeasesBody,
  ResolveApprovalBody,
  StartRunBody,
  SubmitTaskRequest,
  TaskPriorityName,
} from '@aos/contracts';
import { InvalidArgumentError } from '@aos/errors';
import {
  CONTROL_CHARS,
  charLength,
  requireBody,
  validateEnum,
  validateId,
  validatePageSize,
  validatePosition,
  validateRequestId,
  validateText,
  decodePageToken,
  validateExpectedRevision,
} from '@aos/request-fields';
import type { TaskStatus } from './task.decider';

/**
 * Turns the bodies that arrive over NATS (ts-proto request types as the
 * gateway forwards them, or the run-protocol bodies a runner sends) into
 * validated requests. Every error names the field in snake_case.
 */

export { validateRequestContext as validateContext } from '@aos/messaging';

export const LIMITS = {
  text: 8000,
  capabilities: 20,
  capability: 64,
  reason: 1000,
  filter: 2000,
  runner: 256,
  result: 64 * 1024,
  code: 64,
  runIds: 1000,
} as const;

export const TASK_STATUSES: readonly TaskStatus[] = [
  'QUEUED',
  'ASSIGNED',
  'RUNNING',
  'WAITING_APPROVAL',
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
];

export interface SubmitTaskMutation {
  requestId: string;
  text: string;
  requiredCapabilities: string[];
  requestedAgentId: string;
  priority: TaskPriorityName;
}
export interface GetTaskQuery {
  taskId: string;
  minPosition: number;
}
export interface TaskFilter {
  state?: TaskStatus;
  agentId?: string;
}
export interface ListTasksQuery {
  pageSize: number;
  /** createPosition of the last task on the previous page; undefined for the first page. */
  beforePosition: number | undefined;
  filter: TaskFilter;
  filterText: string;
  minPosition: number;
}
export interface CancelTaskMutation {
  requestId: string;
  taskId: string;
  reason: string;
  expectedRevision: number | undefined;
}
export interface ReassignTaskMutation {
  requestId: string;
  taskId: string;
  agentId: string;
  reason: string;
  expectedRevision: number | undefined;
}
export type StartRunMutation = StartRunBody;
export type AwaitApprovalMutation = AwaitApprovalBody;
export type ResolveApprovalMutation = ResolveApprovalBody;
export type FinishRunMutation = FinishRunBody;
export type ReleaseRunMutation = ReleaseRunBody;

export function validateSubmitTask(raw: SubmitTaskRequest | undefined): SubmitTaskMutation {
  const body = requireBody(raw);
  const requestId = validateRequestId(body.requestId);
  const task = body.task;
  if (!task || typeof task !== 'object') throw new InvalidArgumentError('task', 'is required');
  const text = validateText('task.text', task.text, LIMITS.text);
  if (text.trim() === '')
    throw new InvalidArgumentError('task.text', 'is required: what is to be done, in plain language');
  const capsRaw = task.requiredCapabilities ?? [];
  if (!Array.isArray(capsRaw))
    throw new InvalidArgumentError('task.required_capabilities', 'must be a list of strings');
  if (capsRaw.length > LIMITS.capabilities) {
    throw new InvalidArgumentError('task.required_capabilities', `must have at most ${LIMITS.capabilities} entries`);
  }
  const requiredCapabilities: string[] = [];
  const seen = new Set<string>();
  for (const [i, c] of capsRaw.entries()) {
    const field = `task.required_capabilities[${i}]`;
    if (typeof c !== 'string' || c.trim() === '') throw new InvalidArgumentError(field, 'must be a non-empty string');
    const cap = c.trim();
    if (charLength(cap) > LIMITS.capability || CONTROL_CHARS.test(cap)) {
      throw new InvalidArgumentError(field, `must be 1-${LIMITS.capability} characters without control characters`);
    }
    if (seen.has(cap.toLowerCase())) continue;
    seen.add(cap.toLowerCase());
    requiredCapabilities.push(cap);
  }
  const requestedAgentId =
    task.agentId === undefined || task.agentId === null || task.agentId === ''
      ? ''
      : validateId('task.agent_id', task.agentId);
  const priority = validateEnum('task.priority', task.priority, ['LOW', 'NORMAL', 'HIGH'] as const) ?? 'NORMAL';
  return { requestId, text, requiredCapabilities, requestedAgentId, priority };
}

export function validateGetTask(raw: GetTaskRequest | undefined): GetTaskQuery {
  const body = requireBody(raw);
  return { taskId: validateId('id', body.id), minPosition: validatePosition('min_position', body.minPosition) };
}

export function validateListTasks(raw: ListTasksRequest | undefined): ListTasksQuery {
  const body = requireBody(raw);
  const filterText = validateText('filter', body.filter, LIMITS.filter, { multiline: false });
  const filter = parseFilter(filterText);
  return {
    pageSize: validatePageSize(body.pageSize),
    // Newest first: a page starts before the position of the last task served (0: from the newest).
    beforePosition: decodePageToken(body.pageToken, 'ListTasks', filterText) || undefined,
    filter,
    filterText,
    minPosition: validatePosition('min_position', body.minPosition),
  };
}

export function validateCancelTask(raw: CancelTaskRequest | undefined): CancelTaskMutation {
  const body = requireBody(raw);
  return {
    requestId: validateRequestId(body.requestId),
    taskId: validateId('id', body.id),
    reason: validateText('reason', body.reason, LIMITS.reason),
    expectedRevision: validateExpectedRevision(body.expectedRevision),
  };
}

export function validateReassignTask(raw: ReassignTaskRequest | undefined): ReassignTaskMutation {
  const body = requireBody(raw);
  return {
    requestId: validateRequestId(body.requestId),
    taskId: validateId('id', body.id),
    agentId: validateId('agent_id', body.agentId),
    reason: validateText('reason', body.reason, LIMITS.reason),
    expectedRevision: validateExpectedRevision(body.expectedRevision),
  };
}

export function validateStartRun(raw: StartRunBody | undefined): StartRunMutation {
  const body = requireBody(raw);
  const attempt = body.attempt;
  if (typeof attempt !== 'number' || !Number.isSafeInteger(attempt) || attempt < 1) {
    throw new InvalidArgumentError('attempt', 'must be a positive integer (the task attempt + 1)');
  }
  return {
    taskId: validateId('taskId', body.taskId),
    attempt,
    runner: validateRunner(body.runner),
    request_id: validateRequestId(body.request_id),
  };
}

export function validateRenewLeases(raw: RenewLeasesBody | undefined): RenewLeasesBody {
  const body = requireBody(raw);
  if (!Array.isArray(body.runIds)) throw new InvalidArgumentError('runIds', 'must be a list of run ids');
  if (body.runIds.length > LIMITS.runIds)
    throw new InvalidArgumentError('runIds', `must have at most ${LIMITS.runIds} entries`);
  for (const [i, id] of body.runIds.entries()) {
    if (typeof id !== 'string' || id === '' || id.length > 128)
      throw new InvalidArgumentError(`runIds[${i}]`, 'must be a run id');
  }
  return { runner: validateRunner(body.runner), runIds: [...body.runIds] };
}

export function validateAwaitApproval(raw: AwaitApprovalBody | undefined): AwaitApprovalMutation {
  const body = requireBody(raw);
  return {
    taskId: validateId('taskId', body.taskId),
    runId: validateRunId(body.runId),
    approvalId: validateRequiredText('approvalId', body.approvalId, 128),
    toolId: validateText('toolId', body.toolId, 128, { multiline: false }),
    request_id: validateRequestId(body.request_id),
  };
}

export function validateResolveApproval(raw: ResolveApprovalBody | undefined): ResolveApprovalMutation {
  const body = requireBody(raw);
  if (typeof body.approved !== 'boolean') throw new InvalidArgumentError('approved', 'must be true or false');
  return {
    taskId: validateId('taskId', body.taskId),
    runId: validateRunId(body.runId),
    approvalId: validateRequiredText('approvalId', body.approvalId, 128),
    approved: body.approved,
    request_id: validateRequestId(body.request_id),
  };
}

export function validateFinishRun(raw: FinishRunBody | undefined): FinishRunMutation {
  const body = requireBody(raw);
  if (body.outcome !== 'SUCCEEDED' && body.outcome !== 'FAILED') {
    throw new InvalidArgumentError('outcome', 'must be SUCCEEDED or FAILED');
  }
  return {
    taskId: validateId('taskId', body.taskId),
    runId: validateRunId(body.runId),
    outcome: body.outcome,
    result: validateText('result', body.result, LIMITS.result),
    reason: validateText('reason', body.reason, LIMITS.reason),
    code:
      validateText('code', body.code, LIMITS.code, { multiline: false }) ||
      (body.outcome === 'FAILED' ? 'INTERNAL' : ''),
    request_id: validateRequestId(body.request_id),
  };
}

export function validateReleaseRun(raw: ReleaseRunBody | undefined): ReleaseRunMutation {
  const body = requireBody(raw);
  return {
    taskId: validateId('taskId', body.taskId),
    runId: validateRunId(body.runId),
    runner: validateRunner(body.runner),
    reason: validateText('reason', body.reason, LIMITS.reason),
    request_id: validateRequestId(body.request_id),
  };
}

function validateRunner(value: unknown): string {
  return validateRequiredText('runner', value, LIMITS.runner);
}

function validateRunId(value: unknown): string {
  return validateRequiredText('runId', value, 128);
}

function validateRequiredText(field: string, value: unknown, max: number): string {
  const text = validateText(field, value, max, { multiline: false });
  if (text === '') throw new InvalidArgumentError(field, 'is required');
  return text;
}

/** `state = QUEUED AND agent_id = "…"`: terms joined by AND; fields state and agent_id. */
export function parseFilter(text: string): TaskFilter {
  const filter: TaskFilter = {};
  if (text.trim() === '') return filter;
  for (const term of text.split(/\s+AND\s+/i)) {
    const match = /^\s*([a-z_]+)\s*=\s*(?:"([^"]*)"|([^\s"]+))\s*$/i.exec(term);
    if (!match)
      throw new InvalidArgumentError('filter', `cannot read ${JSON.stringify(term.trim())}: expected field = value`);
    const field = match[1]!.toLowerCase();
    const value = match[2] ?? match[3]!;
    if (field === 'state') {
      const state = value.toUpperCase() as TaskStatus;
      if (!TASK_STATUSES.includes(state)) {
        throw new InvalidArgumentError('filter', `state must be one of ${TASK_STATUSES.join(', ')}`);
      }
      filter.state = state;
    } else if (field === 'agent_id') {
      filter.agentId = validateId('filter', value);
    } else throw new InvalidArgumentError('filter', `unknown field ${JSON.stringify(field)}: use state or agent_id`);
  }
  return filter;
}
