import { describe, expect, it } from 'vitest';
import { AccessDecision, RuleEffect, taskIdOfRun, type PolicyRule } from '@aos/contracts';
import { decideDirectCall, initialDirectCallState, type DirectToolCalledData } from './direct-tool-call.decider';
import { principalVerdict } from './direct-tool-call.policy';
import { directStreamId } from './direct-tool-call.handler';

const allowed = { decision: AccessDecision.ALLOWED, explanation: 'allowed: role tenant-admin grants *' };
const noRule = { decision: AccessDecision.DENIED, explanation: 'denied: no role or rule grants user:bob tools.call' };
const denied = {
  decision: AccessDecision.DENIED,
  explanation: 'denied: rule r9 denies group:contractors tools.call on tools/t1',
  matchedRule: { effect: RuleEffect.DENY } as PolicyRule,
};
const approval = { decision: AccessDecision.APPROVAL_REQUIRED, explanation: 'approval required: rule r3' };

describe("a principal's direct tool call: its grant subjects' roles and rules", () => {
  it('runs when a role or rule grants tools.call to one of its subjects', () => {
    expect(principalVerdict([noRule, allowed])).toEqual({ kind: 'run', reason: allowed.explanation });
  });

  it('refuses without a grant: a principal has none of its own (unlike an agent, whose tool_ids are one)', () => {
    expect(principalVerdict([noRule])).toEqual({ kind: 'refuse', reason: noRule.explanation });
  });

  it('refuses when any subject is denied by a rule, even if another is allowed', () => {
    expect(principalVerdict([allowed, denied])).toEqual({ kind: 'refuse', reason: denied.explanation });
  });

  it('refuses a call that needs approval, saying why it cannot wait', () => {
    const verdict = principalVerdict([allowed, approval]);
    expect(verdict.kind).toBe('refuse');
    expect(verdict.reason).toMatch(/^approval required: rule r3; a direct call outside a task cannot wait/);
  });
});

describe('the direct call stream', () => {
  it('is named from the tenant and request id, and is no task’s run', () => {
    const id = directStreamId('acme', 'req-1');
    expect(id).toMatch(/^direct_[0-9a-f]{32}$/);
    expect(directStreamId('acme', 'req-1')).toBe(id);
    expect(directStreamId('other', 'req-1')).not.toBe(id);
    expect(taskIdOfRun(id)).toBeUndefined();
  });

  it('records the call once', () => {
    const data = { requestId: 'req-1', toolName: 'echo' } as DirectToolCalledData;
    expect(decideDirectCall({ type: 'RecordDirectToolCall', data }, initialDirectCallState)).toEqual([
      { type: 'DirectToolCalled', data },
    ]);
    expect(decideDirectCall({ type: 'RecordDirectToolCall', data }, { status: 'RECORDED' })).toEqual([]);
  });

  it("records a priced call's charge after it, once", () => {
    const data = { requestId: 'req-2', toolName: 'lookup' } as DirectToolCalledData;
    const charged = { runId: 'direct_x', tokens: 0, costMicros: 20_000 };
    const command = { type: 'RecordDirectToolCall' as const, data, charged };
    expect(decideDirectCall(command, initialDirectCallState)).toEqual([
      { type: 'DirectToolCalled', data },
      { type: 'UsageCharged', data: charged },
    ]);
    expect(decideDirectCall(command, { status: 'RECORDED' })).toEqual([]);
  });
});
