import type {
  CancelTaskRequest,
  GetTaskRequest,
  ListTasksRequest,
  ReassignTaskRequest,
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
  /** Milliseconds since the epoch: tasks submitted at or after (`create_time >=`; `>` adds 1 ms). */
  createdFrom?: number;
  /** Milliseconds since the epoch: tasks submitted before (`create_time <`; `<=` adds 1 ms). */
  createdBefore?: number;
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

/** An RFC 3339 time with a zone (`2026-12-05T00:00:00Z`, `…+01:00`), as milliseconds. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/** Whether the parts name a real time: Date.parse reads 2026-02-30 as 2 March and T24:00 as the next day. */
function realTime(parts: RegExpExecArray): boolean {
  const [year, month, day, hour, minute, second] = parts.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const offsetOk = parts[8] === undefined || (Number(parts[8]) <= 23 && Number(parts[9]) <= 59);
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetOk
  );
}

function filterTime(value: string): number {
  const parts = RFC3339.exec(value);
  const ms = parts && realTime(parts) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) {
    throw new InvalidArgumentError(
      'filter',
      `create_time must be an RFC 3339 time with a zone, e.g. "2026-12-05T00:00:00Z"; got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

/**
 * `state = QUEUED AND agent_id = "…" AND create_time >= "2026-12-05T00:00:00Z"`: terms joined by AND;
 * fields state and agent_id (with =) and create_time (with >=, >, < or <=).
 */
export function parseFilter(text: string): TaskFilter {
  const filter: TaskFilter = {};
  if (text.trim() === '') return filter;
  for (const term of text.split(/\s+AND\s+/i)) {
    const match = /^\s*([a-z_]+)\s*(>=|<=|=|>|<)\s*(?:"([^"]*)"|([^\s"]+))\s*$/i.exec(term);
    if (!match)
      throw new InvalidArgumentError('filter', `cannot read ${JSON.stringify(term.trim())}: expected field = value`);
    const field = match[1]!.toLowerCase();
    const op = match[2]!;
    const value = match[3] ?? match[4]!;
    if (field === 'create_time') {
      const ms = filterTime(value);
      if (op === '>=' || op === '>')
        filter.createdFrom = Math.max(filter.createdFrom ?? -Infinity, ms + (op === '>' ? 1 : 0));
      else if (op === '<' || op === '<=')
        filter.createdBefore = Math.min(filter.createdBefore ?? Infinity, ms + (op === '<=' ? 1 : 0));
      else throw new InvalidArgumentError('filter', 'create_time takes >=, >, < or <=, not =');
      continue;
    }
    if (op !== '=') throw new InvalidArgumentError('filter', `${field} takes =, not ${op}`);
    if (field === 'state') {
      const state = value.toUpperCase() as TaskStatus;
      if (!TASK_STATUSES.includes(state)) {
        throw new InvalidArgumentError('filter', `state must be one of ${TASK_STATUSES.join(', ')}`);
      }
      filter.state = state;
    } else if (field === 'agent_id') {
      filter.agentId = validateId('filter', value);
    } else
      throw new InvalidArgumentError(
        'filter',
        `unknown field ${JSON.stringify(field)}: use state, agent_id or create_time`,
      );
  }
  return filter;
}
