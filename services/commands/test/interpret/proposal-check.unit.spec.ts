import { describe, expect, it } from 'vitest';
import { resolveDraft } from '@aos/command-language';
import { forbiddenSteps, readDraft, unknownNames } from '../../src/interpret/proposal-check';
import { AGENTS, directory } from './directory.fixture';

const draftOf = (...actions: unknown[]) => JSON.stringify({ actions, questions: [], notes: [] });

describe('readDraft', () => {
  it('reads a valid draft', () => {
    const reading = readDraft(draftOf({ action: 'deploy_agents', agents: { capability: 'support' } }));
    expect(reading.problem).toBeUndefined();
    expect(reading.draft?.actions).toEqual([{ action: 'deploy_agents', agents: { capability: 'support' } }]);
  });

  it.each([
    ['{"actions": [', /^the arguments are not JSON \(/],
    ['[1]', /^expected object, got array$/],
    ['{"actions": []}', /^questions: expected array, got nothing \(and 1 more problem\)$/],
    [
      draftOf({ action: 'set_budget', period: 'YEAR' }),
      /^actions\[0\]\.period: 'YEAR' is not one of DAY, WEEK, MONTH$/,
    ],
    [
      draftOf({ action: 'pause_agents', agents: { nme: 'x', id: 'y' } }),
      /^actions\[0\]\.agents: unknown fields 'nme', 'id'$/,
    ],
    [draftOf({ action: 'x'.repeat(500) }), /^actions\[0\]\.action: unknown action 'x{79}…'$/],
  ])('names the problem of %s', (json, problem) => {
    expect(readDraft(json).problem).toMatch(problem);
  });
});

describe('unknownNames', () => {
  it('lists what the resolver asks about names the tenant does not have, and none of its other questions', () => {
    const draft = readDraft(
      draftOf(
        { action: 'retire_agents', agents: { name: 'agt-77aa-of-another-tenant' } },
        // Found by the resolver although not spelled as in the directory: not unknown.
        { action: 'grant_tools', agents: { name: 'Support Bot' }, tools: ['LEDGER'] },
        { action: 'assign_role', principal: 'eve', role: 'tenant admin' },
        { action: 'grant_knowledge', agents: { name: AGENTS.billingHelper.id }, knowledgeBases: ['handbok'] },
        // A question for the person (which limit?), not a fault of the proposal.
        { action: 'set_budget', agent: 'billing-helper', period: 'DAY' },
      ),
    ).draft!;
    const resolution = resolveDraft(draft, directory, { now: new Date('2025-03-04T10:00:00Z') });

    expect(unknownNames(resolution)).toEqual([
      'No agent is called agt-77aa-of-another-tenant.',
      'No knowledge base is called handbok. Did you mean handbook?',
    ]);
    expect(resolution.questions.length).toBeGreaterThan(2);
  });

  it('leaves out the questions the draft asked itself', () => {
    const question = { text: 'No agent is called x.', options: [] };
    const draft = { actions: [], questions: [question], notes: [] };
    const resolution = resolveDraft(draft, directory, { now: new Date('2025-03-04T10:00:00Z') });
    expect(resolution.questions).toEqual([question]);
    expect(unknownNames(resolution)).toEqual([]);
  });
});

describe('forbiddenSteps', () => {
  it('names each step the caller may not run, with the permission it needs', () => {
    const step = (service: string, method: string) => ({ service, method, request: {}, inputs: [], preview: method });
    const steps = [step('AgentService', 'ListAgents'), step('GovernanceService', 'AssignRole')];
    expect(forbiddenSteps(steps, (s) => s.method === 'ListAgents')).toEqual(['AssignRole (roles.assign)']);
    expect(forbiddenSteps(steps, () => true)).toEqual([]);
  });
});
