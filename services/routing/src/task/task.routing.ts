import { mayBeGivenTasks, type RoutingDecisionData } from '@aos/contracts';
import { hasCapabilities, type AgentInfo } from '../agent/agent.roster';
import type { RoutingModel } from '../routing.model';
import type { ModelRouting } from './model-router';
import type { RoutingCause, RoutingOutcome } from './task.decider';

/** The decision lists at most this many candidates. */
export const MAX_CANDIDATES = 5;

export interface RoutingRequest {
  text: string;
  requiredCapabilities: readonly string[];
  /** '' unless the submitter named the agent. */
  requestedAgentId: string;
  cause: RoutingCause;
  /** An agent that must not be chosen (the one just retired). */
  excludeAgentId?: string;
}

/**
 * Chooses an agent for a task against the projection as it stands: the named
 * agent when the submitter named one that may take it, otherwise the best of
 * the tenant's ACTIVE agents that have every required capability, ranked by
 * the tenant's CapabilityRouter (BM25 over name, description, capabilities and
 * learned task texts, less a load penalty). With no eligible agent the outcome
 * has no agent: the task is QUEUED.
 */
export function chooseAgent(
  projection: RoutingModel,
  tenantId: string,
  request: RoutingRequest,
  eligible: readonly AgentInfo[] = eligibleAgents(projection, tenantId, request),
): RoutingOutcome {
  const { cause } = request;
  const requested = request.requestedAgentId ? projection.agents.get(tenantId, request.requestedAgentId) : undefined;
  if (requested && requested.agentId !== request.excludeAgentId && mayBeGivenTasks(requested.status)) {
    const queueLength = projection.loadOf(tenantId, requested.agentId).queued;
    const waits = requested.status === 'PAUSED' ? '; the agent is PAUSED, so the task waits until it is resumed' : '';
    return {
      agentId: requested.agentId,
      cause,
      decision: {
        router: 'requested',
        chosenAgentId: requested.agentId,
        candidates: [
          {
            agentId: requested.agentId,
            agentName: requested.name,
            score: 1,
            lexicalScore: 0,
            loadPenalty: 0,
            queueLength,
          },
        ],
        rationale: `the submitter asked for ${requested.name}${waits}`,
      },
    };
  }

  const capabilities = request.requiredCapabilities.length
    ? ` with capabilities [${request.requiredCapabilities.join(', ')}]`
    : '';
  const lostRequested = request.requestedAgentId ? `the requested agent cannot take it and ` : '';
  if (eligible.length === 0) {
    return queued(
      cause,
      `${lostRequested}no ACTIVE agent${capabilities} can take the task; it waits until one is deployed or resumed`,
    );
  }

  const router = projection.router(tenantId);
  const decided = router.route(request.text, {
    requiredCapabilities: [...request.requiredCapabilities],
    topK: MAX_CANDIDATES + 1,
  });
  const byId = new Map(eligible.map((a) => [a.agentId, a]));
  const ranked = decided.candidates.filter((c) => byId.has(c.agentId)).slice(0, MAX_CANDIDATES);
  const pool = `${eligible.length} ACTIVE agent${eligible.length === 1 ? '' : 's'}${capabilities}`;
  if (ranked.length > 0) {
    const best = ranked[0]!;
    const chosen = byId.get(best.agentId)!;
    // The router explains its own choice as `<name>: <matched words> (lexical …)`.
    const explained =
      decided.chosenAgentId === chosen.agentId && decided.rationale.startsWith(`${chosen.name}:`)
        ? `, matching ${decided.rationale.slice(chosen.name.length + 1).trim()}`
        : ` (lexical ${best.lexicalScore.toFixed(2)})`;
    return {
      agentId: chosen.agentId,
      cause,
      decision: {
        router: 'lexical',
        chosenAgentId: chosen.agentId,
        candidates: ranked.map((c) => {
          const agent = byId.get(c.agentId)!;
          return {
            agentId: c.agentId,
            agentName: agent.name,
            score: c.score,
            lexicalScore: c.lexicalScore,
            loadPenalty: c.loadPenalty,
            queueLength: projection.loadOf(tenantId, c.agentId).queued,
          };
        }),
        rationale: `chose ${chosen.name}${explained}; best of ${pool}`,
      },
    };
  }

  // No word of the task matches any eligible agent: the capabilities alone
  // qualify them, so the least busy one takes it rather than leave it queued.
  const byLoad = leastBusyFirst(projection, tenantId, eligible);
  const chosen = byLoad[0]!;
  return {
    agentId: chosen.agent.agentId,
    cause,
    decision: {
      router: 'lexical',
      chosenAgentId: chosen.agent.agentId,
      candidates: byLoad.slice(0, MAX_CANDIDATES).map(unmatchedCandidate),
      rationale: `no word of the task matches any of ${pool}; chose ${chosen.agent.name}, the least busy (queue of ${chosen.queueLength})`,
    },
  };
}

/** An eligible agent no word of the task matched, as a candidate: it is there by its capabilities and load alone. */
export function unmatchedCandidate({ agent, queueLength }: { agent: AgentInfo; queueLength: number }) {
  return { agentId: agent.agentId, agentName: agent.name, score: 0, lexicalScore: 0, loadPenalty: 0, queueLength };
}

/** The agents with their queue lengths, least busy first (then by name). */
export function leastBusyFirst(
  projection: RoutingModel,
  tenantId: string,
  agents: readonly AgentInfo[],
): { agent: AgentInfo; queueLength: number }[] {
  return agents
    .map((agent) => ({ agent, queueLength: projection.loadOf(tenantId, agent.agentId).queued }))
    .sort((a, b) => a.queueLength - b.queueLength || a.agent.name.localeCompare(b.agent.name));
}

/** The tenant's ACTIVE agents that have every required capability, less the excluded one. */
export function eligibleAgents(projection: RoutingModel, tenantId: string, request: RoutingRequest): AgentInfo[] {
  const eligible: AgentInfo[] = [];
  for (const agent of projection.agents.agentsOf(tenantId)) {
    if (agent.status !== 'ACTIVE' || agent.agentId === request.excludeAgentId) continue;
    if (hasCapabilities(agent, request.requiredCapabilities)) eligible.push(agent);
  }
  return eligible;
}

function queued(cause: RoutingCause, rationale: string): RoutingOutcome {
  const decision: RoutingDecisionData = { router: 'lexical', chosenAgentId: '', candidates: [], rationale };
  return { agentId: undefined, cause, decision };
}

/**
 * Routes tasks against the model as it stands: the lexical choice
 * (chooseAgent), refined by the model when the LLM router is on.
 */
export class TaskRouting {
  constructor(
    private readonly model: RoutingModel,
    private readonly modelRouting: ModelRouting | undefined,
  ) {}

  async route(tenantId: string, request: RoutingRequest): Promise<RoutingOutcome> {
    const eligible = eligibleAgents(this.model, tenantId, request);
    const outcome = chooseAgent(this.model, tenantId, request, eligible);
    if (!this.modelRouting) return outcome;
    // The model may also pick an eligible agent no word of the task matched: that is what it is for.
    const ranked = new Set(outcome.decision.candidates.map((c) => c.agentId));
    const others = leastBusyFirst(
      this.model,
      tenantId,
      eligible.filter((a) => !ranked.has(a.agentId)),
    ).slice(0, Math.max(0, MAX_CANDIDATES - ranked.size));
    return this.modelRouting.refine(
      outcome,
      request.text,
      (agentId) => this.model.agents.get(tenantId, agentId),
      others,
    );
  }
}
