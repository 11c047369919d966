import { describe, expect, it } from 'vitest';
import type { RunEvent } from '@aos/contracts';
import { AosError } from '@aos/errors';
import { decideRun, evolveRun, initialRunState, type RunCommand, type RunState } from './run.decider';

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

function refused(command: RunCommand, state: RunState): AosError {
  try {
    decideRun(command, state);
  } catch (err) {
    expect(err).toBeInstanceOf(AosError);
    expect((err as AosError).code).toBe('FAILED_PRECONDITION');
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
    expect(evolveRun(running, { type: 'KnowledgeSearched', data: search })).toEqual(running);
    refused({ type: 'RecordKnowledgeSearch', data: search }, given(started, modelCall(1), awaited));
  });

  it("charges a priced tool call once: the same call id again records nothing, another call and a model call's usage record", () => {
    const toolCharge = { runId, tokens: 0, costMicros: 50_000, callId: 'c1' };
    const charged: RunEvent = { type: 'UsageCharged', data: toolCharge };
    expect(decideRun({ type: 'ChargeUsage', data: toolCharge }, given(started, modelCall(1)))).toEqual([charged]);
    const after = given(started, modelCall(1), charged);
    expect(decideRun({ type: 'ChargeUsage', data: toolCharge }, after)).toEqual([]);
    const other = { ...toolCharge, callId: 'c2' };
    expect(decideRun({ type: 'ChargeUsage', data: other }, after)).toEqual([{ type: 'UsageCharged', data: other }]);
    const model = { runId, tokens: 30, costMicros: 40 };
    expect(decideRun({ type: 'ChargeUsage', data: model }, after)).toEqual([{ type: 'UsageCharged', data: model }]);
  });

  it('records nothing after the end, and a stop after the end is no change', () => {
    const ended = given(started, { type: 'RunSucceeded', data: { runId, result: 'done' } });
    refused({ type: 'Fail', data: { runId, reason: 'x', code: 'INTERNAL' } }, ended);
    expect(decideRun({ type: 'Stop', data: { runId, reason: 'lease lost' } }, ended)).toEqual([]);
  });
});
