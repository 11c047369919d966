import { B, K1, type QueryTerm } from './bm25-index';
import { SlotPostings, SlotScores, type SlotPostingsState } from './slot-postings';

export interface QueryGroup {
  /** How much the group counts: the task word's specificity. */
  weight: number;
  /** The word's own stems and its WordNet relatives, each with its weight. */
  terms: readonly QueryTerm[];
}

/**
 * BM25 over concept documents: an agent's WordNet concepts number in the
 * hundreds and most of them are shared by many agents, so a query walks long
 * postings, in the dense form SlotPostings keeps them. Length normalisation
 * uses the fleet's average length at query time, so a score does not depend
 * on the order in which agents were (re)indexed.
 */
export class ConceptIndex {
  private readonly store = new SlotPostings();
  private readonly group = new SlotScores();
  private readonly total = new SlotScores();
  private kept = new Int32Array(64);

  has(term: string): boolean {
    return this.store.has(term);
  }

  /** BM25's inverse document frequency of the term, 0 if no document holds it. */
  idf(term: string): number {
    return this.store.idf(term);
  }

  upsert(slot: number, frequencies: ReadonlyMap<string, number>): void {
    this.store.upsert(slot, frequencies);
  }

  remove(slot: number): void {
    this.store.remove(slot);
  }

  capture(): SlotPostingsState {
    return this.store.capture();
  }

  /** Into an empty index. */
  restore(state: SlotPostingsState): void {
    this.store.restore(state);
  }

  /**
   * Each group's BM25 evidence per document, divided by the best document's
   * evidence for that group, times the group's weight, summed over groups:
   * every task word is one vote split by how well agents explain it. The best
   * `limit` allowed documents get `weight` × their evidence relative to the
   * best one added to `into`: in a large fleet nearly every agent shares some
   * concept with a task, and the rest cannot reach the top few.
   */
  searchGroups(
    groups: readonly QueryGroup[],
    limit: number,
    into: SlotScores,
    weight: number,
    allowed?: (slot: number) => boolean,
  ): void {
    const { store, group, total } = this;
    const capacity = store.lengths.length;
    group.fit(capacity);
    total.fit(capacity);
    const { lengths } = store;
    const norm = B / store.averageLength;
    for (const { weight: groupWeight, terms } of groups) {
      for (const { term, weight: termWeight } of terms) {
        const posting = store.posting(term);
        if (!posting) continue;
        const factor = termWeight * store.idf(term) * (K1 + 1);
        const { slots, values, length } = posting;
        for (let i = 0; i < length; i++) {
          const slot = slots[i]!;
          const frequency = values[i]!;
          group.add(slot, (factor * frequency) / (frequency + K1 * (1 - B + norm * lengths[slot]!)));
        }
      }
      const best = group.best();
      if (best > 0) for (const slot of group.touched) total.add(slot, (groupWeight * group.get(slot)) / best);
      group.clear();
    }
    if (this.kept.length < total.length) this.kept = new Int32Array(Math.max(total.length, this.kept.length * 2));
    let count = 0;
    for (const slot of total.touched) if (!allowed || allowed(slot)) this.kept[count++] = slot;
    const kept = this.kept.subarray(0, count);
    const threshold = count > limit ? cutOff(kept, total.values, limit) : 0;
    let best = 0;
    let added = 0;
    for (const slot of kept)
      if (total.get(slot) >= threshold && added++ < limit) best = Math.max(best, total.get(slot));
    added = 0;
    if (best > 0)
      for (const slot of kept)
        if (total.get(slot) >= threshold && added++ < limit) into.add(slot, (weight * total.get(slot)) / best);
    total.clear();
  }
}

const BINS = 256;
/**
 * A score that about `limit` of the documents reach, by one counting pass over
 * score bins instead of a sort of the whole fleet: the boundary bin is kept
 * whole, and the caller stops at `limit` anyway.
 */
function cutOff(slots: Int32Array, scores: Float64Array, limit: number): number {
  let best = 0;
  for (const slot of slots) best = Math.max(best, scores[slot]!);
  if (best <= 0) return 0;
  const counts = new Uint32Array(BINS);
  const scale = (BINS - 1) / best;
  for (const slot of slots) counts[Math.floor(scores[slot]! * scale)]!++;
  let kept = 0;
  for (let bin = BINS - 1; bin >= 0; bin--) {
    kept += counts[bin]!;
    if (kept >= limit) return bin / scale;
  }
  return 0;
}
