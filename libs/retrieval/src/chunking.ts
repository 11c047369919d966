import { createRequire } from 'node:module';

export interface ChunkSpan {
  index: number;
  /** Offsets in UTF-16 code units into the text (JS string indexes); text.slice(start, end) is the chunk. */
  start: number;
  end: number;
}

export interface ChunkOptions {
  /** Most tokens (o200k_base) a chunk may have (default 256, at least 16). */
  maxTokens?: number;
  /** About how many tokens consecutive chunks share (default 32; 0 for none; less than half of maxTokens). */
  overlapTokens?: number;
}

export const DEFAULT_MAX_TOKENS = 256;
export const DEFAULT_OVERLAP_TOKENS = 32;

/**
 * Special-token text ("<|endoftext|>") in a document is text like any other:
 * counted as the ordinary tokens it encodes to, instead of the tokenizer
 * throwing.
 */
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/** Tokens of a text in o200k_base, the encoding of OpenAI's current models (GPT-4o and later). */
export function countTokens(text: string): number {
  return o200k().countTokens(text, PLAIN_TEXT);
}

type O200k = typeof import('gpt-tokenizer/encoding/o200k_base');
let encoding: O200k | undefined;
/** The encoding's ranks (~11 MiB of heap), loaded by the first text counted rather than by every process importing this library. */
const o200k = () => (encoding ??= createRequire(import.meta.url)('gpt-tokenizer/encoding/o200k_base') as O200k);

/**
 * How good a place the gap before a piece is to end a chunk: a chunk ends
 * before a heading rather than after a paragraph, after a paragraph rather
 * than after a line, and so on down to any space between words.
 */
const enum Boundary {
  Word = 0,
  Sentence = 1,
  Line = 2,
  Paragraph = 3,
  Heading = 4,
}

