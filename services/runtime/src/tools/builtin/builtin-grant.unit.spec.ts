import { describe, expect, it } from 'vitest';
import { AccessDecision, RuleEffect, type PolicyRule } from '@aos/contracts';
import { validateContextScope } from '@aos/request-fields';
import { contextRequestId } from './builtin-tool-call';
import { contextScopeOf, knowledgeBasesToSearch, searchVerdict, teamsOf } from './builtin-grant';
import { builtinFunctionTools, isBuiltinTool } from './builtin-tools';

const noRule = {
  decision: AccessDecision.DENIED,
  explanation: 'denied: no role or rule grants agent:a1 knowledge.read',
};
const allowRule = { decision: AccessDecision.ALLOWED, explanation: 'allowed: rule r1' };
const denyRule = {
  decision: AccessDecision.DENIED,
  explanation: 'denied: rule r9 denies agent:a1 knowledge.read on kb/hr',
  matchedRule: { effect: RuleEffect.DENY } as PolicyRule,
};
const approvalRule = { decision: AccessDecision.APPROVAL_REQUIRED, explanation: 'approval required: rule r3' };
const exhausted = {
  decision: AccessDecision.BUDGET_EXHAUSTED,
  explanation: 'allowed; but the tenant budget is exhausted',
};

describe('the built-in tools offered to a model', () => {
  it('offers knowledge_search only to an agent with knowledge bases, context_get and context_put to every agent', () => {
    const names = (ids: string[]) => builtinFunctionTools({ knowledgeBaseIds: ids }).map((t) => t.function.name);
    expect(names([])).toEqual(['context_get', 'context_put']);
    expect(names(['kb-1'])).toEqual(['knowledge_search', 'context_get', 'context_put']);
    expect(isBuiltinTool('context_put')).toBe(true);
    expect(isBuiltinTool('lookup_invoice')).toBe(false);
  });
});

