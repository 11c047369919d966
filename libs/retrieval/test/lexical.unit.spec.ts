import { describe, expect, it } from 'vitest';
import { tokenize } from '../src';

describe('tokenize', () => {
  it('lower-cases, drops stop words and stems English words', () => {
    expect(tokenize('How do I configure the Indexes?')).toEqual(['configur', 'index']);
    expect(tokenize('indexing indexed indexes')).toEqual(['index', 'index', 'index']);
  });

  it('splits on anything that is not a letter or digit, keeping an inner apostrophe word whole', () => {
    expect(tokenize("user's e-mail: foo_bar@example.com, v2.5")).toEqual([
      'user',
      'e',
      'mail',
      'foo',
      'bar',
      'exampl',
      'com',
      'v2',
      '5',
    ]);
  });

  it('keeps digits and non-Latin words, unstemmed', () => {
    expect(tokenize('Ошибка 404 на сервере')).toEqual(['ошибка', '404', 'на', 'сервере']);
    expect(tokenize('café naïve')).toEqual(['café', 'naïve']);
  });

  it('normalises compatibility forms (NFKC) so full-width and ligature text meets its plain form', () => {
    expect(tokenize('ＡＢＣ ﬁle')).toEqual(tokenize('abc file'));
  });

  it('turns Han and kana runs into overlapping character pairs', () => {
    expect(tokenize('東京タワー')).toEqual(['東京', '京タ', 'タワ', 'ワー']);
    expect(tokenize('abc漢字')).toEqual(['abc', '漢字']);
    expect(tokenize('字')).toEqual(['字']);
  });

  it('tokenizes ASCII text (its fast path) exactly as the Unicode path does', () => {
    const ascii = "It's 2024: the Users' INDEXES were re-built at 03:00, didn't they? x_y-z v1.2.3 O'Neil";
    expect(tokenize(`${ascii} é`)).toEqual([...tokenize(ascii), 'é']);
  });

  it('gives nothing for stop words and punctuation only', () => {
    expect(tokenize('the and of, to!')).toEqual([]);
    expect(tokenize('')).toEqual([]);
  });
});
