import type { QueryTerm } from './bm25-index';

/** Okapi BM25 constants as most engines default them (as in Bm25Index). */
const K1 = 1.2;
const B = 0.75;

interface Posting {
  slots: number[];
  /** BM25's term-frequency part per slot, computed when the document was indexed. */
  impacts: number[];
}

export interface QueryGroup {
  /** How much the group counts: the task word's specificity. */
  weight: number;
  /** The word's own stems and its WordNet relatives, each with its weight. */
  terms: readonly QueryTerm[];
}

/**
 * BM25 over concept documents, built for density: an agent's WordNet concepts
 * number in the hundreds and most of them are shared by many agents, so a
 * query walks long postings. Documents live in integer slots, postings are
 * parallel arrays and scores accumulate in typed arrays, so a posting entry
 * costs a few nanoseconds rather than a hash lookup. The length
 * normalisation uses the average length when the document was indexed, an
 * approximation that spares re-scoring every posting when the fleet changes.
 */
export class ConceptIndex {
  private readonly slotOf = new Map<string, number>();
  private readonly ids: string[] = [];
  private readonly free: number[] = [];
  /** Per slot: term → its position in the term's posting, for O(1) removal. */
  private readonly positions: (Map<string, number> | undefined)[] = [];
  private readonly lengths: number[] = [];
  private readonly postings = new Map<string, Posting>();
  private totalLength = 0;
  private count = 0;
  private group = new Float64Array(0);
  private total = new Float64Array(0);
  private marked = new Uint8Array(0);

  has(term: string): boolean {
    return this.postings.has(term);
  }

  /** BM25's inverse document frequency of the term, 0 if no document holds it. */
  idf(term: string): number {
    const df = this.postings.get(term)?.slots.length ?? 0;
    return df === 0 ? 0 : Math.log(1 + (this.count - df + 0.5) / (df + 0.5));
  }

  upsert(id: string, frequencies: ReadonlyMap<string, number>): void {
    this.remove(id);
    let length = 0;
    for (const frequency of frequencies.values()) length += frequency;
    const slot = this.free.pop() ?? this.ids.length;
    this.slotOf.set(id, slot);
    this.ids[slot] = id;
    this.lengths[slot] = length;
    this.totalLength += length;
    this.count++;
    const averageLength = this.totalLength / this.count;
    const norm = K1 * (1 - B + (B * length) / averageLength);
    const positions = new Map<string, number>();
    for (const [term, frequency] of frequencies) {
      let posting = this.postings.get(term);
      if (!posting) this.postings.set(term, (posting = { slots: [], impacts: [] }));
      positions.set(term, posting.slots.length);
      posting.slots.push(slot);
      posting.impacts.push((frequency * (K1 + 1)) / (frequency + norm));
    }
    this.positions[slot] = positions;
  }

  remove(id: string): void {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return;
    for (const [term, at] of this.positions[slot]!) {
      const posting = this.postings.get(term)!;
      const last = posting.slots.length - 1;
      if (at !== last) {
        const moved = posting.slots[last]!;
        posting.slots[at] = moved;
        posting.impacts[at] = posting.impacts[last]!;
        this.positions[moved]!.set(term, at);
      }
      posting.slots.pop();
      posting.impacts.pop();
      if (posting.slots.length === 0) this.postings.delete(term);
    }
    this.totalLength -= this.lengths[slot]!;
    this.count--;
    this.positions[slot] = undefined;
    this.slotOf.delete(id);
    this.free.push(slot);
  }

  /**
   * Each group's BM25 evidence per document, divided by the best document's
   * evidence for that group, times the group's weight, summed over groups:
   * every task word is one vote split by how well agents explain it.
   */
  searchGroups(groups: readonly QueryGroup[], limit: number, allowed?: ReadonlySet<string>): Map<string, number> {
    const size = this.ids.length;
    if (this.group.length < size) {
      this.group = new Float64Array(size * 2);
      this.total = new Float64Array(size * 2);
      this.marked = new Uint8Array(size * 2);
    }
    const { group, total, marked } = this;
    const touched: number[] = [];
    const hit: number[] = [];
    for (const { weight, terms } of groups) {
      hit.length = 0;
      for (const { term, weight: termWeight } of terms) {
        const posting = this.postings.get(term);
        if (!posting) continue;
        const df = posting.slots.length;
        const factor = termWeight * Math.log(1 + (this.count - df + 0.5) / (df + 0.5));
        const { slots, impacts } = posting;
        for (let i = 0; i < slots.length; i++) {
          const slot = slots[i]!;
          if (group[slot] === 0) hit.push(slot);
          group[slot] += factor * impacts[i]!;
        }
      }
      let best = 0;
      for (const slot of hit) best = Math.max(best, group[slot]!);
      for (const slot of hit) {
        total[slot] += (weight * group[slot]!) / best;
        group[slot] = 0;
        if (marked[slot] === 0) {
          marked[slot] = 1;
          if (!allowed || allowed.has(this.ids[slot]!)) touched.push(slot);
        }
      }
    }
    // Only the best `limit` documents are returned: in a large fleet nearly every agent
    // shares some concept with a task, and the rest cannot reach the top few.
    const threshold = touched.length > limit ? cutOff(touched, total, limit) : 0;
    const scores = new Map<string, number>();
    for (const slot of touched)
      if (total[slot]! >= threshold && scores.size < limit) scores.set(this.ids[slot]!, total[slot]!);
    // Every hit slot is reset, the filtered-out ones included.
    for (let slot = 0; slot < size; slot++)
      if (marked[slot] === 1) {
        total[slot] = 0;
        marked[slot] = 0;
      }
    return scores;
  }
}

const BINS = 256;
/**
 * A score that about `limit` of the touched documents reach, by one counting
 * pass over score bins instead of a sort of the whole fleet: the boundary bin
 * is kept whole, and the caller stops at `limit` anyway.
 */
function cutOff(touched: readonly number[], total: Float64Array, limit: number): number {
  let best = 0;
  for (const slot of touched) best = Math.max(best, total[slot]!);
  if (best <= 0) return 0;
  const counts = new Uint32Array(BINS);
  const scale = (BINS - 1) / best;
  for (const slot of touched) counts[Math.floor(total[slot]! * scale)]!++;
  let kept = 0;
  for (let bin = BINS - 1; bin >= 0; bin--) {
    kept += counts[bin]!;
    if (kept >= limit) return bin / scale;
  }
  return 0;
}
