import { describe, expect, it } from 'vitest';
import { stemmer } from 'stemmer';
import { CapabilityRouter, accuracyOf, contentWords, plainBm25Baseline, winkWordVectors } from '../src';
import { AGENTS, HELD_OUT_TASKS, HISTORY, TASKS, type HistoryItem, type RoutingTask } from './routing-set';
import { sharedContentWords } from './shared-words';

const byId = new Map(AGENTS.map((a) => [a.id, a]));
const learnerOf = (item: HistoryItem) => (item.kind === 'completed' ? item.agentId : item.toAgentId);

/** What a small fleet accumulates in a few days; more would make the history a second training set. */
const MAX_HISTORY_PER_AGENT = 8;
/** An evaluated task this close (Jaccard of content-word stems) to a learned text would be a near-duplicate. */
const MAX_HISTORY_OVERLAP = 0.5;
/** Just under the held-out figure first measured, 0.74 (32/43): a regression floor. */
const HELD_OUT_FLOOR = 0.7;

// The optional word vectors (see word-vectors.ts): null unless the package is installed.
// Parsing their 300 MB takes seconds; done once, shared by all routers.
const wordVectors = winkWordVectors();

/** Each agent's first `perAgent` learned texts, in log order: the router after a shorter history. */
function historyUpTo(perAgent: number): HistoryItem[] {
  const seen = new Map<string, number>();
  return HISTORY.filter((item) => {
    const n = seen.get(learnerOf(item)) ?? 0;
    seen.set(learnerOf(item), n + 1);
    return n < perAgent;
  });
}

function trainedRouter(history: readonly HistoryItem[], vectors = wordVectors): CapabilityRouter {
  const router = new CapabilityRouter({ wordVectors: vectors });
  for (const agent of AGENTS) router.upsertAgent(agent);
  for (const item of history) {
    if (item.kind === 'completed') router.learnFromCompletion(item.agentId, item.text);
    else router.learnFromCorrection(item.text, item.fromAgentId, item.toAgentId);
  }
  return router;
}

const stems = (text: string) => new Set(contentWords(text).map(stemmer));
function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let common = 0;
  for (const x of a) if (b.has(x)) common++;
  const union = a.size + b.size - common;
  return union === 0 ? 0 : common / union;
}

const pct = (a: { correct: number; total: number; accuracy: number }) =>
  `${a.accuracy.toFixed(2)} (${a.correct}/${a.total})`;

describe('routing test set', () => {
  it('has at least 20 agents with distinct capabilities and 80 tasks, each for a known agent', () => {
    expect(AGENTS.length).toBeGreaterThanOrEqual(20);
    const capabilities = AGENTS.flatMap((a) => a.capabilities);
    expect(new Set(capabilities).size).toBe(capabilities.length);
    expect(TASKS.length).toBeGreaterThanOrEqual(80);
    for (const t of TASKS) expect(byId.has(t.expectedAgentId), t.expectedAgentId).toBe(true);
  });

  it('marks exactly the tasks that share no content word with their agent, and they are at least half', () => {
    for (const t of [...TASKS, ...HELD_OUT_TASKS]) {
      const shared = sharedContentWords(t.text, byId.get(t.expectedAgentId)!);
      expect({ text: t.text, noSharedWord: shared.length === 0 }).toEqual({
        text: t.text,
        noSharedWord: t.noSharedWord,
      });
    }
    expect(TASKS.filter((t) => t.noSharedWord).length * 2).toBeGreaterThanOrEqual(TASKS.length);
    expect(HELD_OUT_TASKS.filter((t) => t.noSharedWord).length * 2).toBeGreaterThanOrEqual(HELD_OUT_TASKS.length);
  });

  it('never learns from an evaluated task', () => {
    const evaluated = new Set([...TASKS, ...HELD_OUT_TASKS].map((t) => t.text.toLowerCase()));
    for (const item of HISTORY) expect(evaluated.has(item.text.toLowerCase()), item.text).toBe(false);
  });

  it('holds no near-duplicate of an evaluated task in the history (content-word Jaccard <= 0.5)', () => {
    const learned = HISTORY.map((item) => ({ text: item.text, stems: stems(item.text) }));
    let highest = { overlap: 0, task: '', learned: '' };
    for (const t of [...TASKS, ...HELD_OUT_TASKS]) {
      const own = stems(t.text);
      for (const l of learned) {
        const overlap = jaccard(own, l.stems);
        if (overlap > highest.overlap) highest = { overlap, task: t.text, learned: l.text };
        expect(overlap, `"${t.text}" vs learned "${l.text}"`).toBeLessThanOrEqual(MAX_HISTORY_OVERLAP);
      }
    }
    process.stdout.write(
      `[history overlap] highest content-word Jaccard of an evaluated task with a learned text: ` +
        `${highest.overlap.toFixed(2)} ("${highest.task}" / "${highest.learned}")\n`,
    );
  });

  it('learns at most eight texts per agent, each for a known agent', () => {
    const perAgent = new Map<string, number>();
    for (const item of HISTORY) {
      expect(byId.has(learnerOf(item)), learnerOf(item)).toBe(true);
      perAgent.set(learnerOf(item), (perAgent.get(learnerOf(item)) ?? 0) + 1);
    }
    for (const [agentId, count] of perAgent) expect(count, agentId).toBeLessThanOrEqual(MAX_HISTORY_PER_AGENT);
  });
});

