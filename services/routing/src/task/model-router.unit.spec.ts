import { describe, expect, it } from 'vitest';
import { parseChoice, type ModelRouterCandidate } from './model-router';

const candidates: ModelRouterCandidate[] = [
  { agentId: 'a1', name: 'billing-bot', description: '', capabilities: [] },
  { agentId: 'a2', name: 'it-helpdesk', description: '', capabilities: [] },
];

describe('parseChoice', () => {
  it('reads the candidate by number or by name, with the rationale', () => {
    expect(parseChoice('{"agent": 2, "rationale": "IT"}', candidates)).toEqual({ agentId: 'a2', rationale: 'IT' });
    expect(parseChoice('Sure! {"agent": "Billing-Bot", "rationale": " money "} done', candidates)).toEqual({
      agentId: 'a1',
      rationale: 'money',
    });
    expect(parseChoice('{"agent": "1"}', candidates)).toEqual({ agentId: 'a1', rationale: '(no reason given)' });
  });

  it('refuses answers that name no candidate or hold no JSON', () => {
    expect(() => parseChoice('billing-bot', candidates)).toThrow(/no JSON object/);
    expect(() => parseChoice('{"agent": 3}', candidates)).toThrow(/none of the candidates/);
    expect(() => parseChoice('{"agent": "hr-bot"}', candidates)).toThrow(/none of the candidates/);
    expect(() => parseChoice('{agent: 1}', candidates)).toThrow(/not valid JSON/);
  });
});
