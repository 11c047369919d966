import MiniSearch from 'minisearch';
import type { RoutableAgent } from './capability-router';

export interface LabelledTask {
  text: string;
  expectedAgentId: string;
}

export interface Accuracy {
  correct: number;
  total: number;
  accuracy: number;
}

/**
 * The baseline the issue describes: the same library's BM25 over the agents'
 * descriptions only, with its default tokenising (lower-case words) and no
 * stemming, stop words, synonyms, history or load.
 */
export function plainBm25Baseline(agents: readonly RoutableAgent[], tasks: readonly LabelledTask[]): Accuracy {
  const index = new MiniSearch<{ id: string; description: string }>({ fields: ['description'] });
  index.addAll(agents.map((a) => ({ id: a.id, description: a.description })));
  return accuracyOf(tasks, (text) => index.search(text)[0]?.id as string | undefined);
}

export function accuracyOf(tasks: readonly LabelledTask[], pick: (text: string) => string | undefined): Accuracy {
  const correct = tasks.filter((t) => pick(t.text) === t.expectedAgentId).length;
  return { correct, total: tasks.length, accuracy: tasks.length === 0 ? 0 : correct / tasks.length };
}
