import { describe, expect, it } from 'vitest';
import { bestSnippet } from '../src';

const filler = (n: number, word = 'lorem') => Array.from({ length: n }, (_, i) => `${word}${i}`).join(' ');

describe('bestSnippet', () => {
  it('returns the whole (trimmed) chunk when it fits', () => {
    expect(bestSnippet('  Short chunk about otters.  ', 'otters')).toEqual({ start: 2, end: 27 });
  });

  it('finds the window with the most distinct query terms, on word boundaries, within maxChars', () => {
    const text = `${filler(60)} the vault keys rotate every ninety days ${filler(60, 'ipsum')} vault ${filler(20, 'dolor')}`;
    const { start, end } = bestSnippet(text, 'rotating vault keys', 120);
    const snippet = text.slice(start, end);
    expect(end - start).toBeLessThanOrEqual(120);
    expect(snippet).toContain('vault keys rotate');
    expect(start === 0 || /\s/.test(text[start - 1]!)).toBe(true);
    expect(end === text.length || /\s/.test(text[end]!)).toBe(true);
    expect(snippet).toBe(snippet.trim());
    // The matches sit in the middle of the window, not at its edge.
    const at = snippet.indexOf('vault keys rotate');
    expect(at).toBeGreaterThan(20);
    expect(snippet.length - (at + 'vault keys rotate'.length)).toBeGreaterThan(20);
  });

  it('matches word forms the way the index does (stems), not just the exact spelling', () => {
    const text = `${filler(80)} Indexing happens nightly. ${filler(80, 'ipsum')}`;
    const { start, end } = bestSnippet(text, 'when are indexes built', 80);
    expect(text.slice(start, end)).toContain('Indexing happens nightly.');
  });

  it('falls back to the beginning of the chunk when nothing matches', () => {
    const text = filler(100);
    const { start, end } = bestSnippet(text, 'absent', 50);
    expect(start).toBe(0);
    expect(text.slice(start, end)).toBe('lorem0 lorem1 lorem2 lorem3 lorem4 lorem5 lorem6');
  });

  it('keeps offsets in UTF-16 units and never cuts a surrogate pair', () => {
    const text = `${'😀 '.repeat(100)}otters ${'🎉 '.repeat(100)}`;
    const { start, end } = bestSnippet(text, 'otters', 41);
    expect(text.slice(start, end)).toContain('otters');
    expect(end - start).toBeLessThanOrEqual(41);
    expect(text.slice(start, end)).toMatch(/^[😀🎉o]/u);
    const long = '𝒳'.repeat(300);
    const cut = bestSnippet(long, 'x', 25);
    expect(cut).toEqual({ start: 0, end: 24 });
  });

  it('returns an empty window for a whitespace-only chunk and refuses a non-positive size', () => {
    expect(bestSnippet('   ', 'x')).toEqual({ start: 0, end: 0 });
    expect(() => bestSnippet('text', 'x', 0)).toThrow(RangeError);
  });
});
