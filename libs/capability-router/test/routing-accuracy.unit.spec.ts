import { describe, expect, it } from 'vitest';
import { stemmer } from 'stemmer';
import { CapabilityRouter, accuracyOf, contentWords, plainBm25Baseline } from '../src';
import {
  AGENTS,
  HELD_OUT_TASKS,
  HISTORY as FIRST_WEEK,
  TASKS,
  type HistoryItem,
  type RoutingTask,
} from './routing-set';
import { BLIND_HELD_OUT_TASKS, LATER_HISTORY } from './routing-set-blind';
import { sharedContentWords } from './shared-words';

const byId = new Map(AGENTS.map((a) => [a.id, a]));
const learnerOf = (item: HistoryItem) => (item.kind === 'completed' ? item.agentId : item.toAgentId);

/** The log the router learns from: the first week's (<= 8 per agent), then a month's written blind to the evaluation. */
const HISTORY: HistoryItem[] = [...FIRST_WEEK, ...LATER_HISTORY];
const EVALUATED: RoutingTask[] = [...TASKS, ...HELD_OUT_TASKS, ...BLIND_HELD_OUT_TASKS];
/** What a fleet accumulates in about a month: 8 in the first week, 24 more later. */
const MAX_HISTORY_PER_AGENT = 32;
/** An evaluated task this close (Jaccard of content-word stems) to a learned text would be a near-duplicate. */
const MAX_HISTORY_OVERLAP = 0.5;
/** The stricter cut of the sensitivity check: about one content word in three shared at most. */
const STRICT_HISTORY_OVERLAP = 1 / 3;
/** The target, top-1 without a model, asserted on TASKS with the whole history. */
const TARGET = 0.85;
/** Regression floors just under what is measured today (0.86 and 0.93 with the whole history). */
const HELD_OUT_FLOOR = 0.8;
const BLIND_HELD_OUT_FLOOR = 0.85;

/** Each agent's first `perAgent` learned texts, in log order: the router after a shorter history. */
function historyUpTo(perAgent: number): HistoryItem[] {
  const seen = new Map<string, number>();
  return HISTORY.filter((item) => {
    const n = seen.get(learnerOf(item)) ?? 0;
    seen.set(learnerOf(item), n + 1);
    return n < perAgent;
  });
}

