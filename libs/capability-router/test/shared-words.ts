import { contentWords } from '../src';
import { stemmer } from 'stemmer';
import type { RoutableAgent } from '../src';

/**
 * Whether a task shares a content word with an agent's name, description or
 * capabilities. Deliberately generous to "shared" (so strict about
 * "no shared word"): same Porter stem, or the same first five letters
 * ("delivered" / "delivery"), counts as shared.
 */
export function sharedContentWords(text: string, agent: RoutableAgent): string[] {
  const agentWords = contentWords(`${agent.name} ${agent.description} ${agent.capabilities.join(' ')}`);
  const agentStems = new Set(agentWords.map(stemmer));
  const agentPrefixes = new Set(agentWords.filter((w) => w.length >= 5).map((w) => w.slice(0, 5)));
  return contentWords(text).filter(
    (w) => agentStems.has(stemmer(w)) || (w.length >= 5 && agentPrefixes.has(w.slice(0, 5))),
  );
}
