import { describe, expect, it } from 'vitest';
import { decideApproval, evolveApproval, initialApprovalState, type ApprovalEvent } from './approval.decider';

const given = (events: ApprovalEvent[]) => events.reduce(evolveApproval, initialApprovalState);
const requested: ApprovalEvent = {
  type: 'ApprovalRequested',
  data: {
    approvalId: 'a1',
    subject: 'agent:x',
    action: 'tools.call',
    resource: 'tools/pay',
    reason: 'refund',
    expireTime: '2030-01-01T01:00:00.000Z',
    argumentsJson: '{"amount":5}',
    argumentsTruncated: false,
    runId: 't1-1',
  },
};
const withdraw = { type: 'WithdrawApproval', approvalId: 'a1', reason: 'task t1 was cancelled' } as const;
const before = '2030-01-01T00:30:00.000Z';
const after = '2030-01-01T01:00:00.000Z';
const decide = (approve: boolean, now = before) =>
  ({ type: 'DecideApproval', approvalId: 'a1', approve, decidedBy: 'user:p1', reason: 'ok', now }) as const;

describe('approval decider', () => {
  it('requests an approval, which is then PENDING', () => {
    const { data } = requested as Extract<ApprovalEvent, { type: 'ApprovalRequested' }>;
    expect(decideApproval({ type: 'RequestApproval', ...data }, given([]))).toEqual([requested]);
    expect(given([requested])).toMatchObject({ status: 'PENDING' });
  });

  it('approves with who and why', () => {
    expect(decideApproval(decide(true), given([requested]))).toEqual([
      { type: 'ApprovalGranted', data: { approvalId: 'a1', decidedBy: 'user:p1', reason: 'ok' } },
    ]);
  });

  it('rejects with who and why', () => {
    const events = decideApproval(decide(false), given([requested]));
    expect(events).toEqual([
      { type: 'ApprovalRejected', data: { approvalId: 'a1', decidedBy: 'user:p1', reason: 'ok' } },
    ]);
    expect(given([requested, ...events])).toMatchObject({ status: 'REJECTED' });
  });

  it('refuses to decide a decided approval with FAILED_PRECONDITION', () => {
    const granted = decideApproval(decide(true), given([requested]));
    expect(() => decideApproval(decide(false), given([requested, ...granted]))).toThrow(
      expect.objectContaining({ code: 'FAILED_PRECONDITION' }),
    );
  });

  it('refuses to decide past the expiry time', () => {
    expect(() => decideApproval(decide(true, after), given([requested]))).toThrow(
      expect.objectContaining({ code: 'FAILED_PRECONDITION' }),
    );
  });

  it('expires only after the expiry time, and only once', () => {
    expect(() => decideApproval({ type: 'ExpireApproval', approvalId: 'a1', now: before }, given([requested]))).toThrow(
      expect.objectContaining({ code: 'FAILED_PRECONDITION' }),
    );
    const expired = decideApproval({ type: 'ExpireApproval', approvalId: 'a1', now: after }, given([requested]));
    expect(expired).toEqual([{ type: 'ApprovalExpired', data: { approvalId: 'a1' } }]);
    expect(() =>
      decideApproval({ type: 'ExpireApproval', approvalId: 'a1', now: after }, given([requested, ...expired])),
    ).toThrow(expect.objectContaining({ code: 'FAILED_PRECONDITION' }));
  });

  it('withdraws a pending approval with the reason, and only once', () => {
    const withdrawn = decideApproval(withdraw, given([requested]));
    expect(withdrawn).toEqual([
      { type: 'ApprovalWithdrawn', data: { approvalId: 'a1', reason: 'task t1 was cancelled' } },
    ]);
    expect(given([requested, ...withdrawn])).toMatchObject({ status: 'WITHDRAWN' });
    expect(() => decideApproval(withdraw, given([requested, ...withdrawn]))).toThrow(
      expect.objectContaining({ code: 'FAILED_PRECONDITION' }),
    );
  });

  it('refuses to decide a withdrawn approval with FAILED_PRECONDITION naming it', () => {
    const withdrawn = decideApproval(withdraw, given([requested]));
    expect(() => decideApproval(decide(true), given([requested, ...withdrawn]))).toThrow(
      expect.objectContaining({
        code: 'FAILED_PRECONDITION',
        message: expect.stringMatching(/approval a1 is WITHDRAWN/),
      }),
    );
  });

  it('does not withdraw a decided approval', () => {
    const granted = decideApproval(decide(true), given([requested]));
    expect(() => decideApproval(withdraw, given([requested, ...granted]))).toThrow(
      expect.objectContaining({ code: 'FAILED_PRECONDITION' }),
    );
  });

  it('answers NOT_FOUND for an unknown approval', () => {
    expect(() => decideApproval(decide(true), given([]))).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });
});
