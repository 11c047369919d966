import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chunkText, countTokens, toCodePointOffset, toUtf16Offset, type ChunkSpan } from '../src';

const corpus = (name: string) => readFileSync(join(__dirname, 'corpus', name), 'utf8');

/** The invariants every chunking must keep, checked on any text. */
function expectWellFormed(text: string, spans: ChunkSpan[], maxTokens: number): void {
  spans.forEach((span, i) => {
    expect(span.index).toBe(i);
    const chunk = text.slice(span.start, span.end);
    expect(chunk.trim()).toBe(chunk);
    expect(chunk.length).toBeGreaterThan(0);
    expect(countTokens(chunk)).toBeLessThanOrEqual(maxTokens);
    if (i > 0) {
      expect(span.start).toBeGreaterThan(spans[i - 1]!.start);
      expect(span.end).toBeGreaterThan(spans[i - 1]!.end);
    }
  });
  // Every non-whitespace character is inside some chunk.
  const covered = new Uint8Array(text.length);
  for (const { start, end } of spans) covered.fill(1, start, end);
  for (let i = 0; i < text.length; i++) if (!/\s/.test(text[i]!)) expect(covered[i], `offset ${i}`).toBe(1);
}

describe('chunkText', () => {
  it('cuts a long Markdown document into chunks of at most 256 tokens that cover it', () => {
    const text = corpus('commander.md');
    const spans = chunkText(text);
    expect(spans.length).toBeGreaterThan(30);
    expectWellFormed(text, spans, 256);
    const sizes = spans.map((s) => countTokens(text.slice(s.start, s.end)));
    // Chunks are filled, not cut at every boundary: most are over half full.
    expect(sizes.filter((n) => n >= 128).length).toBeGreaterThan(spans.length * 0.8);
  });

  it('overlaps consecutive chunks by about overlapTokens', () => {
    const text = corpus('nats-core.md');
    const spans = chunkText(text, { maxTokens: 128, overlapTokens: 24 });
    expectWellFormed(text, spans, 128);
    const overlaps = spans.slice(1).map((span, i) => {
      const previous = spans[i]!;
      return previous.end > span.start ? countTokens(text.slice(span.start, previous.end)) : 0;
    });
    for (const n of overlaps) expect(n).toBeLessThanOrEqual(24 + 2);
    // A single word can outgrow the overlap only rarely; nearly every pair shares at least half of it.
    expect(overlaps.filter((n) => n >= 12).length).toBeGreaterThan(overlaps.length * 0.9);
  });

  it('does not overlap when overlapTokens is 0', () => {
    const text = corpus('semver.md');
    const spans = chunkText(text, { maxTokens: 64, overlapTokens: 0 });
    expectWellFormed(text, spans, 64);
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.start).toBeGreaterThanOrEqual(spans[i - 1]!.end);
  });

  it('ends chunks at headings, paragraphs and sentences rather than mid-sentence', () => {
    const section = (n: number) =>
      `## Section ${n}\n\n` +
      Array.from({ length: 6 }, (_, s) => `Sentence ${s} of section ${n} says something about otters and rivers.`).join(
        ' ',
      );
    const text = Array.from({ length: 12 }, (_, n) => section(n)).join('\n\n');
    const spans = chunkText(text, { maxTokens: 128, overlapTokens: 0 });
    expectWellFormed(text, spans, 128);
    for (const span of spans.slice(0, -1)) expect(text.slice(span.start, span.end)).toMatch(/\.$/);
    // With no overlap, the strongest boundary wins: every chunk starts at a heading.
    for (const span of spans) expect(text.slice(span.start, span.end)).toMatch(/^## Section \d+/);
  });

  it('is deterministic', () => {
    const text = corpus('openai.md');
    expect(chunkText(text, { maxTokens: 200, overlapTokens: 40 })).toEqual(
      chunkText(text, { maxTokens: 200, overlapTokens: 40 }),
    );
  });

  it('splits runs with no spaces (unspaced CJK, long URLs, base64) without breaking a surrogate pair', () => {
    const text = `intro ${'漢字かな'.repeat(400)} ${'😀'.repeat(300)} ${'QUJD'.repeat(500)} end`;
    const spans = chunkText(text, { maxTokens: 64, overlapTokens: 8 });
    expectWellFormed(text, spans, 64);
    for (const { start, end } of spans) {
      expect(text.charCodeAt(start)).not.toSatisfy((c: number) => c >= 0xdc00 && c <= 0xdfff);
      expect(text.charCodeAt(end - 1)).not.toSatisfy((c: number) => c >= 0xd800 && c <= 0xdbff);
    }
  });

  it('gives no chunk for empty or whitespace-only text, and one for a short text', () => {
    expect(chunkText('')).toEqual([]);
    expect(chunkText(' \n\t \n')).toEqual([]);
    expect(chunkText('  Hello, world.  \n')).toEqual([{ index: 0, start: 2, end: 15 }]);
  });

  it('counts special-token text as ordinary text instead of throwing', () => {
    const text = 'The marker <|endoftext|> appears in this document.';
    expect(chunkText(text)).toEqual([{ index: 0, start: 0, end: text.length }]);
  });

  it('refuses options it cannot honour', () => {
    expect(() => chunkText('x', { maxTokens: 8 })).toThrow(RangeError);
    expect(() => chunkText('x', { maxTokens: 64, overlapTokens: 32 })).toThrow(RangeError);
    expect(() => chunkText('x', { overlapTokens: -1 })).toThrow(RangeError);
  });
});

describe('code point offsets', () => {
  const text = 'a😀b𝒳c\u{1F600}\u{1F600}d';

  it('count code points, not UTF-16 units', () => {
    expect(toCodePointOffset(text, 0)).toBe(0);
    expect(toCodePointOffset(text, 1)).toBe(1);
    expect(toCodePointOffset(text, 3)).toBe(2); // after "a😀"
    expect(toCodePointOffset(text, text.length)).toBe([...text].length);
    expect(toUtf16Offset(text, 2)).toBe(3);
    expect(toUtf16Offset(text, [...text].length)).toBe(text.length);
  });

  it('round-trip at every code point boundary', () => {
    let utf16 = 0;
    [...text].forEach((character, points) => {
      expect(toCodePointOffset(text, utf16)).toBe(points);
      expect(toUtf16Offset(text, points)).toBe(utf16);
      utf16 += character.length;
    });
  });

  it('convert chunk spans of emoji-heavy text to code points that slice the same chunk', () => {
    const emoji = Array.from({ length: 200 }, (_, i) => `Paragraph ${i} 😀🎉 about 𝒳 and ümlauts.`).join('\n\n');
    const points = [...emoji];
    for (const span of chunkText(emoji, { maxTokens: 48, overlapTokens: 8 })) {
      const from = toCodePointOffset(emoji, span.start);
      const to = toCodePointOffset(emoji, span.end);
      expect(points.slice(from, to).join('')).toBe(emoji.slice(span.start, span.end));
      expect(toUtf16Offset(emoji, from)).toBe(span.start);
      expect(toUtf16Offset(emoji, to)).toBe(span.end);
    }
  });

  it('refuse offsets outside the text', () => {
    expect(() => toCodePointOffset(text, text.length + 1)).toThrow(RangeError);
    expect(() => toCodePointOffset(text, -1)).toThrow(RangeError);
    expect(() => toUtf16Offset(text, [...text].length + 1)).toThrow(RangeError);
  });
});
