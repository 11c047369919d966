import { terms } from './text';

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
const K1 = 1.2;
const B = 0.75;

interface Document {
  /** Stem → boosted term frequency. */
  frequencies: Map<string, number>;
  length: number;
}

/**
 * A small in-memory BM25F index over agent documents. Postings are per stem,
 * so a query touches only the documents that hold one of its stems; a document
 * is replaced without rebuilding anything else. A deletion index (stem and its
 * one-letter deletions → stems) finds misspelt words' neighbours by lookup,
 * not by scanning the vocabulary, so typo retry stays cheap in large fleets.
 */
export class Bm25Index {
  private readonly documents = new Map<string, Document>();
  private readonly postings = new Map<string, Map<string, number>>();
  private readonly deletions = new Map<string, Set<string>>();
  private totalLength = 0;

  has(term: string): boolean {
    return this.postings.has(term);
  }

  termsOf(id: string): Iterable<string> {
    return this.documents.get(id)?.frequencies.keys() ?? [];
  }

  upsert(id: string, fields: readonly FieldText[]): void {
    const frequencies = new Map<string, number>();
    for (const field of fields)
      for (const term of terms(field.text)) frequencies.set(term, (frequencies.get(term) ?? 0) + field.boost);
    this.upsertTerms(id, frequencies);
  }

  /** A document given as stem → (boosted, possibly fractional) frequency; its length is their sum. */
  upsertTerms(id: string, frequencies: ReadonlyMap<string, number>): void {
    this.remove(id);
    let length = 0;
    for (const frequency of frequencies.values()) length += frequency;
    this.documents.set(id, { frequencies: new Map(frequencies), length });
    this.totalLength += length;
    for (const [term, frequency] of frequencies) {
      let posting = this.postings.get(term);
      if (!posting) {
        this.postings.set(term, (posting = new Map()));
        for (const key of deletionKeys(term)) {
          let stems = this.deletions.get(key);
          if (!stems) this.deletions.set(key, (stems = new Set()));
          stems.add(term);
        }
      }
      posting.set(id, frequency);
    }
  }

  remove(id: string): void {
    const document = this.documents.get(id);
    if (!document) return;
    this.documents.delete(id);
    this.totalLength -= document.length;
    for (const term of document.frequencies.keys()) {
      const posting = this.postings.get(term)!;
      posting.delete(id);
      if (posting.size > 0) continue;
      this.postings.delete(term);
      for (const key of deletionKeys(term)) {
        const stems = this.deletions.get(key)!;
        stems.delete(term);
        if (stems.size === 0) this.deletions.delete(key);
      }
    }
  }

  /** Indexed stems within one insertion, deletion or substitution of the term. */
  oneDeletionAway(term: string): string[] {
    const found = new Set<string>();
    for (const key of deletionKeys(term)) for (const stem of this.deletions.get(key) ?? []) found.add(stem);
    found.delete(term);
    return [...found];
  }

  /** Document id → BM25 score, for every document holding a query term. */
  search(query: readonly QueryTerm[]): Map<string, number> {
    const scores = new Map<string, number>();
    const count = this.documents.size;
    if (count === 0) return scores;
    const averageLength = this.totalLength / count;
    for (const { term, weight } of query) {
      const posting = this.postings.get(term);
      if (!posting) continue;
      const idf = Math.log(1 + (count - posting.size + 0.5) / (posting.size + 0.5));
      for (const [id, frequency] of posting) {
        const length = this.documents.get(id)!.length;
        const tf = (frequency * (K1 + 1)) / (frequency + K1 * (1 - B + (B * length) / averageLength));
        scores.set(id, (scores.get(id) ?? 0) + weight * idf * tf);
      }
    }
    return scores;
  }
}

/**
 * How much each query group contributed, per document: groups are the terms
 * one task word stands for (its stem and its WordNet relatives).
 */
export function scoreGroups(
  index: Bm25Index,
  groups: readonly { weight: number; terms: readonly QueryTerm[] }[],
  combine: (evidence: number, bestEvidence: number) => number,
): Map<string, number> {
  const total = new Map<string, number>();
  for (const group of groups) {
    const scores = index.search(group.terms);
    let best = 0;
    for (const v of scores.values()) best = Math.max(best, v);
    if (best === 0) continue;
    for (const [id, v] of scores) total.set(id, (total.get(id) ?? 0) + group.weight * combine(v, best));
  }
  return total;
}

/** The term and each of its distinct one-letter deletions ("ll" deletes to "l" once). */
function deletionKeys(term: string): Set<string> {
  const keys = new Set([term]);
  for (let i = 0; i < term.length; i++) keys.add(term.slice(0, i) + term.slice(i + 1));
  return keys;
}
