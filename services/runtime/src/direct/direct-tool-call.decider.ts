import type { RunEvent } from '@aos/domain';

/**
 * A principal's direct call of a registered tool (RuntimeSubjects.callTool):
 * its stream `run-direct_<id>` holds one DirectToolCalled (then, for a
 * priced tool, its UsageCharged), recorded once whatever the retries of its
 * request.
 */

export type DirectToolCalledData = Extract<RunEvent, { type: 'DirectToolCalled' }>['data'];
export type UsageChargedData = Extract<RunEvent, { type: 'UsageCharged' }>['data'];

export type DirectCallState = { status: 'NONE' } | { status: 'RECORDED' };
export const initialDirectCallState: DirectCallState = { status: 'NONE' };

export type DirectCallCommand = {
  type: 'RecordDirectToolCall';
  data: DirectToolCalledData;
  /** A priced tool's charge (its price, 0 tokens), made before the call and recorded with it; absent for a free one. */
  charged?: UsageChargedData;
};

export function decideDirectCall(command: DirectCallCommand, state: DirectCallState): RunEvent[] {
  // A call recorded already (by a retry, or another instance) is not recorded again.
  if (state.status === 'RECORDED') return [];
  const call: RunEvent = { type: 'DirectToolCalled', data: command.data };
  return command.charged ? [call, { type: 'UsageCharged', data: command.charged }] : [call];
}
