import type { CheckAccessResponse } from '@aos/contracts';
import { taskScopeOf } from '@aos/request-fields';
import { policyOf } from '../governed-tool-call';

/**
 * How an agent's definition and governance's policy combine for the built-in
 * tools, as for a registered tool (governed-tool-call.ts): the definition is
 * the grant — what it does not cover is refused without asking governance —
 * and for what it covers governance decides further: a DENY rule refuses, a
 * rule requiring approval waits for a person (context) or leaves the
 * knowledge base out (a search does not wait), a used-up budget ends the run,
 * an ALLOW rule or no rule at all lets it run.
 */

/** The label naming an agent's teams, comma-separated: its `team/<label>` context scopes. */
export const TEAM_LABEL = 'team';
export const KNOWLEDGE_READ = 'knowledge.read';
export const CONTEXT_READ = 'context.read';
export const CONTEXT_WRITE = 'context.write';

/** The teams of the agent's `team` label ("sales, emea" → sales, emea). */
export function teamsOf(labels: Readonly<Record<string, string>>): string[] {
  const value = labels[TEAM_LABEL] ?? '';
  return [...new Set(value.split(',').map((team) => team.trim()))].filter((team) => team !== '');
}

export interface KnowledgeBaseRefusal {
  knowledgeBaseId: string;
  reason: string;
}

/** The knowledge bases the grant lets a search ask governance about, and those it refuses. */
export interface KnowledgeSelection {
  candidates: string[];
  refused: KnowledgeBaseRefusal[];
}

const KNOWLEDGE_BASE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The grant: the agent's knowledge_base_ids. Asked for none in particular,
 * the search covers all of them; a knowledge base asked for that is not among
 * them is refused. Ids are compared and asked about in lower case, as the
 * resources service reads them: otherwise a rule on `kb/<id>` could be
 * sidestepped by writing the id in upper case in the definition. An entry
 * that is not a knowledge base id (a typo, a name) is refused, and does not
 * spoil the search of the others.
 */
export function knowledgeBasesToSearch(
  grantedIds: readonly string[],
  asked: readonly string[] | undefined,
): KnowledgeSelection {
  const granted = new Set(grantedIds.map((id) => id.toLowerCase()));
  const candidates: string[] = [];
  const refused: KnowledgeBaseRefusal[] = [];
  for (const given of asked ?? [...granted]) {
    const id = given.toLowerCase();
    if (!KNOWLEDGE_BASE_ID.test(id)) {
      refused.push({ knowledgeBaseId: given, reason: `${given} is not a knowledge base id (a UUID)` });
    } else if (!granted.has(id)) {
      refused.push({
        knowledgeBaseId: id,
        reason: `knowledge base ${id} is not granted to the agent (not among its knowledge_base_ids)`,
      });
    } else if (!candidates.includes(id)) {
      candidates.push(id);
    }
  }
  return { candidates, refused };
}

/** What a search may read after governance: the knowledge bases to search, or why nothing. */
export type SearchVerdict =
  | { kind: 'search'; knowledgeBaseIds: string[]; refused: KnowledgeBaseRefusal[]; reason: string }
  | { kind: 'refuse'; refused: KnowledgeBaseRefusal[]; reason: string }
  | { kind: 'exhausted'; refused: KnowledgeBaseRefusal[]; reason: string };

/**
 * Governance's answers to CheckAccess(agent, knowledge.read, kb/<id>), one per
 * candidate in order, applied: a DENY rule refuses that knowledge base, as
 * does a rule requiring approval (a search does not wait for a person); a
 * used-up budget refuses the search and ends the run; nothing left refuses it.
 */
export function searchVerdict(
  selection: KnowledgeSelection,
  answers: readonly Pick<CheckAccessResponse, 'decision' | 'explanation' | 'matchedRule'>[],
): SearchVerdict {
  const refused = [...selection.refused];
  const searched: string[] = [];
  const reasons = new Set<string>();
  for (const [i, knowledgeBaseId] of selection.candidates.entries()) {
    const policy = policyOf(answers[i]!, "granted by the agent's knowledge_base_ids");
    switch (policy.kind) {
      case 'allow':
        searched.push(knowledgeBaseId);
        reasons.add(policy.reason);
        break;
      case 'deny':
        refused.push({ knowledgeBaseId, reason: policy.reason });
        break;
      case 'approval':
        refused.push({
          knowledgeBaseId,
          reason: `${policy.reason}; a knowledge search does not wait for a person's approval`,
        });
        break;
      case 'exhausted':
        return { kind: 'exhausted', refused, reason: policy.reason };
      default:
        return policy satisfies never;
    }
  }
  if (searched.length > 0) {
    return { kind: 'search', knowledgeBaseIds: searched, refused, reason: [...reasons].join('; ') };
  }
  const reason =
    refused.length === 0
      ? 'the agent has no knowledge bases to search (its knowledge_base_ids is empty)'
      : `no knowledge base may be searched: ${refused.map((r) => r.reason).join('; ')}`;
  return { kind: 'refuse', refused, reason };
}

/** The agent's context grant: its task's scope, its teams' scopes, and the tenant's. */
export interface ContextGrant {
  teams: readonly string[];
  taskCorrelationId: string;
}

export type ScopeGrant = { granted: true; scope: string; why: string } | { granted: false; reason: string };

/**
 * The scope a context call works in, and why the agent may use it: none
 * named is the task's own (`task/<correlation-id>`, shared by the agents
 * working on one request); `team/<label>` only for a team of its `team`
 * label; `tenant` always. Another request's task scope, another team's, or
 * anything else is refused.
 */
export function contextScopeOf(grant: ContextGrant, asked: string | undefined): ScopeGrant {
  const taskScope = grant.taskCorrelationId ? taskScopeOf(grant.taskCorrelationId) : '';
  const scope = asked ?? taskScope;
  if (scope === '') {
    return { granted: false, reason: 'the task has no correlation id, so it has no task scope: name a scope' };
  }
  if (scope === 'tenant') return { granted: true, scope, why: 'the tenant scope is open to every agent' };
  if (scope === taskScope) return { granted: true, scope, why: "the scope is the agent's task's" };
  if (scope.startsWith('team/')) {
    const team = scope.slice('team/'.length);
    if (grant.teams.includes(team)) {
      return { granted: true, scope, why: `the agent is in team ${team} (label ${TEAM_LABEL})` };
    }
    const teams = grant.teams.length > 0 ? grant.teams.join(', ') : 'none';
    return {
      granted: false,
      reason: `scope ${scope} is not granted to the agent: it is not in team ${team} (its label ${TEAM_LABEL}: ${teams})`,
    };
  }
  if (scope.startsWith('task/')) {
    return {
      granted: false,
      reason: `scope ${scope} is another request's: the agent's task scope is ${taskScope || '(none)'}`,
    };
  }
  return { granted: false, reason: `scope ${JSON.stringify(scope)} is not "tenant", "team/<label>" or "task/<id>"` };
}
