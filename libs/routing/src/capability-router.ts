import MiniSearch, { type SearchResult } from 'minisearch';
import { terms } from './text';
import { wordnetLexicon, type Lexicon } from './wordnet-synonyms';

/** An ACTIVE agent of one tenant that may take tasks; the caller keeps one router per tenant. */
export interface RoutableAgent {
  id: string;
  name: string;
  description: string;
  capabilities: string[];
  queueLength: number;
}

export interface RoutingCandidate {
  agentId: string;
  /** What the ranking is by: lexicalScore relative to the best match, minus the load penalty. */
  score: number;
  /** BM25 score of the task text against the agent's text (synonyms and learned history included). */
  lexicalScore: number;
  loadPenalty: number;
}

export interface RoutingDecision {
  router: 'lexical' | 'llm';
  chosenAgentId: string | undefined;
  candidates: RoutingCandidate[];
  rationale: string;
}

export interface RouteOptions {
  /** Every one must be among the agent's capabilities (case-insensitive). */
  requiredCapabilities?: string[];
  /** How many candidates the decision lists (default 5). */
  topK?: number;
}

export interface CapabilityRouterOptions {
  /** By default the WordNet lexicon, loaded on first route. `null` routes without synonyms or sense weighting. */
  lexicon?: Lexicon | null;
}

interface Learned {
  completions: string[];
  corrections: string[];
}

interface AgentDocument {
  id: string;
  name: string;
  description: string;
  capabilities: string;
  completions: string;
  corrections: string;
}

/** Older learned texts drop out so an agent's document (and its reindexing cost) stays bounded. */
const MAX_LEARNED_TEXTS = 50;
/** A queue of LOAD_HALF tasks costs half of MAX_LOAD_PENALTY: load decides among near-equal matches only. */
const MAX_LOAD_PENALTY = 0.2;
const LOAD_HALF = 10;
/** Misspelt words ("pasword") that match nothing are retried with one edit, at this weight. */
const TYPO_WEIGHT = 0.5;
const MIN_TYPO_LENGTH = 5;

const FIELDS = ['name', 'description', 'capabilities', 'completions', 'corrections'] as const;
/**
 * Capabilities and names are curated and short, so a hit there says more than
 * one in prose; a person's correction is the strongest evidence there is.
 */
const FIELD_BOOST: Record<(typeof FIELDS)[number], number> = {
  name: 2,
  description: 1,
  capabilities: 2,
  completions: 1,
  corrections: 3,
};

export class CapabilityRouter {
  private readonly agents = new Map<string, RoutableAgent>();
  private readonly learned = new Map<string, Learned>();
  /** Stems per agent document and, per stem, how many documents hold it: synonyms are only tried when some agent could match them. */
  private readonly agentTerms = new Map<string, ReadonlySet<string>>();
  private readonly vocabulary = new Map<string, number>();
  private readonly index = new MiniSearch<AgentDocument>({
    fields: [...FIELDS],
    // Documents are tokenised, stop-worded and stemmed here; queries arrive already as terms.
    tokenize: (text) => terms(text),
    processTerm: (term) => term,
    searchOptions: { boost: FIELD_BOOST, combineWith: 'OR' },
  });
  private lexicon: Lexicon | null | undefined;

  constructor(options: CapabilityRouterOptions = {}) {
    this.lexicon = options.lexicon;
  }

  get size(): number {
    return this.agents.size;
  }

  upsertAgent(agent: RoutableAgent): void {
    this.agents.set(agent.id, { ...agent, capabilities: [...agent.capabilities] });
    this.reindex(agent.id);
  }

  removeAgent(agentId: string): void {
    if (!this.agents.delete(agentId)) return;
    this.index.discard(agentId);
    this.forgetTerms(agentId);
  }

  setQueueLength(agentId: string, queueLength: number): void {
    const agent = this.agents.get(agentId);
    if (agent) agent.queueLength = queueLength;
  }

  /** The agent completed this task: similar texts should reach it. Kept if the agent is not (yet) known. */
  learnFromCompletion(agentId: string, taskText: string): void {
    push(this.learnedFor(agentId).completions, taskText);
    this.reindex(agentId);
  }

  /**
   * A person re-assigned the task. The text joins the new agent's corrections
   * and leaves the old agent's completions, should it have been learned there.
   */
  learnFromCorrection(taskText: string, fromAgentId: string | undefined, toAgentId: string): void {
    if (fromAgentId !== undefined) {
      const from = this.learned.get(fromAgentId);
      const at = from?.completions.indexOf(taskText) ?? -1;
      if (from && at >= 0) {
        from.completions.splice(at, 1);
        this.reindex(fromAgentId);
      }
    }
    push(this.learnedFor(toAgentId).corrections, taskText);
    this.reindex(toAgentId);
  }

