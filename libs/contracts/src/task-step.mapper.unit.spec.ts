import { describe, expect, it } from 'vitest';
import { taskIdOfRun } from '@aos/domain';
import { isStepOfTask, toTaskStep } from './task-step.mapper';

const taskId = '0b6c6a59-7d2a-5c51-9a55-3f1a0a4e7c11';
const base = { time: '2026-01-02T03:04:05.678Z', position: 42 };

describe('toTaskStep', () => {
  it('turns a task event into a step of the task itself, with a one-line summary and its data', () => {
    const step = toTaskStep({
      ...base,
      type: 'TaskFailed',
      category: 'task',
      streamId: taskId,
      data: { taskId, runId: `${taskId}-1`, reason: 'the budget\nis used up', code: 'RESOURCE_EXHAUSTED' },
    });
    expect(step).toEqual({
      type: 'TaskFailed',
      time: { seconds: 1767323045, nanos: 678_000_000 },
      position: 42,
      runId: '',
      summary: 'failed (RESOURCE_EXHAUSTED): the budget is used up',
      dataJson: JSON.stringify({
        taskId,
        runId: `${taskId}-1`,
        reason: 'the budget\nis used up',
        code: 'RESOURCE_EXHAUSTED',
      }),
    });
  });

  it('names the run of a run event and summarises a tool call', () => {
    const step = toTaskStep({
      ...base,
      type: 'ToolCalled',
      category: 'run',
      streamId: `${taskId}-2`,
      data: { runId: `${taskId}-2`, toolName: 'lookup_invoice', decision: 'ALLOWED', outcome: 'ok', error: '' },
    });
    expect(step.runId).toBe(`${taskId}-2`);
    expect(step.summary).toBe('tool lookup_invoice: ALLOWED, ok');
  });

  it("summarises a model call's usage by its tokens and a priced tool call's charge by its call", () => {
    const charge = (data: Record<string, unknown>) =>
      toTaskStep({ ...base, type: 'UsageCharged', category: 'run', streamId: `${taskId}-1`, data }).summary;
    expect(charge({ runId: `${taskId}-1`, tokens: 30, costMicros: 40_000 })).toBe('charged 30 tokens, 40000 micros');
    expect(charge({ runId: `${taskId}-1`, tokens: 0, costMicros: 20_000, callId: 'c1' })).toBe(
      'charged 20000 micros for tool call c1',
    );
  });

  it('summarises a knowledge search with the knowledge bases searched and the citations found', () => {
    const step = toTaskStep({
      ...base,
      type: 'KnowledgeSearched',
      category: 'run',
      streamId: `${taskId}-1`,
      data: { query: 'refunds', knowledgeBaseIds: ['kb-1'], decision: 'ALLOWED', citations: [{}, {}], error: '' },
    });
    expect(step.summary).toBe('knowledge search "refunds" in [kb-1]: 2 citations');
  });

  it('cuts long summaries and says only the type of an event it does not know', () => {
    const long = toTaskStep({
      ...base,
      type: 'TaskSucceeded',
      category: 'task',
      streamId: taskId,
      data: { result: 'x'.repeat(500) },
    });
    expect(long.summary.length).toBe(200);
    expect(long.summary.endsWith('…')).toBe(true);
    expect(
      toTaskStep({ ...base, type: 'SomethingNew', category: 'run', streamId: `${taskId}-1`, data: null }).summary,
    ).toBe('SomethingNew');
  });
});

describe('isStepOfTask', () => {
  it('takes the task stream and its run streams only', () => {
    expect(isStepOfTask({ category: 'task', streamId: taskId }, taskId)).toBe(true);
    expect(isStepOfTask({ category: 'run', streamId: `${taskId}-12` }, taskId)).toBe(true);
    expect(isStepOfTask({ category: 'run', streamId: `${taskId}x-1` }, taskId)).toBe(false);
    expect(isStepOfTask({ category: 'agent', streamId: taskId }, taskId)).toBe(false);
    expect(taskIdOfRun('no-attempt-')).toBeUndefined();
  });
});
