import { stemmer } from 'stemmer';
import { STOP_WORDS } from './stop-words';
import type { SlotScores } from './slot-scores';

/** Okapi BM25 constants as Lucene and most engines default them. */
export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

/**
 * Runs of letters (with their combining marks) and digits; an inner apostrophe
 * keeps "user's" one word. ASCII letters and digits are tried first: the same
 * words, twice as fast on mostly-English text.
 */
const WORD = /(?:[a-z0-9]|[\p{L}\p{M}\p{N}])+(?:['\u2019](?:[a-z0-9]|[\p{L}\p{M}\p{N}])+)*/gu;
const APOSTROPHES = /['\u2019]/g;
const HAN_KANA = /[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}]/u;
const HAN_KANA_RUNS =
  /[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}]+|[^\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}]+/gu;
const ASCII_WORD = /^[a-z]+$/;
/** The same words as WORD for text that is all ASCII, where a plain character class is several times faster. */
const ASCII_TEXT = /^[^\u0080-\uffff]*$/;
const ASCII_WORDS = /[a-z0-9]+(?:'[a-z0-9]+)*/g;

/**
 * The index terms of a text, in order: NFKC-normalised, lower-cased words
 * (letters and digits, Unicode-aware), English stop words dropped, English
 * words Porter-stemmed (`stemmer`), so "indexes", "indexing" and "indexed"
 * meet. Chinese and Japanese are written without spaces, so a run of Han or
 * kana becomes its overlapping character pairs (as Lucene's CJK analyser
 * does) rather than one long "word" nobody would type.
 */
export function tokenize(text: string): string[] {
  const terms: string[] = [];
  if (ASCII_TEXT.test(text)) {
    for (const [word] of text.toLowerCase().matchAll(ASCII_WORDS)) pushWord(withoutApostrophes(word), terms);
    return terms;
  }
  const normalised = text.normalize('NFKC').toLowerCase();
  const hanOrKana = HAN_KANA.test(normalised);
  for (const match of normalised.matchAll(WORD)) {
    const word = withoutApostrophes(match[0]);
    if (hanOrKana && HAN_KANA.test(word)) {
      for (const run of word.match(HAN_KANA_RUNS)!) {
        if (HAN_KANA.test(run)) pushCharacterPairs(run, terms);
        else pushWord(run, terms);
      }
    } else pushWord(word, terms);
  }
  return terms;
}

function withoutApostrophes(word: string): string {
  return word.includes("'") || word.includes('’') ? word.replace(APOSTROPHES, '') : word;
}

function pushWord(word: string, into: string[]): void {
  if (STOP_WORDS.has(word)) return;
  into.push(word.length > 2 && ASCII_WORD.test(word) ? stem(word) : word);
}

/**
 * Porter stems remembered per word: a text's vocabulary is small next to its
 * length, and stemming was most of the cost of indexing. Bounded: forgotten
 * all at once when full.
 */
const stems = new Map<string, string>();
const REMEMBERED_STEMS = 100_000;

function stem(word: string): string {
  let stemmed = stems.get(word);
  if (stemmed === undefined) {
    if (stems.size >= REMEMBERED_STEMS) stems.clear();
    stems.set(word, (stemmed = stemmer(word)));
  }
  return stemmed;
}

function pushCharacterPairs(run: string, into: string[]): void {
  const characters = [...run];
  if (characters.length === 1) into.push(run);
  for (let i = 0; i + 1 < characters.length; i++) into.push(characters[i]! + characters[i + 1]!);
}

/** A text as BM25 sees it: each term's frequency, and the number of terms (the document length). */
export function termFrequencies(text: string): { frequencies: Map<string, number>; length: number } {
  const terms = tokenize(text);
  const frequencies = new Map<string, number>();
  for (const term of terms) frequencies.set(term, (frequencies.get(term) ?? 0) + 1);
  return { frequencies, length: terms.length };
}

/** One term's postings: `length` pairs of (slot, term frequency), interleaved in one typed array. */
interface PostingList {
  pairs: Int32Array;
  length: number;
}

/**
 * Which indexed chunks a search counts and which it may return. `counted`
 * decides the collection BM25's statistics describe (document count, average
 * length, document frequencies); `returnable`, a subset of it, decides which
 * chunks are scored at all.
 */
export interface Bm25Scope {
  counted: (slot: number) => boolean;
  returnable: ((slot: number) => boolean) | undefined;
  /** Chunks `counted` accepts, and the sum of their lengths. */
  documents: number;
  totalLength: number;
  /** Every slot's document length (number of terms). */
  lengths: ArrayLike<number>;
}

/**
 * An inverted index with BM25 scoring over integer slots the owner hands out.
 * A term's postings are one Int32Array of (slot, frequency) pairs, so 100k
 * chunks cost tens of megabytes outside the JS heap rather than millions of
 * Map entries, and a query walks only the postings of its own terms.
 *
 * Nothing is deleted in place: the owner stops counting a removed slot (its
 * `counted` says no) and later calls renumber() to drop the dead entries and
 * close the gaps, which keeps a removal O(1) and postings in slot order.
 */
export class InvertedIndex {
  private readonly postings = new Map<string, PostingList>();
  private pairCount = 0;

  /** Posting entries held, dead ones included until the next renumber(). */
  get entries(): number {
    return this.pairCount;
  }

  add(slot: number, frequencies: ReadonlyMap<string, number>): void {
    for (const [term, frequency] of frequencies) {
      let list = this.postings.get(term);
      if (!list) this.postings.set(term, (list = { pairs: new Int32Array(4), length: 0 }));
      if (list.length * 2 === list.pairs.length) {
        const grown = new Int32Array(list.pairs.length * 2);
        grown.set(list.pairs);
        list.pairs = grown;
      }
      list.pairs[list.length * 2] = slot;
      list.pairs[list.length * 2 + 1] = frequency;
      list.length++;
      this.pairCount++;
    }
  }

  /**
   * Applies a renumbering: an entry of slot s moves to newSlotOf[s], or is
   * dropped when that is -1. Renumbering must keep the order of the slots it
   * keeps, so postings stay sorted.
   */
  renumber(newSlotOf: Int32Array): void {
    this.pairCount = 0;
    for (const [term, list] of this.postings) {
      const { pairs } = list;
      let kept = 0;
      for (let i = 0; i < list.length; i++) {
        const slot = newSlotOf[pairs[i * 2]!]!;
        if (slot < 0) continue;
        pairs[kept * 2] = slot;
        pairs[kept * 2 + 1] = pairs[i * 2 + 1]!;
        kept++;
      }
      if (kept === 0) this.postings.delete(term);
      else {
        list.length = kept;
        if (kept * 8 < pairs.length) list.pairs = pairs.slice(0, Math.max(4, kept * 4));
      }
      this.pairCount += kept;
    }
  }

  /**
   * Adds each returnable chunk's BM25 score for the query to `into` (k1 1.2,
   * b 0.75; Lucene's idf ln(1 + (N - df + 0.5) / (df + 0.5)), never negative).
   * N, df and the average length count only the chunks in scope, so a chunk
   * outside it changes no score. A query term that occurs twice counts twice.
   */
  score(query: readonly string[], scope: Bm25Scope, into: SlotScores): void {
    if (scope.documents === 0) return;
    const weights = new Map<string, number>();
    for (const term of query) weights.set(term, (weights.get(term) ?? 0) + 1);
    const averageLength = scope.totalLength / scope.documents;
    const { counted, returnable, lengths } = scope;
    let hitSlots = new Int32Array(64);
    let hitFrequencies = new Int32Array(64);
    for (const [term, weight] of weights) {
      const list = this.postings.get(term);
      if (!list) continue;
      const { pairs } = list;
      let df = 0;
      let hits = 0;
      for (let i = 0; i < list.length; i++) {
        const slot = pairs[i * 2]!;
        if (!counted(slot)) continue;
        df++;
        if (returnable && !returnable(slot)) continue;
        if (hits === hitSlots.length) {
          hitSlots = grow(hitSlots);
          hitFrequencies = grow(hitFrequencies);
        }
        hitSlots[hits] = slot;
        hitFrequencies[hits++] = pairs[i * 2 + 1]!;
      }
      if (hits === 0) continue;
      const idf = Math.log(1 + (scope.documents - df + 0.5) / (df + 0.5));
      const factor = weight * idf * (BM25_K1 + 1);
      for (let i = 0; i < hits; i++) {
        const slot = hitSlots[i]!;
        const tf = hitFrequencies[i]!;
        const norm = BM25_K1 * (1 - BM25_B + (BM25_B * lengths[slot]!) / averageLength);
        into.add(slot, (factor * tf) / (tf + norm));
      }
    }
  }
}

function grow(array: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(array.length * 2);
  grown.set(array);
  return grown;
}