const SENTENCE_END = /[.!?\u2026\u3002\uFF01\uFF1F](?:["'\u201D\u2019)\]\u00BB]*)$/;
const ATX_HEADING = /^#{1,6}$/;
/** A line that starts a list item, a quote or a table row: a boundary even without a blank line before it. */
const BLOCK_START = /^(?:[-*+>|]|\d{1,3}[.)]|```.*|~~~.*)$/;

/** What the text is made of for chunking: runs of non-space characters, with the whitespace before each. */
interface Pieces {
  /** Where the piece's whitespace starts (the previous piece's end). */
  lead: number[];
  start: number[];
  end: number[];
  /** Tokens of the piece with its leading whitespace. */
  tokens: number[];
  /** The boundary before the piece. */
  boundary: Boundary[];
}

/**
 * Token-aware chunking with gpt-tokenizer's o200k_base encoding.
 *
 * The text is cut into pieces (a word with the whitespace before it; a run
 * longer than a quarter of a chunk, like a URL or unspaced Chinese, in
 * shorter pieces), each gap rated as a boundary (heading, paragraph, list or
 * table line, sentence, word). A chunk takes pieces while they fit in
 * maxTokens, then ends at the strongest boundary in its second half (the
 * latest of equals). The next chunk starts about overlapTokens back,
 * preferring a sentence start when one lies within half to all of that.
 * A chunk's real token count (its own text, encoded) is checked, and the
 * chunk shortened if the pieces' sum underestimated it.
 *
 * Chunks start and end on non-whitespace, so none is whitespace-only, and
 * together they cover every non-whitespace character. Deterministic: the
 * same text and options give the same spans.
 */
export function chunkText(text: string, options: ChunkOptions = {}): ChunkSpan[] {
  const maxTokens = options.maxTokens ?? DEFAULT_MAX_TOKENS;
  const overlapTokens = options.overlapTokens ?? DEFAULT_OVERLAP_TOKENS;
  if (!Number.isInteger(maxTokens) || maxTokens < 16)
    throw new RangeError(`maxTokens must be a whole number >= 16, got ${maxTokens}`);
  if (!Number.isInteger(overlapTokens) || overlapTokens < 0 || overlapTokens * 2 >= maxTokens)
    throw new RangeError(`overlapTokens must be a whole number >= 0 and below half of maxTokens, got ${overlapTokens}`);

  const pieces = splitPieces(text, Math.floor(maxTokens / 4));
  const count = pieces.start.length;
  const before = new Array<number>(count + 1);
  before[0] = 0;
  for (let i = 0; i < count; i++) before[i + 1] = before[i]! + pieces.tokens[i]!;
  const tokensOf = (from: number, to: number) => before[to]! - before[from]!;

  const spans: ChunkSpan[] = [];
  let first = 0;
  while (first < count) {
    let end = first + 1;
    while (end < count && tokensOf(first, end + 1) <= maxTokens) end++;
    if (end < count) end = strongestCut(pieces.boundary, first, end, (to) => tokensOf(first, to) >= maxTokens / 2);
    while (end - 1 > first && countTokens(text.slice(pieces.start[first], pieces.end[end - 1])) > maxTokens) end--;
    spans.push({ index: spans.length, start: pieces.start[first]!, end: pieces.end[end - 1]! });
    if (end >= count) break;
    first = overlapStart(pieces.boundary, first, end, overlapTokens, tokensOf);
  }
  return spans;
}

/** The cut (exclusive end) in (first, end] with the strongest boundary among those that fill the chunk enough. */
function strongestCut(boundary: Boundary[], first: number, end: number, fullEnough: (to: number) => boolean): number {
  let best = end;
  for (let to = end; to > first && fullEnough(to); to--) if (boundary[to]! > boundary[best]!) best = to;
  return best;
}

/**
 * Where the chunk after [first, end) starts: the earliest piece from which
 * at most `overlap` tokens reach the end, moved on to a sentence start when
 * one still leaves half of them. Always after `first`, so chunking advances.
 */
function overlapStart(
  boundary: Boundary[],
  first: number,
  end: number,
  overlap: number,
  tokensOf: (from: number, to: number) => number,
): number {
  let start = end;
  while (start - 1 > first && tokensOf(start - 1, end) <= overlap) start--;
  for (let at = start; at < end && tokensOf(at, end) >= overlap / 2; at++)
    if (boundary[at]! >= Boundary.Sentence) return at;
  return start;
}

function splitPieces(text: string, longest: number): Pieces {
  const pieces: Pieces = { lead: [], start: [], end: [], tokens: [], boundary: [] };
  const cache = new Map<string, number>();
  const tokens = (s: string) => {
    let n = cache.get(s);
    if (n === undefined) cache.set(s, (n = countTokens(s)));
    return n;
  };
  let previousEnd = 0;
  let previousWord = '';
  for (const match of text.matchAll(/\S+/g)) {
    const start = match.index;
    const word = match[0];
    const end = start + word.length;
    const boundary =
      pieces.start.length === 0 ? Boundary.Heading : boundaryBefore(text.slice(previousEnd, start), word, previousWord);
    const n = tokens(text.slice(previousEnd, end));
    if (n <= longest) push(pieces, previousEnd, start, end, n, boundary);
    else splitLongRun(text, previousEnd, start, end, longest, boundary, pieces, tokens);
    previousEnd = end;
    previousWord = word;
  }
  return pieces;
}

function push(pieces: Pieces, lead: number, start: number, end: number, tokens: number, boundary: Boundary): void {
  pieces.lead.push(lead);
  pieces.start.push(start);
  pieces.end.push(end);
  pieces.tokens.push(tokens);
  pieces.boundary.push(boundary);
}

function boundaryBefore(space: string, word: string, previousWord: string): Boundary {
  const newlines = space.split('\n').length - 1;
  if (newlines > 0 && ATX_HEADING.test(word)) return Boundary.Heading;
  if (newlines > 1) return Boundary.Paragraph;
  if (newlines === 1 && BLOCK_START.test(word)) return Boundary.Line;
  // A single newline inside a hard-wrapped paragraph is no boundary of its own.
  return SENTENCE_END.test(previousWord) ? Boundary.Sentence : Boundary.Word;
}

/**
 * A run of non-space characters too long for one piece, in pieces of at most
 * `longest` tokens, never splitting a surrogate pair (one code point is at
 * most 4 tokens, byte-level BPE, and `longest` is at least 4).
 */
function splitLongRun(
  text: string,
  lead: number,
  start: number,
  end: number,
  longest: number,
  boundary: Boundary,
  pieces: Pieces,
  tokens: (s: string) => number,
): void {
  let from = start;
  let pieceLead = lead;
  while (from < end) {
    let to = codePointBoundary(text, Math.min(end, from + longest * 2), from);
    while (tokens(text.slice(pieceLead, to)) > longest) {
      const shorter = codePointBoundary(text, from + Math.floor((to - from) / 2), from);
      if (shorter >= to) break;
      to = shorter;
    }
    push(pieces, pieceLead, from, to, tokens(text.slice(pieceLead, to)), from === start ? boundary : Boundary.Word);
    pieceLead = from = to;
  }
}

/** `at` (at least one past `from`), moved off the middle of a surrogate pair: back, or forward when back is `from`. */
function codePointBoundary(text: string, at: number, from: number): number {
  if (at <= from) at = from + 1;
  if (at < text.length && isLowSurrogate(text.charCodeAt(at)) && isHighSurrogate(text.charCodeAt(at - 1)))
    return at - 1 > from ? at - 1 : at + 1;
  return at;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/**
 * The code point offset (what the public API counts) of a UTF-16 offset
 * into the text: the number of code points that start before it. An offset
 * inside a surrogate pair counts that pair.
 */
export function toCodePointOffset(text: string, utf16Offset: number): number {
  if (!Number.isInteger(utf16Offset) || utf16Offset < 0 || utf16Offset > text.length)
    throw new RangeError(`UTF-16 offset ${utf16Offset} is outside a text of ${text.length} code units`);
  let points = 0;
  for (let i = 0; i < utf16Offset; i++) {
    if (isHighSurrogate(text.charCodeAt(i)) && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) i++;
    points++;
  }
  return points;
}

/** The UTF-16 offset of a code point offset into the text (the inverse of toCodePointOffset). */
export function toUtf16Offset(text: string, codePointOffset: number): number {
  if (!Number.isInteger(codePointOffset) || codePointOffset < 0)
    throw new RangeError(`code point offset ${codePointOffset} is not a whole number >= 0`);
  let i = 0;
  for (let points = 0; points < codePointOffset; points++) {
    if (i >= text.length) throw new RangeError(`code point offset ${codePointOffset} is past the end of the text`);
    i += isHighSurrogate(text.charCodeAt(i)) && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1)) ? 2 : 1;
  }
  return i;
}
