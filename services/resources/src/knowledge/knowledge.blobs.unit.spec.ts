import { describe, expect, it } from 'vitest';
import { BLOB_PART_BYTES, blobStreamId } from '@aos/domain';
import { toCodePointOffset } from '@aos/retrieval';
import { BlobAssembler, BlobCache, blobParts, sha256Hex } from './knowledge.blobs';
import { codePointOffsets, countCodePoints } from './knowledge.projection';

const bytes = Buffer.alloc(BLOB_PART_BYTES * 2 + 5, 'knowledge ');
const sha = sha256Hex(bytes);
const stream = blobStreamId(sha);

describe('blob parts', () => {
  it('splits bytes into parts of BLOB_PART_BYTES that join back to the hash', () => {
    const parts = blobParts(sha, 'text', bytes);
    expect(parts.map((p) => [p.part, p.parts, p.totalBytes])).toEqual([
      [0, 3, bytes.length],
      [1, 3, bytes.length],
      [2, 3, bytes.length],
    ]);
    const assembler = new BlobAssembler();
    const outcomes = parts.map((p, i) => assembler.apply('t1', stream, i, p));
    expect(outcomes.slice(0, 2).map((o) => o.kind)).toEqual(['partial', 'partial']);
    expect(outcomes[2]).toEqual({ kind: 'complete', sha256: sha, blobKind: 'text', bytes });
    expect(assembler.has('t1', sha)).toBe(true);
    // Per tenant: the same bytes in another tenant's log are another blob.
    expect(assembler.has('t2', sha)).toBe(false);
  });

  it("checks an original blob's hash without keeping its bytes", () => {
    const assembler = new BlobAssembler();
    const outcomes = blobParts(sha, 'original', bytes).map((p, i) => assembler.apply('t1', stream, i, p));
    expect(outcomes.at(-1)).toEqual({ kind: 'complete', sha256: sha, blobKind: 'original', bytes: undefined });
  });

  it('refuses parts that do not join to the hash they name, or come out of order', () => {
    const assembler = new BlobAssembler();
    const forged = blobParts(sha, 'text', Buffer.from('other bytes'));
    expect(assembler.apply('t1', stream, 0, forged[0]!)).toMatchObject({ kind: 'refused' });
    expect(assembler.has('t1', sha)).toBe(false);
    const parts = blobParts(sha, 'text', bytes);
    expect(assembler.apply('t1', stream, 1, parts[1]!)).toMatchObject({ kind: 'refused' });
    // A writer that starts again at part 0 completes it.
    parts.forEach((p, i) => assembler.apply('t1', stream, 2 + i, p));
    expect(assembler.has('t1', sha)).toBe(true);
  });

  it('tells a writer where to append: after an unfinished write of its kind (its retry), else after the stream', () => {
    const assembler = new BlobAssembler();
    expect(assembler.appendAfter('t1', sha, 'text')).toBe(-1);
    const parts = blobParts(sha, 'text', bytes);
    assembler.apply('t1', stream, 0, parts[0]!);
    assembler.apply('t1', stream, 1, parts[1]!);
    expect(assembler.appendAfter('t1', sha, 'text')).toBe(-1);
    expect(assembler.appendAfter('t1', sha, 'embeddings')).toBe(1);
  });
});

describe('blob cache', () => {
  it('keeps the most recently used blobs up to its size', () => {
    const cache = new BlobCache(10);
    cache.put('t', 'a', Buffer.alloc(4));
    cache.put('t', 'b', Buffer.alloc(4));
    expect(cache.get('t', 'a')).toBeDefined();
    cache.put('t', 'c', Buffer.alloc(4));
    expect([cache.get('t', 'a'), cache.get('t', 'b'), cache.get('t', 'c')].map(Boolean)).toEqual([true, false, true]);
    cache.put('t', 'huge', Buffer.alloc(11));
    expect(cache.get('t', 'huge')).toBeUndefined();
    expect(cache.size).toBe(8);
  });
});

describe('code point offsets', () => {
  it("are the retrieval library's toCodePointOffset, in one pass", () => {
    const text = 'a😀b 𝄞𝄞 c — d 🚀 end';
    const chunks = [
      { start: 0, end: 4 },
      { start: 2, end: 12 },
      { start: 5, end: text.length },
    ];
    const expected = chunks.flatMap(({ start, end }) => [toCodePointOffset(text, start), toCodePointOffset(text, end)]);
    expect([...codePointOffsets(text, chunks)!]).toEqual(expected);
    expect(countCodePoints(text)).toBe([...text].length);
  });

  it('refuse chunks that are empty or outside the text', () => {
    expect(codePointOffsets('abc', [{ start: 1, end: 1 }])).toBeUndefined();
    expect(codePointOffsets('abc', [{ start: 0, end: 4 }])).toBeUndefined();
  });
});
