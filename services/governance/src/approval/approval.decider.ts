import type { GovernanceEvent } from '@aos/domain';
import { assertNever, AlreadyExistsError, FailedPreconditionError, NotFoundError } from '@aos/errors';

/**
 * The Approval aggregate (stream `approval-<approvalId>`): a person's yes or
 * no to one risky action, requested → approved | rejected | expired |
 * withdrawn (the run that asked ended first). Once it is no longer pending it
 * never changes again.
 */

export type ApprovalEvent = Extract<
  GovernanceEvent,
  { type: 'ApprovalRequested' | 'ApprovalGranted' | 'ApprovalRejected' | 'ApprovalExpired' | 'ApprovalWithdrawn' }
>;
export type ApprovalStatus = 'PENDING' | 'APPROVED' | 'REJECTED' | 'EXPIRED' | 'WITHDRAWN';

export interface ExistingApproval {
  status: ApprovalStatus;
  approvalId: string;
  expireTime: string;
}
export type ApprovalAggregateState = { status: 'NONE' } | ExistingApproval;

export const initialApprovalState: ApprovalAggregateState = { status: 'NONE' };

export type RequestApproval = {
  type: 'RequestApproval';
  approvalId: string;
  subject: string;
  action: string;
  resource: string;
  reason: string;
  expireTime: string;
  argumentsJson: string;
  argumentsTruncated: boolean;
  runId: string;
};
export type DecideApproval = {
  type: 'DecideApproval';
  approvalId: string;
  approve: boolean;
  /** The deciding principal's subject, e.g. "user:<id>". */
  decidedBy: string;
  reason: string;
  now: string;
};
export type ExpireApproval = { type: 'ExpireApproval'; approvalId: string; now: string };
/** The run that asked is gone (see ApprovalWithdrawal): nobody would receive a decision. */
export type WithdrawApproval = { type: 'WithdrawApproval'; approvalId: string; reason: string };
export type ApprovalCommand = RequestApproval | DecideApproval | ExpireApproval | WithdrawApproval;

export function decideApproval(command: ApprovalCommand, state: ApprovalAggregateState): ApprovalEvent[] {
  if (command.type === 'RequestApproval') {
    if (state.status !== 'NONE') throw new AlreadyExistsError('approval', 'id', command.approvalId);
    const { type: _type, ...data } = command;
    return [{ type: 'ApprovalRequested', data }];
  }
  if (state.status === 'NONE') throw new NotFoundError('approval', command.approvalId);
  if (state.status !== 'PENDING') {
    throw new FailedPreconditionError(`approval ${state.approvalId} is ${state.status}, not PENDING`);
  }
  const expired = (now: string) => Date.parse(now) >= Date.parse(state.expireTime);
  switch (command.type) {
    case 'DecideApproval': {
      // Past its expiry a request can no longer be granted, even if the timer has not recorded that yet.
      if (expired(command.now))
        throw new FailedPreconditionError(`approval ${state.approvalId} expired at ${state.expireTime}`);
      const data = { approvalId: state.approvalId, decidedBy: command.decidedBy, reason: command.reason };
      return [command.approve ? { type: 'ApprovalGranted', data } : { type: 'ApprovalRejected', data }];
    }
    case 'ExpireApproval':
      if (!expired(command.now))
        throw new FailedPreconditionError(`approval ${state.approvalId} expires at ${state.expireTime}`);
      return [{ type: 'ApprovalExpired', data: { approvalId: state.approvalId } }];
    case 'WithdrawApproval':
      return [{ type: 'ApprovalWithdrawn', data: { approvalId: state.approvalId, reason: command.reason } }];
    default:
      return assertNever(command);
  }
}

export function evolveApproval(state: ApprovalAggregateState, event: ApprovalEvent): ApprovalAggregateState {
  if (event.type === 'ApprovalRequested') {
    if (state.status !== 'NONE') throw new Error(`ApprovalRequested for existing approval ${event.data.approvalId}`);
    return { status: 'PENDING', approvalId: event.data.approvalId, expireTime: event.data.expireTime };
  }
  if (state.status === 'NONE')
    throw new Error(`${event.type} for approval ${event.data.approvalId} before ApprovalRequested`);
  switch (event.type) {
    case 'ApprovalGranted':
      return { ...state, status: 'APPROVED' };
    case 'ApprovalRejected':
      return { ...state, status: 'REJECTED' };
    case 'ApprovalExpired':
      return { ...state, status: 'EXPIRED' };
    case 'ApprovalWithdrawn':
      return { ...state, status: 'WITHDRAWN' };
    default:
      return assertNever(event);
  }
}
