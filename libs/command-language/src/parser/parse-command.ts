import type { Draft } from '../draft';

/**
 * The deterministic parser: plain English of the documented grammar
 * (docs/commands.md) to a draft. No model, no randomness: the same text
 * always gives the same draft. What it does not understand becomes a note or
 * a question, never a guess.
 */
export function parseCommand(text: string): Draft {
  return { actions: [], questions: [], notes: [`not understood: ${text}`] };
}
