import { tokenize } from './lexical';

export const DEFAULT_SNIPPET_CHARS = 240;

/**
 * The best window of a chunk for a query, at most maxChars UTF-16 code
 * units, starting and ending on word boundaries (a word here is a run of
 * non-space characters): the window holding the most distinct query terms
 * (as tokenize() sees them, so "indexing" finds "indexes"), then the most
 * matches; its matches are then centred in the room left. With no match, the
 * chunk's beginning. A single word longer than maxChars is cut (never inside
 * a surrogate pair). Offsets are UTF-16, into chunkText.
 */
export function bestSnippet(
  chunkText: string,
  query: string,
  maxChars: number = DEFAULT_SNIPPET_CHARS,
): { start: number; end: number } {
  if (!Number.isInteger(maxChars) || maxChars < 1)
    throw new RangeError(`maxChars must be a whole number >= 1, got ${maxChars}`);
  const words = [...chunkText.matchAll(/\S+/g)].map((m) => ({
    start: m.index,
    end: m.index + m[0].length,
    text: m[0],
  }));
  if (words.length === 0) return { start: 0, end: 0 };
  const queryTerms = [...new Set(tokenize(query))];
  const termIndex = new Map(queryTerms.map((term, i) => [term, i]));
  const matched = words.map((w) => [...new Set(tokenize(w.text).flatMap((t) => termIndex.get(t) ?? []))]);

  // Two pointers: for each first word, the window runs to the last word that still fits.
  const inWindow = new Array<number>(queryTerms.length).fill(0);
  let distinct = 0;
  let matches = 0;
  let best = { first: 0, last: -1, distinct: 0, matches: 0 };
  let last = -1;
  for (let first = 0; first < words.length; first++) {
    if (last < first) last = first - 1;
    while (last + 1 < words.length && words[last + 1]!.end - words[first]!.start <= maxChars) {
      last++;
      for (const t of matched[last]!) if (inWindow[t]!++ === 0) distinct++;
      matches += matched[last]!.length;
    }
    if (distinct > best.distinct || (distinct === best.distinct && matches > best.matches))
      best = { first, last, distinct, matches };
    if (last >= first) {
      for (const t of matched[first]!) if (--inWindow[t]! === 0) distinct--;
      matches -= matched[first]!.length;
    }
  }
  if (best.matches > 0) return centred(words, matched, best.first, best.last, maxChars);
  const opening = words[0]!;
  if (opening.end - opening.start > maxChars) return cutWord(chunkText, opening.start, maxChars);
  return { start: opening.start, end: words[lastFitting(words, 0, maxChars)]!.end };
}

/** The window around the matches of [first, last]: the room they leave split evenly before and after them. */
function centred(
  words: readonly { start: number; end: number }[],
  matched: readonly number[][],
  first: number,
  last: number,
  maxChars: number,
): { start: number; end: number } {
  let firstMatch = first;
  while (matched[firstMatch]!.length === 0) firstMatch++;
  let lastMatch = last;
  while (matched[lastMatch]!.length === 0) lastMatch--;
  const room = maxChars - (words[lastMatch]!.end - words[firstMatch]!.start);
  let from = firstMatch;
  while (from > 0 && words[firstMatch]!.start - words[from - 1]!.start <= room / 2) from--;
  return { start: words[from]!.start, end: words[lastFitting(words, from, maxChars)]!.end };
}

function lastFitting(words: readonly { start: number; end: number }[], from: number, maxChars: number): number {
  let last = from;
  while (last + 1 < words.length && words[last + 1]!.end - words[from]!.start <= maxChars) last++;
  return last;
}

function cutWord(text: string, start: number, maxChars: number): { start: number; end: number } {
  let end = start + maxChars;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff && end - 1 > start) end--;
  return { start, end };
}
