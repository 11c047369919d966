/**
 * Words of a typed command with their place in the original text, so that a
 * task's text or an approval's reason can be cut from what the person typed,
 * verbatim, instead of being rebuilt from normalised words.
 */
export interface Token {
  /** As typed (a quoted token without its quotes). */
  text: string;
  /** Lower case, possessive "'s" removed, for matching the grammar's words. */
  lower: string;
  kind: 'word' | 'quoted' | 'punct';
  /** "bob's": the possessive was removed from `lower`. */
  possessive: boolean;
  start: number;
  end: number;
}

const QUOTES: Record<string, string> = { '"': '"', '“': '”', '‘': '’', "'": "'", '`': '`' };
const PUNCT = new Set([',', ';', ':', '!', '?', '(', ')']);

export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    const close = QUOTES[c];
    // An apostrophe opens a quote only at a word start and only when it is closed before a non-letter.
    if (close !== undefined) {
      const end = input.indexOf(close, i + 1);
      const closesCleanly = end > i + 1 && (end + 1 >= input.length || !/[\p{L}\p{N}]/u.test(input[end + 1]));
      if (closesCleanly) {
        const text = input.slice(i + 1, end);
        tokens.push({ text, lower: text.toLowerCase(), kind: 'quoted', possessive: false, start: i, end: end + 1 });
        i = end + 1;
        continue;
      }
      if (c !== "'") {
        i += 1;
        continue;
      }
    }
    if (PUNCT.has(c)) {
      tokens.push({ text: c, lower: c, kind: 'punct', possessive: false, start: i, end: i + 1 });
      i += 1;
      continue;
    }
    const rest = input.slice(i);
    // 1,000,000 is one number; elsewhere a comma separates.
    const number = /^\$?\d{1,3}(?:,\d{3})+(?:\.\d+)?[a-z]*/i.exec(rest);
    let word = number ? number[0] : /^[^\s,;:!?()"\u201C\u201D\u2018\u2019`]+/.exec(rest)![0];
    // A full stop ends a sentence unless it sits inside a word (gpt-4.1, example.com).
    while (word.length > 1 && /[.']$/.test(word)) word = word.slice(0, -1);
    if (word === '.' || word === "'") {
      tokens.push({ text: '.', lower: '.', kind: 'punct', possessive: false, start: i, end: i + 1 });
      i += 1;
      continue;
    }
    let lower = word.toLowerCase().replace(/\u2019/g, "'");
    const possessive = /'s$/.test(lower) && lower.length > 2;
    if (possessive) lower = lower.slice(0, -2);
    else if (/s'$/.test(lower)) lower = lower.slice(0, -1);
    tokens.push({
      text: possessive ? word.slice(0, -2) : word,
      lower,
      kind: 'word',
      possessive,
      start: i,
      end: i + word.length,
    });
    i += word.length;
  }
  return tokens;
}

/** The words of tokens, joined as typed (quoted tokens keep their content). */
export function joinText(tokens: readonly Token[]): string {
  return tokens.map((t) => t.text).join(' ');
}

export function isWord(token: Token | undefined, ...words: string[]): boolean {
  return token !== undefined && token.kind === 'word' && words.includes(token.lower);
}

/** Index of the first token at or after `from` that is one of `words` (unquoted), or -1. */
export function indexOfWord(tokens: readonly Token[], words: readonly string[], from = 0): number {
  for (let i = from; i < tokens.length; i++) if (tokens[i].kind === 'word' && words.includes(tokens[i].lower)) return i;
  return -1;
}

/** Splits at separators (unquoted "and", ",", "&", "plus", "or") into non-empty groups. */
export function splitList(tokens: readonly Token[], separators = ['and', ',', '&', 'plus', 'or']): Token[][] {
  const groups: Token[][] = [[]];
  for (const t of tokens) {
    if ((t.kind === 'word' || t.kind === 'punct') && separators.includes(t.lower)) groups.push([]);
    else groups[groups.length - 1].push(t);
  }
  return groups.filter((g) => g.length > 0);
}
