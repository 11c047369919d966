import { evolveTask, initialTaskState, type TaskHistoryEvent } from '@aos/contracts';
import { taskHistory } from '@aos/testing';
import { describe, expect, it } from 'vitest';
import { withdrawalReason } from './approval.withdrawal';

const { submitted, routed, started, abandoned, cancelled } = taskHistory('t1', 'ag1');
const awaited: TaskHistoryEvent = {
  type: 'ApprovalAwaited',
  data: { runId: 't1-1', callId: 'c1', approvalId: 'a1', toolId: 'tool1' },
};
const given = (...events: TaskHistoryEvent[]) => events.reduce(evolveTask, initialTaskState);

describe('withdrawalReason (when an approval of run t1-1 is withdrawn)', () => {
  it('keeps it while the run is the running attempt, waiting or not', () => {
    expect(withdrawalReason(given(submitted, routed, started(1)), 't1-1')).toBeUndefined();
    expect(withdrawalReason(given(submitted, routed, started(1), awaited), 't1-1')).toBeUndefined();
  });

  it('keeps it while the task or the run start is not seen yet', () => {
    expect(withdrawalReason(initialTaskState, 't1-1')).toBeUndefined();
    expect(withdrawalReason(given(submitted, routed), 't1-1')).toBeUndefined();
  });

  it('withdraws it once the task is cancelled', () => {
    expect(withdrawalReason(given(submitted, routed, started(1), awaited, cancelled('no')), 't1-1')).toBe(
      'task t1 was cancelled before anyone decided',
    );
  });

  it('withdraws it once the attempt is abandoned, and once a newer attempt runs', () => {
    const afterAbandon = given(submitted, routed, started(1), awaited, abandoned(1));
    expect(withdrawalReason(afterAbandon, 't1-1')).toMatch(/^run t1-1 was given up \(its attempt was abandoned\)/);
    expect(withdrawalReason(evolveTask(afterAbandon, started(2)), 't1-1')).toBe(
      'run t1-1 was given up: attempt 2 of the task runs now',
    );
    expect(withdrawalReason(evolveTask(afterAbandon, started(2)), 't1-2')).toBeUndefined();
  });

  it('withdraws it once the run ended', () => {
    const failed: TaskHistoryEvent = {
      type: 'RunFailed',
      data: { runId: 't1-1', reason: 'model gone', code: 'UNAVAILABLE' },
    };
    expect(withdrawalReason(given(submitted, routed, started(1), awaited, failed), 't1-1')).toBe(
      'run t1-1 ended (task FAILED) before anyone decided',
    );
  });
});
