import { SlotPostings, type SlotPostingsState, type SlotScores } from './slot-postings';

export interface FieldText {
  text: string;
  /** A term here counts this many times one in plain prose (BM25F-style). */
  boost: number;
}

export interface QueryTerm {
  term: string;
  weight: number;
}

/** Okapi BM25 constants as most engines default them. */
export const K1 = 1.2;
export const B = 0.75;

/**
 * A small in-memory BM25F index over agent documents, one per slot the caller
 * hands out. A query touches only the documents that hold one of its stems; a
 * document is replaced without rebuilding anything else. A deletion index
 * (stem and its one-letter deletions → stems) finds misspelt words'
 * neighbours by lookup, not by scanning the vocabulary, so typo retry stays
 * cheap in large fleets.
 */
export class Bm25Index {
  private readonly store = new SlotPostings((term, present) => this.onTerm(term, present));
  private readonly deletions = new Map<string, Set<string>>();

  has(term: string): boolean {
    return this.store.has(term);
  }

  termsOf(slot: number): Iterable<string> {
    return this.store.termsOf(slot);
  }

  /** A document given as stem → (boosted, possibly fractional) frequency; its length is their sum. */
  upsertTerms(slot: number, frequencies: ReadonlyMap<string, number>): void {
    this.store.upsert(slot, frequencies);
  }

  remove(slot: number): void {
    this.store.remove(slot);
  }

  capture(): SlotPostingsState {
    return this.store.capture();
  }

  /** Into an empty index; the typo index is rebuilt from the terms, in the order they were first indexed. */
  restore(state: SlotPostingsState): void {
    this.store.restore(state);
  }

  /** Indexed stems within one insertion, deletion or substitution of the term. */
  oneDeletionAway(term: string): string[] {
    const found = new Set<string>();
    for (const key of deletionKeys(term)) for (const stem of this.deletions.get(key) ?? []) found.add(stem);
    found.delete(term);
    return [...found];
  }

  /** Adds each document's BM25 score for the query to `into`, for every document holding a query term. */
  search(query: readonly QueryTerm[], into: SlotScores): void {
    const { store } = this;
    if (store.documents === 0) return;
    const averageLength = store.averageLength;
    const lengths = store.lengths;
    for (const { term, weight } of query) {
      const posting = store.posting(term);
      if (!posting) continue;
      const factor = weight * store.idf(term);
      const { slots, values, length } = posting;
      for (let i = 0; i < length; i++) {
        const slot = slots[i]!;
        const frequency = values[i]!;
        const tf = (frequency * (K1 + 1)) / (frequency + K1 * (1 - B + (B * lengths[slot]!) / averageLength));
        into.add(slot, factor * tf);
      }
    }
  }

  private onTerm(term: string, present: boolean): void {
    for (const key of deletionKeys(term)) {
      let stems = this.deletions.get(key);
      if (present) {
        if (!stems) this.deletions.set(key, (stems = new Set()));
        stems.add(term);
      } else if (stems) {
        stems.delete(term);
        if (stems.size === 0) this.deletions.delete(key);
      }
    }
  }
}

/** The term and each of its distinct one-letter deletions ("ll" deletes to "l" once). */
function deletionKeys(term: string): Set<string> {
  const keys = new Set([term]);
  for (let i = 0; i < term.length; i++) keys.add(term.slice(0, i) + term.slice(i + 1));
  return keys;
}
