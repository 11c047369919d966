import type { Directory } from '../directory';
import type { Draft } from '../draft';
import type { Resolution } from '../resolution';

export interface ResolveOptions {
  /** The clock, for "today" and "this week" (read steps' time ranges). */
  now: Date;
}

/**
 * Resolves a draft's names against one tenant's directory, by code: each
 * action becomes zero or more calls of the public API (see PLAN_METHODS).
 */
export function resolveDraft(draft: Draft, _directory: Directory, _options: ResolveOptions): Resolution {
  return { steps: [], questions: draft.questions, notes: draft.notes };
}
