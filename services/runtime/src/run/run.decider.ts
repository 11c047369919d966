import type { RunEvent } from '@aos/domain';
import { assertNever, FailedPreconditionError, InvalidArgumentError } from '@aos/errors';

/**
 * The Run aggregate (stream `run-<runId>`, one per attempt of a task): the
 * execution trace the runner that holds the attempt records. Its decider
 * keeps that trace well-formed: it starts once, model calls are numbered
 * 1, 2, …, a call id names one tool call of the run (its approval, its
 * charge, its ToolCalled or KnowledgeSearched: a repeated one is refused, so
 * a call can neither dodge its charge nor reuse another call's approval), a
 * call is charged once, nothing is recorded while an approval is awaited but
 * the approval's answer (or the end), and nothing after the end.
 */

type Data<T extends RunEvent['type']> = Extract<RunEvent, { type: T }>['data'];

export type RunStatus = 'RUNNING' | 'WAITING_APPROVAL' | 'ENDED';

export interface ExistingRun {
  status: RunStatus;
  runId: string;
  turns: number;
  /** The approval awaited while WAITING_APPROVAL. */
  approvalId: string;
  /** Every call id a tool call of the run recorded (approval, charge, ToolCalled, KnowledgeSearched). */
  calls: ReadonlySet<string>;
  /** The call under way: its approval or charge is recorded, its ToolCalled not yet ('' when none). */
  openCall: string;
  /** The tool calls charged already. */
  chargedCalls: ReadonlySet<string>;
}
export type RunState = { status: 'NONE' } | ExistingRun;
export const initialRunState: RunState = { status: 'NONE' };

export type RunCommand =
  | { type: 'StartRun'; data: Data<'RunStarted'> }
  | { type: 'RecordModelCall'; data: Data<'ModelCalled'> }
  | { type: 'ChargeUsage'; data: Data<'UsageCharged'> }
  | { type: 'RecordToolCall'; data: Data<'ToolCalled'> }
  | { type: 'RecordKnowledgeSearch'; data: Data<'KnowledgeSearched'> }
  | { type: 'AwaitApproval'; data: Data<'ApprovalAwaited'> }
  | { type: 'ReceiveApproval'; data: Data<'ApprovalReceived'> }
  | { type: 'ReportStep'; data: Data<'StepReported'> }
  | { type: 'Succeed'; data: Data<'RunSucceeded'> }
  | { type: 'Fail'; data: Data<'RunFailed'> }
  | { type: 'Stop'; data: Data<'RunStopped'> };

export function decideRun(command: RunCommand, state: RunState): RunEvent[] {
  if (command.type === 'StartRun') {
    if (state.status !== 'NONE') throw new FailedPreconditionError(`run ${state.runId} has already started`);
    return [{ type: 'RunStarted', data: command.data }];
  }
  if (state.status === 'NONE') throw new FailedPreconditionError(`run ${command.data.runId} has not started`);
  if (state.status === 'ENDED') {
    // Stopping what has ended records nothing: a lost lease may be noticed after the end.
    if (command.type === 'Stop') return [];
    throw new FailedPreconditionError(`run ${state.runId} has ended`);
  }
  switch (command.type) {
    case 'RecordModelCall':
      requireRunning(state, 'record a model call');
      if (command.data.turn !== state.turns + 1) {
        throw new FailedPreconditionError(`run ${state.runId}: model call ${command.data.turn} out of order`);
      }
      return [{ type: 'ModelCalled', data: command.data }];
    case 'ChargeUsage': {
      requireRunning(state, 'charge usage');
      const { callId } = command.data;
      if (callId !== undefined) {
        if (state.chargedCalls.has(callId)) {
          throw new FailedPreconditionError(`run ${state.runId}: tool call ${callId} is charged already`);
        }
        requireCallOf(state, callId);
      }
      return [{ type: 'UsageCharged', data: command.data }];
    }
    case 'RecordToolCall':
      requireRunning(state, 'record a tool call');
      requireCallOf(state, command.data.callId);
      return [{ type: 'ToolCalled', data: command.data }];
    case 'RecordKnowledgeSearch':
      requireRunning(state, 'record a knowledge search');
      requireCallOf(state, command.data.callId);
      return [{ type: 'KnowledgeSearched', data: command.data }];
    case 'ReportStep':
      requireRunning(state, 'report a step');
      return [{ type: 'StepReported', data: command.data }];
    case 'AwaitApproval':
      requireRunning(state, 'await an approval');
      // A call's approval is its first record: one approval per call.
      requireNewCall(state, command.data.callId);
      return [{ type: 'ApprovalAwaited', data: command.data }];
    case 'ReceiveApproval':
      if (state.status !== 'WAITING_APPROVAL' || state.approvalId !== command.data.approvalId) {
        throw new FailedPreconditionError(`run ${state.runId} is not waiting for approval ${command.data.approvalId}`);
      }
      return [{ type: 'ApprovalReceived', data: command.data }];
    case 'Succeed':
      requireRunning(state, 'succeed');
      return [{ type: 'RunSucceeded', data: command.data }];
    case 'Fail':
      return [{ type: 'RunFailed', data: command.data }];
    case 'Stop':
      return [{ type: 'RunStopped', data: command.data }];
    default:
      return assertNever(command);
  }
}

