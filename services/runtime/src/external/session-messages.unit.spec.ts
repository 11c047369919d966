import { describe, expect, it } from 'vitest';
import { NO_FAILURE_REASON, validateAttach, validateOutcome, validateStep, validateToolCall } from './session-messages';

const taskId = '6f1c1c0e-2a43-4b8e-9a57-3f0e2d1b5c11';
const fieldOf = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return { code: (err as { code?: string }).code, field: (err as { field?: string }).field };
  }
  return undefined;
};

describe('what an external agent sends', () => {
  it('attach: an agent id (UUID, lower-cased) and 0 meaning one task at a time, at most 64', () => {
    expect(validateAttach({ agentId: taskId.toUpperCase(), maxConcurrentTasks: 0 })).toEqual({
      agentId: taskId,
      maxConcurrentTasks: 1,
    });
    expect(validateAttach({ agentId: taskId, maxConcurrentTasks: 64 }).maxConcurrentTasks).toBe(64);
    expect(fieldOf(() => validateAttach(undefined))).toEqual({ code: 'INVALID_ARGUMENT', field: 'attach' });
    expect(fieldOf(() => validateAttach({ agentId: '', maxConcurrentTasks: 1 }))?.field).toBe('attach.agent_id');
    expect(fieldOf(() => validateAttach({ agentId: taskId, maxConcurrentTasks: 65 }))?.field).toBe(
      'attach.max_concurrent_tasks',
    );
    expect(fieldOf(() => validateAttach({ agentId: taskId, maxConcurrentTasks: -1 }))?.field).toBe(
      'attach.max_concurrent_tasks',
    );
  });

  it('tool_call: task, call id and tool name are required; the arguments are left to the governed call', () => {
    const call = { taskId, callId: 'c1', toolName: 'echo', argumentsJson: 'not json' };
    expect(validateToolCall(call)).toEqual(call);
    expect(fieldOf(() => validateToolCall({ ...call, taskId: 'x' }))?.field).toBe('tool_call.task_id');
    expect(fieldOf(() => validateToolCall({ ...call, callId: '' }))?.field).toBe('tool_call.call_id');
    expect(fieldOf(() => validateToolCall({ ...call, callId: 'c'.repeat(129) }))?.field).toBe('tool_call.call_id');
    expect(fieldOf(() => validateToolCall({ ...call, toolName: '' }))?.field).toBe('tool_call.tool_name');
    expect(fieldOf(() => validateToolCall({ ...call, argumentsJson: 'x'.repeat(64 * 1024 + 1) }))?.field).toBe(
      'tool_call.arguments_json',
    );
  });

  it('step: a summary of 1-2000 characters and optional JSON detail', () => {
    expect(validateStep({ taskId, summary: 'read it', detailJson: '{"n":1}' })).toEqual({
      taskId,
      summary: 'read it',
      detailJson: '{"n":1}',
    });
    expect(validateStep({ taskId, summary: 'read it' }).detailJson).toBe('');
    expect(fieldOf(() => validateStep({ taskId, summary: ' ' }))?.field).toBe('step.summary');
    expect(fieldOf(() => validateStep({ taskId, summary: 's'.repeat(2001) }))?.field).toBe('step.summary');
    expect(fieldOf(() => validateStep({ taskId, summary: 'ok', detailJson: '{' }))?.field).toBe('step.detail_json');
  });

  it('outcome: a result within routing’s limit, or a failure with a reason (one is supplied when empty)', () => {
    expect(validateOutcome({ taskId, succeeded: true, result: 'done' })).toEqual({
      taskId,
      succeeded: true,
      result: 'done',
    });
    expect(validateOutcome({ taskId, succeeded: false, failureReason: '' })).toEqual({
      taskId,
      succeeded: false,
      reason: NO_FAILURE_REASON,
    });
    expect(fieldOf(() => validateOutcome({ taskId, succeeded: true, result: 'r'.repeat(64 * 1024 + 1) }))?.field).toBe(
      'outcome.result',
    );
    expect(fieldOf(() => validateOutcome({ taskId, succeeded: false, failureReason: 'r'.repeat(1001) }))?.field).toBe(
      'outcome.failure_reason',
    );
  });
});
