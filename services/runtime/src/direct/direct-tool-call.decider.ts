import type { RunEvent } from '@aos/domain';

/**
 * A principal's direct call of a registered tool (RuntimeSubjects.callTool):
 * its stream `run-direct_<id>` holds one DirectToolCalled, recorded once
 * whatever the retries of its request.
 */

export type DirectToolCalledData = Extract<RunEvent, { type: 'DirectToolCalled' }>['data'];

export type DirectCallState = { status: 'NONE' } | { status: 'RECORDED' };
export const initialDirectCallState: DirectCallState = { status: 'NONE' };

export type DirectCallCommand = { type: 'RecordDirectToolCall'; data: DirectToolCalledData };

export function decideDirectCall(command: DirectCallCommand, state: DirectCallState): RunEvent[] {
  // A call recorded already (by a retry, or another instance) is not recorded again.
  if (state.status === 'RECORDED') return [];
  return [{ type: 'DirectToolCalled', data: command.data }];
}
