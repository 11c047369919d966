import { describe, expect, it } from 'vitest';
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
  const check = (...actions: unknown[]) => unknownNames(readDraft(draftOf(...actions)).draft!, directory);

  it('knows names in any letter case, and ids, of every kind the directory holds', () => {
    expect(
      check(
        { action: 'grant_tools', agents: { name: 'Billing-Helper' }, tools: ['LEDGER', 'tool-ledger-01'] },
        { action: 'grant_knowledge', agents: { name: AGENTS.supportBot.id }, knowledgeBases: ['handbook'] },
        { action: 'revoke_role', principal: 'eve', role: 'viewer' },
        // New names and what the directory does not hold are not references.
        { action: 'create_agent', name: 'brand-new', capabilities: ['anything'] },
        { action: 'cancel_task', task: 'task-123' },
      ),
    ).toEqual([]);
  });

  it('lists every name that is neither', () => {
    expect(
      check(
        { action: 'create_agent', name: 'brand-new', knowledgeBases: ['handbook', 'secrets'] },
        { action: 'assign_role', principal: 'root', role: 'superuser' },
        { action: 'submit_task', text: 'do it', agent: 'ghost' },
      ),
    ).toEqual([
      "actions[0].knowledgeBases[1]: no knowledge base 'secrets' in the tenant",
      "actions[1].principal: no principal 'root' in the tenant",
      "actions[1].role: no role 'superuser' in the tenant",
      "actions[2].agent: no agent 'ghost' in the tenant",
    ]);
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