export function evolveRun(state: RunState, event: RunEvent): RunState {
  if (event.type === 'RunStarted') {
    return {
      status: 'RUNNING',
      runId: event.data.runId,
      turns: 0,
      approvalId: '',
      calls: new Set(),
      openCall: '',
      chargedCalls: new Set(),
    };
  }
  if (state.status === 'NONE') throw new Error(`${event.type} before RunStarted`);
  switch (event.type) {
    case 'ModelCalled':
      return { ...state, turns: event.data.turn };
    case 'UsageCharged': {
      const { callId } = event.data;
      if (callId === undefined) return state;
      return { ...opened(state, callId), chargedCalls: new Set([...state.chargedCalls, callId]) };
    }
    case 'ToolCalled':
    case 'KnowledgeSearched':
      return { ...opened(state, event.data.callId), openCall: '' };
    case 'StepReported':
      return state;
    case 'DirectToolCalled':
      throw new Error('DirectToolCalled belongs to a run-direct_* stream, not to a run of a task');
    case 'ApprovalAwaited':
      return { ...opened(state, event.data.callId), status: 'WAITING_APPROVAL', approvalId: event.data.approvalId };
    case 'ApprovalReceived':
      return { ...state, status: 'RUNNING', approvalId: '' };
    case 'RunSucceeded':
    case 'RunFailed':
    case 'RunStopped':
      return { ...state, status: 'ENDED' };
    default:
      return assertNever(event);
  }
}

function requireRunning(state: ExistingRun, what: string): void {
  if (state.status !== 'RUNNING') {
    throw new FailedPreconditionError(`run ${state.runId} cannot ${what} while ${state.status}`);
  }
}

/**
 * Whether `callId` names a tool call the run recorded before (not the one
 * under way): a call with it must be refused, before anything is called.
 */
export function isCallIdUsed(state: RunState, callId: string): boolean {
  return state.status !== 'NONE' && state.calls.has(callId) && state.openCall !== callId;
}

/** The refusal of a call id the run has used: INVALID_ARGUMENT naming call_id. */
export function usedCallIdError(runId: string, callId: string): InvalidArgumentError {
  return new InvalidArgumentError(
    'call_id',
    `${JSON.stringify(callId)} is already used in this run (${runId}): each tool call needs a call id of its own`,
  );
}

function requireNewCall(state: ExistingRun, callId: string): void {
  if (state.calls.has(callId)) throw usedCallIdError(state.runId, callId);
}

/** The call's next record: the call under way, or a new call. */
function requireCallOf(state: ExistingRun, callId: string): void {
  if (isCallIdUsed(state, callId)) throw usedCallIdError(state.runId, callId);
}

/** The state with `callId` recorded and under way. */
function opened(state: ExistingRun, callId: string): ExistingRun {
  return { ...state, calls: new Set([...state.calls, callId]), openCall: callId };
}