  route(taskText: string, options: RouteOptions = {}): RoutingDecision {
    const topK = options.topK ?? 5;
    if (this.agents.size === 0) return none('no active agent can take tasks');

    const required = (options.requiredCapabilities ?? []).map((c) => c.toLowerCase());
    const filter =
      required.length === 0
        ? undefined
        : (result: SearchResult) => {
            const caps = this.agents.get(result.id as string)?.capabilities.map((c) => c.toLowerCase()) ?? [];
            return required.every((r) => caps.includes(r));
          };

    const { weights, typos } = this.expand(taskText);
    const queries: { queries: string[]; fuzzy?: number; boostTerm?: (term: string) => number }[] = [];
    if (weights.size > 0) queries.push({ queries: [...weights.keys()], boostTerm: (term) => weights.get(term) ?? 1 });
    // One edit only for words long enough that one edit rarely turns them into another word.
    if (typos.length > 0) queries.push({ queries: typos, fuzzy: 1, boostTerm: () => TYPO_WEIGHT });
    const results =
      queries.length === 0 ? [] : this.index.search({ combineWith: 'OR', queries }, filter ? { filter } : {});
    if (results.length === 0)
      return none(
        required.length > 0
          ? `no agent with capabilities [${required.join(', ')}] matches the task text`
          : "no agent's name, description, capabilities or history matches the task text",
      );

    // Results come sorted by lexical score and load only lowers a score, so once a
    // result's relative score is below the k-th best adjusted score, none after it can enter.
    const best = results[0]!.score;
    const top: RoutingCandidate[] = [];
    for (const r of results) {
      const relative = r.score / best;
      if (top.length >= topK && relative <= top[top.length - 1]!.score) break;
      const loadPenalty = loadPenaltyOf(this.agents.get(r.id as string)!.queueLength);
      top.push({ agentId: r.id as string, score: relative - loadPenalty, lexicalScore: r.score, loadPenalty });
      top.sort((a, b) => b.score - a.score);
      if (top.length > topK) top.pop();
    }
    const chosen = top[0]!;
    const match = results.find((r) => r.id === chosen.agentId)!;
    return {
      router: 'lexical',
      chosenAgentId: chosen.agentId,
      candidates: top,
      rationale: this.explain(chosen, match),
    };
  }

  /** The ranking library alone on the same index: the query as the index tokenises it, no synonyms, typos, load or filter. */
  searchIndexOnly(taskText: string): string | undefined {
    return this.index.search(taskText)[0]?.id as string | undefined;
  }

  private expand(taskText: string): { weights: Map<string, number>; typos: string[] } {
    if (this.lexicon === undefined) this.lexicon = wordnetLexicon();
    const lexicon = this.lexicon;
    const weights = new Map<string, number>();
    const raise = (term: string, weight: number) => {
      if (this.vocabulary.has(term) && (weights.get(term) ?? 0) < weight) weights.set(term, weight);
    };
    const typos: string[] = [];
    for (const term of terms(taskText)) {
      const own = specificity(lexicon, term);
      raise(term, own);
      for (const related of lexicon?.related.get(term) ?? [])
        raise(related.term, related.weight * Math.min(own, specificity(lexicon, related.term)));
      if (!this.vocabulary.has(term) && !lexicon?.senses.has(term) && term.length >= MIN_TYPO_LENGTH) typos.push(term);
    }
    return { weights, typos };
  }

  private explain(chosen: RoutingCandidate, match: SearchResult): string {
    const agent = this.agents.get(chosen.agentId)!;
    const evidence = Object.entries(match.match)
      .map(([term, fields]) => `"${term}" in ${fields.join('/')}`)
      .join(', ');
    const load = chosen.loadPenalty > 0 ? `; queue of ${agent.queueLength} costs ${chosen.loadPenalty.toFixed(2)}` : '';
    return `${agent.name}: ${evidence}${load}`;
  }

  private learnedFor(agentId: string): Learned {
    let learned = this.learned.get(agentId);
    if (!learned) this.learned.set(agentId, (learned = { completions: [], corrections: [] }));
    return learned;
  }

  /** One agent's document is replaced; the rest of the index is untouched (MiniSearch vacuums discarded postings in the background). */
  private reindex(agentId: string): void {
    const agent = this.agents.get(agentId);
    if (!agent) return;
    const learned = this.learned.get(agentId);
    const document: AgentDocument = {
      id: agent.id,
      name: agent.name,
      description: agent.description,
      capabilities: agent.capabilities.join(' '),
      completions: learned?.completions.join('\n') ?? '',
      corrections: learned?.corrections.join('\n') ?? '',
    };
    if (this.index.has(agentId)) this.index.discard(agentId);
    this.index.add(document);
    this.forgetTerms(agentId);
    const documentTerms = new Set(FIELDS.flatMap((field) => terms(document[field])));
    this.agentTerms.set(agentId, documentTerms);
    for (const term of documentTerms) this.vocabulary.set(term, (this.vocabulary.get(term) ?? 0) + 1);
  }

  private forgetTerms(agentId: string): void {
    for (const term of this.agentTerms.get(agentId) ?? []) {
      const count = this.vocabulary.get(term)! - 1;
      if (count === 0) this.vocabulary.delete(term);
      else this.vocabulary.set(term, count);
    }
    this.agentTerms.delete(agentId);
  }
}

/** 1 for a word of one sense (or unknown to WordNet: "gdpr", "outlook"), 1/6 for "get" (36 senses). */
function specificity(lexicon: Lexicon | null, term: string): number {
  const senses = lexicon?.senses.get(term) ?? 1;
  return Math.max(1, senses) ** -0.8;
}

function loadPenaltyOf(queueLength: number): number {
  const q = Math.max(0, queueLength);
  return (MAX_LOAD_PENALTY * q) / (q + LOAD_HALF);
}

function none(rationale: string): RoutingDecision {
  return { router: 'lexical', chosenAgentId: undefined, candidates: [], rationale };
}

function push(texts: string[], text: string): void {
  texts.push(text);
  if (texts.length > MAX_LEARNED_TEXTS) texts.shift();
}