describe("knowledge_search: the agent's knowledge_base_ids, then the policy per knowledge base", () => {
  const KB1 = '0b0e9c1e-5b0e-4a53-9c55-9d1b3f6f0a01';
  const KB2 = '0b0e9c1e-5b0e-4a53-9c55-9d1b3f6f0a02';
  const KBX = '0b0e9c1e-5b0e-4a53-9c55-9d1b3f6f0aff';

  it('searches every granted knowledge base when none is asked for, and refuses asked ones outside the grant', () => {
    expect(knowledgeBasesToSearch([KB1, KB2], undefined)).toEqual({ candidates: [KB1, KB2], refused: [] });
    const selection = knowledgeBasesToSearch([KB1, KB2], [KB2, KBX]);
    expect(selection.candidates).toEqual([KB2]);
    expect(selection.refused).toEqual([
      { knowledgeBaseId: KBX, reason: expect.stringMatching(/is not granted to the agent/) },
    ]);
  });

  it('asks about ids in lower case (a rule on kb/<id> cannot be sidestepped by the case) and refuses what is not an id', () => {
    const selection = knowledgeBasesToSearch([KB1.toUpperCase(), 'handbook'], undefined);
    expect(selection.candidates).toEqual([KB1]);
    expect(selection.refused).toEqual([
      { knowledgeBaseId: 'handbook', reason: 'handbook is not a knowledge base id (a UUID)' },
    ]);
    expect(knowledgeBasesToSearch([KB1], [KB1.toUpperCase()]).candidates).toEqual([KB1]);
  });

  it('lets a granted knowledge base with no rule (the grant is enough) or an allowing rule be searched', () => {
    const verdict = searchVerdict({ candidates: ['kb-1', 'kb-2'], refused: [] }, [noRule, allowRule]);
    expect(verdict).toMatchObject({ kind: 'search', knowledgeBaseIds: ['kb-1', 'kb-2'], refused: [] });
    expect(verdict.reason).toMatch(/knowledge_base_ids; no policy rule applies/);
  });

  it('leaves out a knowledge base a DENY rule covers, or one whose reading needs approval, and says why', () => {
    const verdict = searchVerdict({ candidates: ['kb-1', 'hr', 'legal'], refused: [] }, [
      noRule,
      denyRule,
      approvalRule,
    ]);
    expect(verdict.kind).toBe('search');
    expect(verdict.kind === 'search' && verdict.knowledgeBaseIds).toEqual(['kb-1']);
    expect(verdict.refused).toEqual([
      { knowledgeBaseId: 'hr', reason: denyRule.explanation },
      { knowledgeBaseId: 'legal', reason: expect.stringMatching(/does not wait for a person's approval/) },
    ]);
  });

  it('refuses the search when nothing is left, naming every reason, and when the agent has no knowledge bases', () => {
    const all = searchVerdict(
      { candidates: ['hr'], refused: [{ knowledgeBaseId: 'kb-x', reason: 'kb-x is not granted' }] },
      [denyRule],
    );
    expect(all).toMatchObject({ kind: 'refuse' });
    expect(all.reason).toMatch(/no knowledge base may be searched: kb-x is not granted; denied: rule r9/);
    expect(all.refused.map((r) => r.knowledgeBaseId)).toEqual(['kb-x', 'hr']);
    expect(searchVerdict({ candidates: [], refused: [] }, []).reason).toMatch(/knowledge_base_ids is empty/);
  });

  it('ends the run when a budget is used up', () => {
    expect(searchVerdict({ candidates: ['kb-1'], refused: [] }, [exhausted]).kind).toBe('exhausted');
  });
});

describe('context scopes: the task’s, the agent’s teams’, the tenant’s', () => {
  const grant = { teams: teamsOf({ team: ' sales, emea ,,sales' }), taskCorrelationId: 'req-42' };

  it('reads the teams from the label team (comma-separated)', () => {
    expect(grant.teams).toEqual(['sales', 'emea']);
    expect(teamsOf({})).toEqual([]);
  });

  it('gives a correlation id a client chose outside the key alphabet a scope that is still valid, the same each time', () => {
    const odd = { teams: [], taskCorrelationId: 'order 17/eu; retry=2' };
    const verdict = contextScopeOf(odd, undefined);
    expect(verdict).toMatchObject({ granted: true });
    const scope = (verdict as { scope: string }).scope;
    expect(scope).toMatch(/^task\/sha256:[0-9a-f]{32}$/);
    expect(validateContextScope(scope)).toBe(scope);
    expect(contextScopeOf(odd, undefined)).toEqual(verdict);
  });

  it("defaults to the task's scope, and grants it, the agent's teams and the tenant", () => {
    expect(contextScopeOf(grant, undefined)).toMatchObject({ granted: true, scope: 'task/req-42' });
    expect(contextScopeOf(grant, 'task/req-42')).toMatchObject({ granted: true, scope: 'task/req-42' });
    expect(contextScopeOf(grant, 'team/emea')).toMatchObject({
      granted: true,
      why: expect.stringMatching(/team emea/),
    });
    expect(contextScopeOf(grant, 'tenant')).toMatchObject({ granted: true, scope: 'tenant' });
  });

  it("refuses another team's scope, another request's, and anything else", () => {
    expect(contextScopeOf(grant, 'team/hr')).toEqual({
      granted: false,
      reason: 'scope team/hr is not granted to the agent: it is not in team hr (its label team: sales, emea)',
    });
    expect(contextScopeOf(grant, 'task/req-7')).toMatchObject({
      granted: false,
      reason: expect.stringMatching(/another request's: the agent's task scope is task\/req-42/),
    });
    expect(contextScopeOf(grant, 'global')).toMatchObject({ granted: false });
    expect(contextScopeOf({ teams: [], taskCorrelationId: '' }, undefined)).toMatchObject({
      granted: false,
      reason: expect.stringMatching(/no task scope/),
    });
  });
});

describe('context_put request ids', () => {
  it('are the same for a retried step and differ when a reused call id carries another write', () => {
    const write = ['task/req-42', 'plan', undefined, '{"step":1}'];
    expect(contextRequestId('run-1', 'call-1', write)).toBe(contextRequestId('run-1', 'call-1', [...write]));
    expect(contextRequestId('run-1', 'call-1', write)).not.toBe(
      contextRequestId('run-1', 'call-1', ['task/req-42', 'plan', undefined, '{"step":2}']),
    );
    expect(contextRequestId('run-1', 'call-1', write)).not.toBe(contextRequestId('run-2', 'call-1', write));
    expect(contextRequestId('r'.repeat(200), 'c'.repeat(200), write).length).toBeLessThanOrEqual(128);
  });
});
