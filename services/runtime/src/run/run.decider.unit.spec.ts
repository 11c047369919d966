import { describe, expect, it } from 'vitest';
import type { RunEvent } from '@aos/contracts';
import { AosError } from '@aos/errors';
import { decideRun, evolveRun, initialRunState, isCallIdUsed, type RunCommand, type RunState } from './run.decider';

const runId = 'task-1-1';
const started: RunEvent = {
  type: 'RunStarted',
  data: {
    runId,
    taskId: 'task-1',
    attempt: 1,
    agentId: 'a',
    definitionVersion: 1,
    model: 'm',
    runner: 'r',
    previousRunId: '',
  },
};
const modelCall = (turn: number): RunEvent => ({
  type: 'ModelCalled',
  data: {
    runId,
    turn,
    model: 'm',
    promptTokens: 1,
    completionTokens: 1,
    totalTokens: 2,
    finishReason: 'tool_calls',
    decision: 'tool_calls',
    toolCalls: [{ callId: 'c1', name: 'x' }],
    content: '',
    durationMs: 1,
    retries: 0,
  },
});
const awaited: RunEvent = { type: 'ApprovalAwaited', data: { runId, callId: 'c1', approvalId: 'ap1', toolId: 't1' } };

function given(...events: RunEvent[]): RunState {
  return events.reduce(evolveRun, initialRunState);
}

function refused(command: RunCommand, state: RunState, code = 'FAILED_PRECONDITION'): AosError {
  try {
    decideRun(command, state);
  } catch (err) {
    expect(err).toBeInstanceOf(AosError);
    expect((err as AosError).code).toBe(code);
    return err as AosError;
  }
  throw new Error('expected a refusal');
}

