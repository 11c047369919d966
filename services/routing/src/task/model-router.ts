import { modelServerClient } from '@aos/config';
import type OpenAI from 'openai';
import { describeError } from '@aos/errors';
import type { AgentInfo } from '../agent/agent.roster';
import type { RoutingOutcome } from './task.decider';
import { unmatchedCandidate } from './task.routing';

/** What the model is asked to choose from: the lexical ranking's candidates, best first. */
export interface ModelRouterCandidate {
  agentId: string;
  name: string;
  description: string;
  capabilities: readonly string[];
}

export interface ModelChoice {
  agentId: string;
  /** The model's own words (at most 500 characters). */
  rationale: string;
}

/** Chooses among candidates with a language model; rejects when the model cannot be asked or answers nothing usable. */
export interface ModelRouterPort {
  readonly model: string;
  choose(text: string, candidates: readonly ModelRouterCandidate[]): Promise<ModelChoice>;
}

export interface OpenAiModelRouterOptions {
  baseURL: string;
  apiKey?: string;
  model: string;
  timeoutMs: number;
}

const SYSTEM_PROMPT =
  'You route work to agents. Given a task and numbered agents, choose the one agent best able to do the task. ' +
  'Answer with JSON only: {"agent": <the agent\'s number>, "rationale": "<one sentence: why this agent>"}.';
const MAX_RATIONALE = 500;

/**
 * The LLM router over any OpenAI-compatible server (the `openai` client). It
 * only ever picks among the candidates the lexical ranking found eligible, so
 * a model cannot route a task to an agent that lacks a required capability,
 * is paused, or belongs to another tenant.
 */
export class OpenAiModelRouter implements ModelRouterPort {
  private readonly client: OpenAI;
  readonly model: string;

  constructor(options: OpenAiModelRouterOptions) {
    this.model = options.model;
    // No retries: routing waits for the answer, and the lexical choice is a good fallback.
    this.client = modelServerClient({ baseURL: options.baseURL, apiKey: options.apiKey, timeoutMs: options.timeoutMs });
  }

  async choose(text: string, candidates: readonly ModelRouterCandidate[]): Promise<ModelChoice> {
    const listing = candidates
      .map(
        (c, i) =>
          `${i + 1}. ${c.name}: ${c.description || '(no description)'}` +
          (c.capabilities.length ? ` [capabilities: ${c.capabilities.join(', ')}]` : ''),
      )
      .join('\n');
    const completion = await this.client.chat.completions.create({
      model: this.model,
      temperature: 0,
      messages: [
        { role: 'system', content: SYSTEM_PROMPT },
        { role: 'user', content: `Task:\n${text}\n\nAgents:\n${listing}` },
      ],
    });
    return parseChoice(completion.choices[0]?.message?.content ?? '', candidates);
  }
}

/** Reads `{"agent": <number or name>, "rationale": "..."}` out of the model's answer. */
export function parseChoice(content: string, candidates: readonly ModelRouterCandidate[]): ModelChoice {
  const json = content.match(/\{[\s\S]*\}/)?.[0];
  if (!json) throw new Error(`the model's answer holds no JSON object: ${JSON.stringify(content.slice(0, 200))}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(`the model's answer is not valid JSON: ${JSON.stringify(json.slice(0, 200))}`);
  }
  const { agent, rationale } = (parsed ?? {}) as { agent?: unknown; rationale?: unknown };
  const byNumber = typeof agent === 'number' || /^\d+$/.test(String(agent)) ? candidates[Number(agent) - 1] : undefined;
  const byName =
    typeof agent === 'string' ? candidates.find((c) => c.name.toLowerCase() === agent.trim().toLowerCase()) : undefined;
  const chosen = byNumber ?? byName;
  if (!chosen) throw new Error(`the model chose ${JSON.stringify(agent)}, which is none of the candidates`);
  const why = typeof rationale === 'string' && rationale.trim() ? rationale.trim() : '(no reason given)';
  return { agentId: chosen.agentId, rationale: why.slice(0, MAX_RATIONALE) };
}

/** After a failure the model is not asked again for this long: tasks must not each wait out a timeout. */
export const MODEL_ROUTER_BACKOFF_MS = 30_000;

/**
 * Lets the model choose among a lexical outcome's candidates. The decision
 * then says router "llm" and carries the model's rationale, labelled as the
 * model's; the candidates and their lexical scores stay as ranked. When the
 * model fails, the lexical choice stands and its rationale says why the model
 * was not used.
 */
export class ModelRouting {
  private pausedUntil = 0;
  private lastFailure = '';

  constructor(
    private readonly router: ModelRouterPort,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * `others`: eligible agents the lexical ranking did not list (no word
   * matched), offered to the model after the ranked ones and recorded as
   * candidates with a zero score when the model is asked.
   */
  async refine(
    outcome: RoutingOutcome,
    text: string,
    agents: (agentId: string) => AgentInfo | undefined,
    others: readonly { agent: AgentInfo; queueLength: number }[] = [],
  ): Promise<RoutingOutcome> {
    const considered = [...outcome.decision.candidates, ...others.map(unmatchedCandidate)];
    const decision = { ...outcome.decision, candidates: considered };
    // A person's or the submitter's choice is not the model's to change; one candidate leaves no choice.
    if (outcome.decision.router !== 'lexical' || !outcome.agentId || considered.length < 2) return outcome;
    if (this.now() < this.pausedUntil) {
      return withNote(outcome, `the model router is paused after a failure (${this.lastFailure})`);
    }
    const candidates: ModelRouterCandidate[] = [];
    for (const c of decision.candidates) {
      const agent = agents(c.agentId);
      if (!agent) continue;
      const { name, description, capabilities } = agent;
      candidates.push({ agentId: c.agentId, name, description, capabilities });
    }
    try {
      const choice = await this.router.choose(text, candidates);
      const name = candidates.find((c) => c.agentId === choice.agentId)!.name;
      return {
        ...outcome,
        agentId: choice.agentId,
        decision: {
          ...decision,
          router: 'llm',
          chosenAgentId: choice.agentId,
          rationale: `model ${this.router.model} chose ${name} among ${candidates.length} eligible agents: "${choice.rationale}"`,
        },
      };
    } catch (err) {
      this.lastFailure = describeError(err);
      this.pausedUntil = this.now() + MODEL_ROUTER_BACKOFF_MS;
      return withNote(outcome, `the model router failed (${this.lastFailure})`);
    }
  }
}

function withNote(outcome: RoutingOutcome, note: string): RoutingOutcome {
  return {
    ...outcome,
    decision: {
      ...outcome.decision,
      rationale: `${outcome.decision.rationale}; ${note}, so the lexical choice stands`,
    },
  };
}