function trainedRouter(history: readonly HistoryItem[]): CapabilityRouter {
  const router = new CapabilityRouter();
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
    for (const t of EVALUATED) {
      const shared = sharedContentWords(t.text, byId.get(t.expectedAgentId)!);
      expect({ text: t.text, noSharedWord: shared.length === 0 }).toEqual({
        text: t.text,
        noSharedWord: t.noSharedWord,
      });
    }
    expect(TASKS.filter((t) => t.noSharedWord).length * 2).toBeGreaterThanOrEqual(TASKS.length);
    expect(HELD_OUT_TASKS.filter((t) => t.noSharedWord).length * 2).toBeGreaterThanOrEqual(HELD_OUT_TASKS.length);
    expect(BLIND_HELD_OUT_TASKS.filter((t) => t.noSharedWord).length * 2).toBeGreaterThanOrEqual(
      BLIND_HELD_OUT_TASKS.length,
    );
  });

  it('never learns from an evaluated task', () => {
    const evaluated = new Set(EVALUATED.map((t) => t.text.toLowerCase()));
    for (const item of HISTORY) expect(evaluated.has(item.text.toLowerCase()), item.text).toBe(false);
  });

  it('holds no near-duplicate of an evaluated task in the history (content-word Jaccard <= 0.5)', () => {
    const learned = HISTORY.map((item) => ({ text: item.text, stems: stems(item.text) }));
    let highest = { overlap: 0, task: '', learned: '' };
    for (const t of EVALUATED) {
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

  it('learns at most 32 texts per agent (8 in the first week), each for a known agent', () => {
    const perAgent = new Map<string, number>();
    for (const item of HISTORY) {
      expect(byId.has(learnerOf(item)), learnerOf(item)).toBe(true);
      perAgent.set(learnerOf(item), (perAgent.get(learnerOf(item)) ?? 0) + 1);
    }
    for (const [agentId, count] of perAgent) expect(count, agentId).toBeLessThanOrEqual(MAX_HISTORY_PER_AGENT);
    const firstWeek = new Map<string, number>();
    for (const item of FIRST_WEEK) firstWeek.set(learnerOf(item), (firstWeek.get(learnerOf(item)) ?? 0) + 1);
    for (const [agentId, count] of firstWeek) expect(count, agentId).toBeLessThanOrEqual(8);
  });
});

describe('routing accuracy', () => {
  const route = (r: CapabilityRouter) => (text: string) => r.route(text).chosenAgentId;
  const hard = (t: RoutingTask) => t.noSharedWord;

  it('prints router and plain-BM25 top-1 and the learning curve, and meets the 0.85 target with the history', () => {
    const bm25All = plainBm25Baseline(AGENTS, TASKS);
    const bm25Hard = plainBm25Baseline(AGENTS, TASKS.filter(hard));

    const curve = [0, 2, 4, 8, 16, MAX_HISTORY_PER_AGENT].map((perAgent) => {
      const router = trainedRouter(historyUpTo(perAgent));
      return {
        perAgent,
        all: accuracyOf(TASKS, route(router)),
        hard: accuracyOf(TASKS.filter(hard), route(router)),
      };
    });
    const full = curve.at(-1)!;
    const cold = curve[0]!;
    const firstWeek = curve.find((c) => c.perAgent === 8)!;
    const setup = 'WordNet + learned history, no model';
    process.stdout.write(
      `[${setup}] router top-1: ${pct(full.all)} | plain BM25 top-1: ${pct(bm25All)} | ` +
        `no-shared-word subset: router ${pct(full.hard)}, plain BM25 ${pct(bm25Hard)} | ` +
        `target router >= ${TARGET}: ${full.all.accuracy >= TARGET ? 'met' : 'NOT met'} ` +
        `(with up to ${MAX_HISTORY_PER_AGENT} learned texts per agent)\n` +
        `[learning curve] learned texts per agent -> top-1 all / no-shared-word (plain BM25 ${pct(bm25All)} / ${pct(bm25Hard)}): ` +
        curve
          .map((c) => `${c.perAgent === 0 ? '0 (cold start)' : c.perAgent}: ${pct(c.all)} / ${pct(c.hard)}`)
          .join(' | ') +
        '\n',
    );

    expect(full.all.accuracy).toBeGreaterThan(bm25All.accuracy);
    expect(full.hard.accuracy).toBeGreaterThan(bm25Hard.accuracy);
    expect(cold.all.accuracy).toBeGreaterThan(bm25All.accuracy);
    expect(full.all.accuracy).toBeGreaterThanOrEqual(TARGET);
    // Floors just under today's figures for a cold start and the first week alone
    // (WordNet, no model: 0.49 cold, 0.58 with <= 8 learned texts per agent).
    expect(cold.all.accuracy).toBeGreaterThanOrEqual(0.47);
    expect(firstWeek.all.accuracy).toBeGreaterThanOrEqual(0.55);
  });

  it('prints how much of the figure rests on learned texts close to an evaluated one', () => {
    const evaluatedStems = EVALUATED.map((t) => stems(t.text));
    const distant = HISTORY.filter((item) => {
      const own = stems(item.text);
      return evaluatedStems.every((e) => jaccard(own, e) <= STRICT_HISTORY_OVERLAP);
    });
    const router = trainedRouter(distant);
    const all = accuracyOf(TASKS, route(router));
    const blind = accuracyOf(BLIND_HELD_OUT_TASKS, route(router));
    process.stdout.write(
      `[sensitivity] learning only the ${distant.length} of ${HISTORY.length} history texts with content-word ` +
        `Jaccard <= ${STRICT_HISTORY_OVERLAP.toFixed(2)} to every evaluated task: top-1 ${pct(all)} on TASKS, ` +
        `${pct(blind)} on the blind held-out tasks\n`,
    );
    // Below the target: part of the figure comes from requests that recur in other words.
    expect(all.accuracy).toBeGreaterThan(plainBm25Baseline(AGENTS, TASKS).accuracy);
    // Floors just under what is measured: 0.81 (quoted in the README) and 0.92 on the blind set.
    expect(all.accuracy).toBeGreaterThanOrEqual(0.78);
    expect(blind.accuracy).toBeGreaterThanOrEqual(0.88);
  });

  it('prints the top-1 on the held-out tasks, written after the weights and first-week history were fixed', () => {
    const router = trainedRouter(HISTORY);
    const all = accuracyOf(HELD_OUT_TASKS, route(router));
    const hardOnes = accuracyOf(HELD_OUT_TASKS.filter(hard), route(router));
    const coldAll = accuracyOf(HELD_OUT_TASKS, route(trainedRouter([])));
    const bm25 = plainBm25Baseline(AGENTS, HELD_OUT_TASKS);
    const bm25Hard = plainBm25Baseline(AGENTS, HELD_OUT_TASKS.filter(hard));
    process.stdout.write(
      `[held-out] router top-1: ${pct(all)} (cold start ${pct(coldAll)}) | plain BM25 top-1: ${pct(bm25)} | ` +
        `no-shared-word subset: router ${pct(hardOnes)}, plain BM25 ${pct(bm25Hard)}\n`,
    );
    expect(all.accuracy).toBeGreaterThan(bm25.accuracy);
    expect(all.accuracy).toBeGreaterThanOrEqual(HELD_OUT_FLOOR);
  });

  it('prints the top-1 on the tasks written blind to the router and its history', () => {
    const router = trainedRouter(HISTORY);
    const all = accuracyOf(BLIND_HELD_OUT_TASKS, route(router));
    const firstWeekOnly = accuracyOf(BLIND_HELD_OUT_TASKS, route(trainedRouter(FIRST_WEEK)));
    const coldAll = accuracyOf(BLIND_HELD_OUT_TASKS, route(trainedRouter([])));
    const bm25 = plainBm25Baseline(AGENTS, BLIND_HELD_OUT_TASKS);
    process.stdout.write(
      `[blind held-out, ${BLIND_HELD_OUT_TASKS.length} tasks, none sharing a content word with its agent] ` +
        `router top-1: ${pct(all)} (first week only ${pct(firstWeekOnly)}, cold start ${pct(coldAll)}) | ` +
        `plain BM25 top-1: ${pct(bm25)}\n`,
    );
    expect(all.accuracy).toBeGreaterThan(bm25.accuracy);
    expect(all.accuracy).toBeGreaterThanOrEqual(BLIND_HELD_OUT_FLOOR);
  });

  it('routes no worse without WordNet than plain BM25 does (the lexicon is optional too)', () => {
    const router = new CapabilityRouter({ lexicon: null });
    for (const agent of AGENTS) router.upsertAgent(agent);
    for (const item of HISTORY)
      if (item.kind === 'completed') router.learnFromCompletion(item.agentId, item.text);
      else router.learnFromCorrection(item.text, item.fromAgentId, item.toAgentId);
    const withoutLexicon = accuracyOf(TASKS, route(router));
    process.stdout.write(`[no WordNet, no model] router top-1 with history: ${pct(withoutLexicon)}\n`);
    expect(withoutLexicon.accuracy).toBeGreaterThan(plainBm25Baseline(AGENTS, TASKS).accuracy);
  });
});
