import {
  MAX_APPROVAL_ARGUMENTS_CHARS,
  taskIdOfRun,
  type DecideApprovalRequest,
  type ListApprovalsRequest,
  type RequestApprovalBody,
} from '@aos/contracts';
import { InvalidArgumentError } from '@aos/errors';
import {
  LIMITS,
  decodePageToken,
  optionalRequestId,
  requireBody,
  validateAction,
  validateEnum,
  validateId,
  validatePageSize,
  validatePosition,
  validateRequestId,
  validateResource,
  validateSubject,
  validateText,
} from '../governance.request';
import type { ApprovalStatus } from './approval.decider';

export type { RequestApprovalBody };

export interface RequestApprovalCommand {
  requestId: string;
  subject: string;
  action: string;
  resource: string;
  reason: string;
  /** Cut at MAX_APPROVAL_ARGUMENTS_CHARS. */
  argumentsJson: string;
  argumentsTruncated: boolean;
  runId: string;
  ttlSeconds: number;
}
export interface DecideApprovalCommand {
  requestId: string;
  approvalId: string;
  approve: boolean;
  reason: string;
}
export interface ListApprovalsQuery {
  state: ApprovalStatus | undefined;
  pageSize: number;
  after: number;
  filter: string;
  minPosition: number;
}

export const DEFAULT_APPROVAL_TTL_SECONDS = 3600;
export const MAX_APPROVAL_TTL_SECONDS = 30 * 24 * 3600;
const STATES = ['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED', 'WITHDRAWN'] as const;

export function validateRequestApproval(
  body: RequestApprovalBody | undefined,
  freshId: () => string,
): RequestApprovalCommand {
  const request = requireBody(body);
  const ttl = request.ttlSeconds ?? 0;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0 || ttl > MAX_APPROVAL_TTL_SECONDS) {
    throw new InvalidArgumentError(
      'ttl_seconds',
      `must be an integer from 0 (one hour) to ${MAX_APPROVAL_TTL_SECONDS}`,
    );
  }
  return {
    requestId: optionalRequestId(request.requestId, freshId),
    subject: validateSubject('subject', request.subject),
    action: validateAction('action', request.action),
    resource: validateResource('resource', request.resource),
    reason: validateText('reason', request.reason, LIMITS.reason),
    ...validateArguments(request.argumentsJson),
    runId: validateRunId(request.runId),
    ttlSeconds: ttl === 0 ? DEFAULT_APPROVAL_TTL_SECONDS : ttl,
  };
}

/**
 * An action's input is kept as given, but at most MAX_APPROVAL_ARGUMENTS_CHARS characters (code points, so a cut never
 * splits a character into half a surrogate pair) of it, then flagged as cut.
 */
function validateArguments(value: unknown): { argumentsJson: string; argumentsTruncated: boolean } {
  if (value === undefined) return { argumentsJson: '', argumentsTruncated: false };
  if (typeof value !== 'string') throw new InvalidArgumentError('arguments_json', 'must be a string');
  // Most inputs are far shorter: only a string that may be longer than the limit in code points is walked.
  if (value.length <= MAX_APPROVAL_ARGUMENTS_CHARS) return { argumentsJson: value, argumentsTruncated: false };
  let kept = 0;
  let end = 0;
  for (const ch of value) {
    if (kept === MAX_APPROVAL_ARGUMENTS_CHARS) break;
    kept += 1;
    end += ch.length;
  }
  const argumentsTruncated = end < value.length;
  return { argumentsJson: value.slice(0, end), argumentsTruncated };
}

function validateRunId(value: unknown): string {
  if (value === undefined || value === '') return '';
  if (typeof value !== 'string' || taskIdOfRun(value) === undefined) {
    throw new InvalidArgumentError('run_id', 'must be a run id <taskId>-<attempt>');
  }
  return value;
}

export function validateDecideApproval(body: DecideApprovalRequest | undefined): DecideApprovalCommand {
  const request = requireBody(body);
  if (typeof request.approve !== 'boolean') throw new InvalidArgumentError('approve', 'must be a boolean');
  return {
    requestId: validateRequestId(request.requestId),
    approvalId: validateId('id', request.id),
    approve: request.approve,
    reason: validateText('reason', request.reason, LIMITS.reason),
  };
}

export function validateListApprovals(body: ListApprovalsRequest | undefined): ListApprovalsQuery {
  const request = requireBody(body);
  const state = validateEnum('state', request.state, STATES);
  const filter = state ?? '';
  return {
    state,
    pageSize: validatePageSize(request.pageSize),
    after: decodePageToken(request.pageToken, 'ListApprovals', filter),
    filter,
    minPosition: validatePosition('min_position', request.minPosition),
  };
}
