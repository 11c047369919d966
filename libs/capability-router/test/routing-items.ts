/** The shapes of the routing test sets' entries and their constructors. */
export interface RoutingTask {
  text: string;
  expectedAgentId: string;
  /** No content word in common with the expected agent's name, description or capabilities. */
  noSharedWord: boolean;
}

export const task = (expectedAgentId: string, text: string, noSharedWord = false): RoutingTask => ({
  text,
  expectedAgentId,
  noSharedWord,
});

export type HistoryItem =
  | { kind: 'completed'; agentId: string; text: string }
  | { kind: 'corrected'; text: string; fromAgentId: string; toAgentId: string };

export const done = (agentId: string, text: string): HistoryItem => ({ kind: 'completed', agentId, text });
export const moved = (fromAgentId: string, toAgentId: string, text: string): HistoryItem => ({
  kind: 'corrected',
  fromAgentId,
  toAgentId,
  text,
});
