import { describe, expect, it } from 'vitest';
import { AccessDecision, RuleEffect, type PolicyRule, type ToolRegistered } from '@aos/contracts';
import { grantRefusal, verdictOf } from './governed-tool-call';

const definition: ToolRegistered = {
  toolId: 'tool-1',
  name: 'refund',
  description: '',
  kind: 'HTTP',
  risk: 'WRITE',
  http: { endpoint: 'https://pay.example.com', method: 'POST' },
  mcp: null,
  inputSchemaJson: '{"type":"object"}',
  createdBy: 'u',
};
const rule = (effect: RuleEffect) => ({ effect }) as PolicyRule;

describe("a tool call: the agent's grant, then the policy", () => {
  it('refuses an unknown tool, one not among the tool_ids, and a disabled one, without asking governance', () => {
    expect(grantRefusal('nope', undefined, ['tool-1'])?.reason).toMatch(/no tool named "nope"/);
    expect(grantRefusal('refund', { definition, enabled: true }, ['other'])?.reason).toMatch(
      /not granted to the agent/,
    );
    expect(grantRefusal('refund', { definition, enabled: false }, ['tool-1'])?.reason).toMatch(/disabled/);
    expect(grantRefusal('refund', { definition, enabled: true }, ['tool-1'])).toBeUndefined();
  });

  it('runs a granted tool that no rule mentions (the grant is enough), or that a rule allows', () => {
    const noRule = verdictOf(definition, {
      decision: AccessDecision.DENIED,
      explanation: 'denied: no role or rule grants',
    });
    expect(noRule).toMatchObject({
      kind: 'run',
      decision: 'ALLOWED',
      reason: expect.stringMatching(/no policy rule applies/),
    });
    expect(verdictOf(definition, { decision: AccessDecision.ALLOWED, explanation: 'allowed: rule r1' })).toMatchObject({
      kind: 'run',
      decision: 'ALLOWED',
    });
  });

  it('refuses a granted tool that a DENY rule covers', () => {
    const verdict = verdictOf(definition, {
      decision: AccessDecision.DENIED,
      explanation: 'denied: rule r9 denies',
      matchedRule: rule(RuleEffect.DENY),
    });
    expect(verdict).toEqual({ kind: 'refuse', decision: 'DENIED', toolId: 'tool-1', reason: 'denied: rule r9 denies' });
  });

  it('waits for approval when the rule requires it; ends the run when the budget is used up', () => {
    expect(
      verdictOf(definition, { decision: AccessDecision.APPROVAL_REQUIRED, explanation: 'approval required' }).kind,
    ).toBe('approval');
    expect(verdictOf(definition, { decision: AccessDecision.BUDGET_EXHAUSTED, explanation: 'exhausted' }).kind).toBe(
      'exhausted',
    );
  });
});