describe('routing accuracy', () => {
  it('prints router and plain-BM25 top-1, the learning curve, and beats the baseline', () => {
    const route = (r: CapabilityRouter) => (text: string) => r.route(text).chosenAgentId;
    const hard = (t: RoutingTask) => t.noSharedWord;
    const bm25All = plainBm25Baseline(AGENTS, TASKS);
    const bm25Hard = plainBm25Baseline(AGENTS, TASKS.filter(hard));

    const curve = [0, 2, 4, MAX_HISTORY_PER_AGENT].map((perAgent) => {
      const router = trainedRouter(historyUpTo(perAgent));
      return {
        perAgent,
        all: accuracyOf(TASKS, route(router)),
        hard: accuracyOf(TASKS.filter(hard), route(router)),
      };
    });
    const full = curve.at(-1)!;
    const cold = curve[0]!;
    const setup = wordVectors ? 'WordNet + word vectors' : 'WordNet, no model (word vectors not installed)';
    process.stdout.write(
      `[${setup}] router top-1: ${pct(full.all)} | plain BM25 top-1: ${pct(bm25All)} | ` +
        `no-shared-word subset: router ${pct(full.hard)}, plain BM25 ${pct(bm25Hard)} | ` +
        `target router >= 0.85: ${full.all.accuracy >= 0.85 ? 'met' : 'NOT met'}\n` +
        `[learning curve] learned texts per agent -> top-1 all / no-shared-word (plain BM25 ${pct(bm25All)} / ${pct(bm25Hard)}): ` +
        curve
          .map((c) => `${c.perAgent === 0 ? '0 (cold start)' : c.perAgent}: ${pct(c.all)} / ${pct(c.hard)}`)
          .join(' | ') +
        '\n',
    );

    expect(full.all.accuracy).toBeGreaterThan(bm25All.accuracy);
    expect(full.hard.accuracy).toBeGreaterThan(bm25Hard.accuracy);
    expect(cold.all.accuracy).toBeGreaterThan(bm25All.accuracy);
    // Regression floors just under what is reached today, not the 0.85 target:
    // WordNet, no model: 0.57 (51/90) with history, 0.49 (44/90) cold. With the optional
    // word vectors installed the figures were not re-measured; the floors are the old ones.
    expect(full.all.accuracy).toBeGreaterThanOrEqual(wordVectors ? 0.48 : 0.55);
    expect(cold.all.accuracy).toBeGreaterThanOrEqual(wordVectors ? 0.4 : 0.47);
  });

  it('prints the top-1 on the held-out tasks, written after the weights and history were fixed', () => {
    const router = trainedRouter(HISTORY);
    const route = (text: string) => router.route(text).chosenAgentId;
    const all = accuracyOf(HELD_OUT_TASKS, route);
    const hard = accuracyOf(
      HELD_OUT_TASKS.filter((t) => t.noSharedWord),
      route,
    );
    const cold = trainedRouter([]);
    const coldAll = accuracyOf(HELD_OUT_TASKS, (text) => cold.route(text).chosenAgentId);
    const bm25 = plainBm25Baseline(AGENTS, HELD_OUT_TASKS);
    const bm25Hard = plainBm25Baseline(
      AGENTS,
      HELD_OUT_TASKS.filter((t) => t.noSharedWord),
    );
    process.stdout.write(
      `[held-out] router top-1: ${pct(all)} (cold start ${pct(coldAll)}) | plain BM25 top-1: ${pct(bm25)} | ` +
        `no-shared-word subset: router ${pct(hard)}, plain BM25 ${pct(bm25Hard)}\n`,
    );
    expect(all.accuracy).toBeGreaterThan(bm25.accuracy);
    expect(all.accuracy).toBeGreaterThanOrEqual(HELD_OUT_FLOOR);
  });

  it('routes no worse without WordNet than plain BM25 does (the lexicon is optional too)', () => {
    const router = new CapabilityRouter({ wordVectors: null, lexicon: null });
    for (const agent of AGENTS) router.upsertAgent(agent);
    for (const item of HISTORY)
      if (item.kind === 'completed') router.learnFromCompletion(item.agentId, item.text);
      else router.learnFromCorrection(item.text, item.fromAgentId, item.toAgentId);
    const withoutLexicon = accuracyOf(TASKS, (text) => router.route(text).chosenAgentId);
    process.stdout.write(`[no WordNet, no model] router top-1 with history: ${pct(withoutLexicon)}\n`);
    expect(withoutLexicon.accuracy).toBeGreaterThan(plainBm25Baseline(AGENTS, TASKS).accuracy);
  });
});