describe('Run decider', () => {
  it('starts once', () => {
    expect(decideRun({ type: 'StartRun', data: started.data as never }, initialRunState)).toEqual([started]);
    refused({ type: 'StartRun', data: started.data as never }, given(started));
  });

  it('records nothing before the start', () => {
    refused({ type: 'RecordModelCall', data: modelCall(1).data as never }, initialRunState);
  });

  it('numbers model calls 1, 2, … and refuses one out of order', () => {
    expect(decideRun({ type: 'RecordModelCall', data: modelCall(1).data as never }, given(started))).toEqual([
      modelCall(1),
    ]);
    const afterOne = given(started, modelCall(1));
    expect(decideRun({ type: 'RecordModelCall', data: modelCall(2).data as never }, afterOne)).toEqual([modelCall(2)]);
    expect(refused({ type: 'RecordModelCall', data: modelCall(3).data as never }, afterOne).message).toMatch(
      /out of order/,
    );
  });

  it('while an approval is awaited, records only its answer or the end', () => {
    const waiting = given(started, modelCall(1), awaited);
    refused({ type: 'RecordModelCall', data: modelCall(2).data as never }, waiting);
    refused(
      { type: 'ReceiveApproval', data: { runId, approvalId: 'other', approved: true, decidedBy: 'u', reason: '' } },
      waiting,
    );
    const received = { runId, approvalId: 'ap1', approved: false, decidedBy: 'user:bob', reason: 'no' };
    expect(decideRun({ type: 'ReceiveApproval', data: received }, waiting)).toEqual([
      { type: 'ApprovalReceived', data: received },
    ]);
    expect(decideRun({ type: 'Stop', data: { runId, reason: 'lease lost' } }, waiting)).toHaveLength(1);
  });

  it('records a knowledge search with its citations while running, not while an approval is awaited', () => {
    const search = {
      runId,
      callId: 'c2',
      query: 'refund policy',
      topK: 5,
      knowledgeBaseIds: ['kb-1'],
      refused: [],
      decision: 'ALLOWED' as const,
      decisionReason: "granted by the agent's knowledge_base_ids; no policy rule applies",
      outcome: 'ok' as const,
      citations: [
        {
          knowledgeBaseId: 'kb-1',
          documentId: 'd',
          documentVersion: 2,
          chunkIndex: 0,
          startOffset: 0,
          endOffset: 80,
          score: 0.9,
        },
      ],
      error: '',
      durationMs: 3,
    };
    const running = given(started, modelCall(1));
    expect(decideRun({ type: 'RecordKnowledgeSearch', data: search }, running)).toEqual([
      { type: 'KnowledgeSearched', data: search },
    ]);
    // The search's call id is the run's now (a call id names one call).
    expect(evolveRun(running, { type: 'KnowledgeSearched', data: search })).toEqual({
      ...running,
      calls: new Set(['c2']),
    });
    refused({ type: 'RecordKnowledgeSearch', data: search }, given(started, modelCall(1), awaited));
  });

  it("charges a priced tool call once: the same call id again is refused, another call and a model call's usage record", () => {
    const toolCharge = { runId, tokens: 0, costMicros: 50_000, callId: 'c1' };
    const charged: RunEvent = { type: 'UsageCharged', data: toolCharge };
    expect(decideRun({ type: 'ChargeUsage', data: toolCharge }, given(started, modelCall(1)))).toEqual([charged]);
    const after = given(started, modelCall(1), charged);
    expect(refused({ type: 'ChargeUsage', data: toolCharge }, after).message).toMatch(/charged already/);
    const other = { ...toolCharge, callId: 'c2' };
    expect(decideRun({ type: 'ChargeUsage', data: other }, after)).toEqual([{ type: 'UsageCharged', data: other }]);
    const model = { runId, tokens: 30, costMicros: 40 };
    expect(decideRun({ type: 'ChargeUsage', data: model }, after)).toEqual([{ type: 'UsageCharged', data: model }]);
  });

  it('keeps call ids unique: a call (approval, charge, ToolCalled) goes on under its id; a later call with it is INVALID_ARGUMENT naming call_id', () => {
    const toolCalled = (callId: string) => ({
      runId,
      callId,
      toolId: 't1',
      toolName: 'refund',
      argumentsJson: '{}',
      decision: 'APPROVED' as const,
      decisionReason: 'approved by user:bob',
      outcome: 'ok' as const,
      result: 'ok',
      error: '',
      durationMs: 1,
    });
    const received: RunEvent = {
      type: 'ApprovalReceived',
      data: { runId, approvalId: 'ap1', approved: true, decidedBy: 'user:bob', reason: '' },
    };
    const charge = { runId, tokens: 0, costMicros: 10, callId: 'c1' };
    // The call under way: its approval, then its charge, then its ToolCalled.
    const approved = given(started, modelCall(1), awaited, received);
    expect(isCallIdUsed(approved, 'c1')).toBe(false);
    expect(decideRun({ type: 'ChargeUsage', data: charge }, approved)).toEqual([
      { type: 'UsageCharged', data: charge },
    ]);
    const charged = evolveRun(approved, { type: 'UsageCharged', data: charge });
    expect(decideRun({ type: 'RecordToolCall', data: toolCalled('c1') }, charged)).toHaveLength(1);
    const done = evolveRun(charged, { type: 'ToolCalled', data: toolCalled('c1') });
    expect(isCallIdUsed(done, 'c1')).toBe(true);
    expect(isCallIdUsed(done, 'c2')).toBe(false);
    // A later call with the same id: no new approval, no charge, no ToolCalled.
    const again = [
      { type: 'AwaitApproval', data: { runId, callId: 'c1', approvalId: 'ap2', toolId: 't1' } },
      { type: 'ChargeUsage', data: { ...charge, callId: 'c1' } },
      { type: 'RecordToolCall', data: toolCalled('c1') },
    ] as RunCommand[];
    for (const command of again.slice(0, 1).concat(again.slice(2))) {
      const err = refused(command, done, 'INVALID_ARGUMENT');
      expect(err.field).toBe('call_id');
      expect(err.message).toMatch(/"c1" is already used in this run/);
    }
    expect(refused(again[1]!, done).message).toMatch(/charged already/);
    // A free call recorded by its ToolCalled alone: its id is used too, also across turns.
    const free = evolveRun(given(started, modelCall(1)), { type: 'ToolCalled', data: toolCalled('c3') });
    refused({ type: 'RecordToolCall', data: toolCalled('c3') }, evolveRun(free, modelCall(2)), 'INVALID_ARGUMENT');
    // An approval is a call's first record: asked twice for one call is refused.
    refused({ type: 'AwaitApproval', data: awaited.data as never }, approved, 'INVALID_ARGUMENT');
    expect(decideRun({ type: 'RecordToolCall', data: toolCalled('c2') }, done)).toHaveLength(1);
  });

  it('records nothing after the end, and a stop after the end is no change', () => {
    const ended = given(started, { type: 'RunSucceeded', data: { runId, result: 'done' } });
    refused({ type: 'Fail', data: { runId, reason: 'x', code: 'INTERNAL' } }, ended);
    expect(decideRun({ type: 'Stop', data: { runId, reason: 'lease lost' } }, ended)).toEqual([]);
  });
});
