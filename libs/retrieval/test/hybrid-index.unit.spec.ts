import { describe, expect, it } from 'vitest';
import {
  BM25_B,
  BM25_K1,
  HybridIndex,
  RRF_K,
  VectorDimensionsError,
  reciprocalRankFusion,
  tokenize,
  type IndexedChunk,
  type SearchOptions,
} from '../src';

const all: SearchOptions['allowGroup'] = () => true;

function chunk(key: string, text: string, extra: Partial<IndexedChunk> = {}): IndexedChunk {
  return { key, group: 'kb1', documentKey: key.split('#')[0]!, text, metadata: {}, ...extra };
}

function indexOf(chunks: IndexedChunk[]): HybridIndex {
  const index = new HybridIndex();
  for (const c of chunks) index.add(c);
  return index;
}

const OTTERS = [
  chunk('otters#0', 'Sea otters hold hands while they sleep so that they do not drift apart.'),
  chunk('otters#1', 'Otters use rocks as tools to open shellfish such as clams and urchins.'),
  chunk('rivers#0', 'Rivers carry sediment to the sea and shape valleys over thousands of years.'),
  chunk('kelp#0', 'Kelp forests grow in cold water and shelter fish, urchins and sea otters.'),
  chunk('fur#0', 'Dense fur keeps an animal warm; sea otters have the densest fur of all.'),
];

/** BM25 as the textbook writes it, over every chunk given: the reference the index must agree with. */
function referenceBm25(chunks: readonly IndexedChunk[], query: string): Map<string, number> {
  const docs = chunks.map((c) => ({ key: c.key, terms: tokenize(c.text) }));
  const average = docs.reduce((sum, d) => sum + d.terms.length, 0) / docs.length;
  const scores = new Map<string, number>();
  for (const term of tokenize(query)) {
    const df = docs.filter((d) => d.terms.includes(term)).length;
    const idf = Math.log(1 + (docs.length - df + 0.5) / (df + 0.5));
    for (const d of docs) {
      const tf = d.terms.filter((t) => t === term).length;
      if (tf === 0) continue;
      const norm = tf + BM25_K1 * (1 - BM25_B + (BM25_B * d.terms.length) / average);
      scores.set(d.key, (scores.get(d.key) ?? 0) + (idf * tf * (BM25_K1 + 1)) / norm);
    }
  }
  return scores;
}

describe('HybridIndex, lexical', () => {
  it('scores BM25 as the textbook does and ranks by it', () => {
    const index = indexOf(OTTERS);
    const hits = index.search('sea otters sleeping', { topK: 10, allowGroup: all });
    const reference = referenceBm25(OTTERS, 'sea otters sleeping');
    // Equal scores rank in the order the chunks were added.
    const order = (key: string) => OTTERS.findIndex((c) => c.key === key);
    const expected = [...reference.entries()].sort((a, b) => b[1] - a[1] || order(a[0]) - order(b[0]));
    expect(hits.map((h) => h.key)).toEqual(expected.map(([key]) => key));
    for (const hit of hits) {
      expect(hit.lexicalScore).toBeCloseTo(reference.get(hit.key)!, 10);
      expect(hit.mode).toBe('lexical');
      expect(hit.denseRank).toBeUndefined();
    }
    // "sleeping" meets "sleep" through stemming; the one chunk about sleep is first.
    expect(hits[0]!.key).toBe('otters#0');
  });

  it('gives rarer terms more weight, more occurrences more weight, and longer chunks less', () => {
    const index = indexOf([
      chunk('both', 'zebra apple'),
      chunk('apple-twice', 'apple apple'),
      chunk('apple', 'apple pear'),
      chunk('zebra', 'zebra mango'),
      chunk('apple-long', `apple ${'filler '.repeat(40)}`),
    ]);
    const score = new Map(
      index.search('zebra apple', { topK: 10, allowGroup: all }).map((h) => [h.key, h.lexicalScore!]),
    );
    expect(score.get('both')!).toBeGreaterThan(score.get('zebra')!);
    expect(score.get('zebra')!).toBeGreaterThan(score.get('apple')!); // df 2 against df 4
    expect(score.get('apple-twice')!).toBeGreaterThan(score.get('apple')!);
    expect(score.get('apple')!).toBeGreaterThan(score.get('apple-long')!);
  });

  it('returns nothing for a query of stop words only, and nothing from an empty index', () => {
    expect(indexOf(OTTERS).search('the and of', { topK: 5, allowGroup: all })).toEqual([]);
    expect(new HybridIndex().search('otters', { topK: 5, allowGroup: all })).toEqual([]);
  });

  it('respects topK and normalises the fused score to (0, 1], 1 for the best hit', () => {
    const hits = indexOf(OTTERS).search('otters', { topK: 2, allowGroup: all });
    expect(hits).toHaveLength(2);
    expect(hits[0]!.score).toBe(1);
    expect(hits[1]!.score).toBeCloseTo((RRF_K + 1) / (RRF_K + 2), 12);
    expect(hits.map((h) => h.lexicalRank)).toEqual([1, 2]);
  });
});

describe('HybridIndex, permission filter', () => {
  const visible = [
    chunk('kb1/a#0', 'Rotate the signing keys every ninety days.', { group: 'kb1', documentKey: 'kb1/a' }),
    chunk('kb1/a#1', 'Keys are stored in the vault and never in the repository.', {
      group: 'kb1',
      documentKey: 'kb1/a',
    }),
    chunk('kb2/b#0', 'The vault seals itself after three failed unseal attempts.', {
      group: 'kb2',
      documentKey: 'kb2/b',
    }),
    chunk('kb2/c#0', 'Signing requests go through the release pipeline.', { group: 'kb2', documentKey: 'kb2/c' }),
  ];
  // Many secret chunks full of the query's words: held, they would change every statistic BM25 uses.
  const secret = Array.from({ length: 30 }, (_, i) =>
    chunk(`secret/s#${i}`, `vault keys signing keys vault rotation secret plan ${i} ${'extra words '.repeat(i % 7)}`, {
      group: 'secret',
      documentKey: 'secret/s',
    }),
  );
  const notSecret = (group: string) => group !== 'secret';
  const withVectors = (chunks: IndexedChunk[]) =>
    chunks.map((c, i) => ({
      ...c,
      vector: new Float32Array([1, (i % 5) / 5, (i % 3) / 3, c.group === 'secret' ? 5 : 0]),
    }));

  it('never returns a disallowed chunk, and scores allowed chunks exactly as an index that never held it', () => {
    const mixed = new HybridIndex();
    // Interleaved, so the secret chunks also sit between the allowed ones' slots.
    for (let i = 0; i < secret.length; i++) {
      if (visible[i]) mixed.add(visible[i]!);
      mixed.add(secret[i]!);
    }
    const clean = indexOf(visible);
    for (const query of ['vault keys', 'signing', 'rotate keys in the vault', 'secret plan']) {
      const got = mixed.search(query, { topK: 10, allowGroup: notSecret });
      expect(got.some((h) => h.key.startsWith('secret/'))).toBe(false);
      expect(got).toEqual(clean.search(query, { topK: 10, allowGroup: all }));
    }
    // The secret chunks do matter when allowed: the same search over everything scores kb1's chunks differently.
    const open = mixed.search('vault keys', { topK: 50, allowGroup: all });
    const closed = mixed.search('vault keys', { topK: 50, allowGroup: notSecret });
    expect(open.find((h) => h.key === 'kb1/a#1')!.lexicalScore).not.toBe(
      closed.find((h) => h.key === 'kb1/a#1')!.lexicalScore,
    );
  });

  it('keeps disallowed chunks out of dense retrieval and fusion too', () => {
    const mixed = indexOf(withVectors([...secret, ...visible]));
    const clean = indexOf(withVectors(visible));
    // The query vector points at the secret chunks: a filter applied after taking candidates would find none left.
    const queryVector = new Float32Array([0.2, 0.3, 0.1, 1]);
    const options = { topK: 2, allowGroup: notSecret, queryVector, candidates: 2 };
    expect(mixed.search('', { ...options, allowGroup: all }).every((h) => h.key.startsWith('secret/'))).toBe(true);
    const got = mixed.search('vault', options);
    expect(got).toHaveLength(2);
    expect(got.every((h) => h.mode === 'hybrid' && !h.key.startsWith('secret/'))).toBe(true);
    expect(got.filter((h) => h.denseRank !== undefined).length).toBeGreaterThan(0);
    expect(got).toEqual(clean.search('vault', { ...options, allowGroup: all }));
  });

  it('asks about each group once per search, and not about groups with no chunks left', () => {
    const index = indexOf([...visible, ...secret]);
    index.removeDocument('kb2/b');
    index.removeDocument('kb2/c');
    const asked: string[] = [];
    index.search('vault keys', { topK: 5, allowGroup: (g) => (asked.push(g), true) });
    expect(asked.sort()).toEqual(['kb1', 'secret']);
  });

  it('returns nothing when no group is allowed', () => {
    expect(indexOf(visible).search('vault', { topK: 5, allowGroup: () => false })).toEqual([]);
  });
});

describe('HybridIndex, metadata filter', () => {
  const docs = [
    chunk('en#0', 'Deploying the service to production needs an approval.', { metadata: { lang: 'en', team: 'ops' } }),
    chunk('en#1', 'Deploying on Fridays is discouraged; production freezes at noon.', {
      metadata: { lang: 'en', team: 'dev' },
    }),
    chunk('de#0', 'Deploying nach production braucht eine Freigabe.', { metadata: { lang: 'de', team: 'ops' } }),
    chunk('none#0', 'Deploying production service approval approval approval.', { metadata: {} }),
  ];

  it('returns only chunks whose metadata has every pair', () => {
    const index = indexOf(docs);
    const keys = (metadata: Record<string, string>) =>
      index
        .search('deploying production', { topK: 10, allowGroup: all, metadata })
        .map((h) => h.key)
        .sort();
    expect(keys({ lang: 'en' })).toEqual(['en#0', 'en#1']);
    expect(keys({ lang: 'en', team: 'ops' })).toEqual(['en#0']);
    expect(keys({ team: 'ops' })).toEqual(['de#0', 'en#0']);
    expect(keys({ lang: 'fr' })).toEqual([]);
    expect(keys({})).toEqual(['de#0', 'en#0', 'en#1', 'none#0']);
    expect(keys({ toString: 'x' })).toEqual([]);
  });

  it('filters before candidates are taken, so better chunks that fail it do not crowd the match out', () => {
    const index = indexOf(docs);
    // One candidate per retriever: a filter applied after taking candidates would leave nothing.
    const hits = index.search('approval', { topK: 1, candidates: 1, allowGroup: all, metadata: { lang: 'en' } });
    expect(hits.map((h) => h.key)).toEqual(['en#0']);
    expect(index.search('approval', { topK: 1, candidates: 1, allowGroup: all })[0]!.key).toBe('none#0');
  });
});

describe('HybridIndex, hybrid search and minScore', () => {
  it('finds by vector what shares no word with the query, and fuses both rankings', () => {
    const index = indexOf([
      chunk('cat', 'A small domesticated feline.', { vector: new Float32Array([1, 0, 0]) }),
      chunk('dog', 'Dogs bark at the postman.', { vector: new Float32Array([0, 1, 0]) }),
      chunk('car', 'A kitten sat in the car.', { vector: new Float32Array([0, 0, 1]) }),
    ]);
    const hits = index.search('kitten', { topK: 3, allowGroup: all, queryVector: new Float32Array([2, 0, 0.1]) });
    expect(hits.every((h) => h.mode === 'hybrid')).toBe(true);
    const cat = hits.find((h) => h.key === 'cat')!;
    expect(cat.lexicalRank).toBeUndefined();
    expect(cat.denseRank).toBe(1);
    expect(cat.denseScore).toBeCloseTo(2 / Math.hypot(2, 0.1), 6);
    const car = hits.find((h) => h.key === 'car')!;
    expect(car.lexicalRank).toBe(1);
    expect(car.denseRank).toBe(2);
    // In both lists beats first in one: car ranks first.
    expect(hits[0]!.key).toBe('car');
    expect(car.score).toBeCloseTo((1 / (RRF_K + 1) + 1 / (RRF_K + 2)) / (2 / (RRF_K + 1)), 12);
  });

  it('compares only vectors of the query vector model when one is named (two models of one width do not mix)', () => {
    const index = indexOf([
      chunk('old#0', 'Kelp forests shelter fish.', { vector: new Float32Array([1, 0]), vectorModel: 'model-a' }),
      chunk('new#0', 'Rivers carry sediment.', { vector: new Float32Array([1, 0]), vectorModel: 'model-b' }),
    ]);
    const query = { topK: 5, allowGroup: all, queryVector: new Float32Array([1, 0]) };
    const mixed = index.search('nothing matches lexically', query);
    expect(mixed.map((h) => h.key).sort()).toEqual(['new#0', 'old#0']);
    const hits = index.search('nothing matches lexically', { ...query, vectorModel: 'model-b' });
    expect(hits.map((h) => [h.key, h.denseRank, h.mode])).toEqual([['new#0', 1, 'hybrid']]);
  });

  it('scores a search over chunks without vectors as lexical (1 for the best), though other groups of the index have vectors', () => {
    const index = indexOf([
      chunk('a#0', 'Sea otters hold hands.', { group: 'with-vectors', vector: new Float32Array([1, 0]) }),
      chunk('b#0', 'Otters use rocks as tools.', { group: 'no-vectors' }),
    ]);
    const hits = index.search('otters rocks', {
      topK: 5,
      allowGroup: (group) => group === 'no-vectors',
      queryVector: new Float32Array([1, 0]),
      minScore: 0.6,
    });
    expect(hits.map((h) => [h.key, h.score, h.mode])).toEqual([['b#0', 1, 'lexical']]);
  });

  it('applies minScore after fusion: hits survive although every score fed into fusion is below it', () => {
    // Every chunk holds the query's only word (BM25 near 0) and points away from the query vector (cosine <= 0.3).
    const index = new HybridIndex();
    for (let i = 0; i < 20; i++) {
      const s = 0.3 - 0.01 * i;
      index.add(chunk(`r#${i}`, `quarterly report ${'appendix '.repeat(i)}`, { vector: new Float32Array([s, 1, 0]) }));
    }
    const minScore = 0.99;
    const hits = index.search('report', {
      topK: 20,
      allowGroup: all,
      queryVector: new Float32Array([1, 0, 0]),
      minScore,
    });
    const unfiltered = index.search('report', { topK: 20, allowGroup: all, queryVector: new Float32Array([1, 0, 0]) });
    // A threshold on the retrievers' own scores would have emptied both lists before fusion.
    expect(unfiltered.every((h) => h.lexicalScore! < minScore && h.denseScore! < minScore)).toBe(true);
    expect(hits.map((h) => h.key)).toEqual(['r#0']);
    expect(hits[0]!.score).toBe(1);
    expect(unfiltered).toHaveLength(20);
    expect(unfiltered.filter((h) => h.score >= minScore)).toEqual(hits);
  });

  it('applies minScore in a lexical search as well', () => {
    const hits = indexOf(OTTERS).search('otters', { topK: 10, allowGroup: all, minScore: 0.98 });
    expect(hits).toHaveLength(2);
    expect(hits[0]!.score).toBe(1);
    expect(hits[1]!.score).toBeCloseTo((RRF_K + 1) / (RRF_K + 2), 12);
  });

  it('stays lexical when the index holds no vectors, and refuses vectors of other dimensions', () => {
    const plain = indexOf(OTTERS);
    expect(plain.search('otters', { topK: 1, allowGroup: all, queryVector: new Float32Array([1, 2]) })[0]!.mode).toBe(
      'lexical',
    );
    const index = indexOf([chunk('v', 'vector chunk', { vector: new Float32Array([3, 4]) })]);
    expect(index.get('v')!.vector).toEqual(new Float32Array([0.6, 0.8]));
    expect(() => index.add(chunk('w', 'other', { vector: new Float32Array([1, 2, 3]) }))).toThrow(
      VectorDimensionsError,
    );
    expect(() => index.search('x', { topK: 1, allowGroup: all, queryVector: new Float32Array(3) })).toThrow(
      VectorDimensionsError,
    );
    expect(() => index.add(chunk('z', 'zero', { vector: new Float32Array(2) }))).toThrow(RangeError);
    // The failed add left the index as it was.
    expect(index.size).toBe(1);
  });
});

describe('HybridIndex, updates', () => {
  it('replaces a chunk with the same key', () => {
    const index = indexOf(OTTERS);
    index.add(chunk('rivers#0', 'Glaciers carve fjords.'));
    expect(index.size).toBe(OTTERS.length);
    expect(index.get('rivers#0')!.text).toBe('Glaciers carve fjords.');
    expect(index.search('sediment', { topK: 5, allowGroup: all })).toEqual([]);
    expect(index.search('glaciers', { topK: 5, allowGroup: all }).map((h) => h.key)).toEqual(['rivers#0']);
  });

  it('removes every chunk of a document, and scores the rest as an index that never held them', () => {
    const index = indexOf(OTTERS);
    index.removeDocument('otters');
    expect(index.size).toBe(3);
    expect(index.get('otters#0')).toBeUndefined();
    const remaining = OTTERS.filter((c) => c.documentKey !== 'otters');
    expect(index.search('sea otters', { topK: 5, allowGroup: all })).toEqual(
      indexOf(remaining).search('sea otters', { topK: 5, allowGroup: all }),
    );
    index.removeDocument('not-there');
    expect(index.size).toBe(3);
  });

  it('stays correct through many removals and re-additions (compaction renumbers slots)', () => {
    const index = new HybridIndex();
    const live = new Map<string, IndexedChunk>();
    const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
    for (let round = 0; round < 5; round++) {
      for (let d = 0; d < 40; d++) {
        const documentKey = `doc${d}`;
        if ((d + round) % 3 === 0) {
          index.removeDocument(documentKey);
          for (const key of [...live.keys()]) if (key.startsWith(`${documentKey}#`)) live.delete(key);
          continue;
        }
        for (let c = 0; c < 3; c++) {
          const text = `${words[(d + c + round) % 8]} ${words[(d * c + round) % 8]} round${round}`;
          const added = chunk(`${documentKey}#${c}`, text, { vector: new Float32Array([1 + d, c + 1, round + 1]) });
          index.add(added);
          live.set(added.key, added);
        }
      }
    }
    expect(index.size).toBe(live.size);
    const fresh = indexOf([...live.values()]);
    for (const query of ['alpha beta', 'gamma round4', 'theta', 'round2 zeta']) {
      const options = { topK: 200, allowGroup: all, queryVector: new Float32Array([1, 1, 1]) };
      const got = index.search(query, options);
      const expected = fresh.search(query, options);
      expect(got.map((h) => h.key).sort()).toEqual(expected.map((h) => h.key).sort());
      const scoreOf = new Map(expected.map((h) => [h.key, h]));
      for (const hit of got) {
        const { lexicalScore, denseScore } = scoreOf.get(hit.key)!;
        if (lexicalScore === undefined) expect(hit.lexicalScore).toBeUndefined();
        else expect(hit.lexicalScore).toBeCloseTo(lexicalScore, 10);
        expect(hit.denseScore).toBeCloseTo(denseScore!, 6);
      }
    }
    for (const [key, value] of live) expect(index.get(key)!.text).toBe(value.text);
  });
});

describe('reciprocalRankFusion', () => {
  it('sums 1 / (k + rank) over the lists', () => {
    const fused = reciprocalRankFusion([
      ['a', 'b', 'c'],
      ['b', 'c', 'd'],
    ]);
    expect(fused.get('a')).toBeCloseTo(1 / 61, 15);
    expect(fused.get('b')).toBeCloseTo(1 / 62 + 1 / 61, 15);
    expect(fused.get('c')).toBeCloseTo(1 / 63 + 1 / 62, 15);
    expect(fused.get('d')).toBeCloseTo(1 / 63, 15);
    expect([...fused.entries()].sort((x, y) => y[1] - x[1]).map(([key]) => key)).toEqual(['b', 'c', 'a', 'd']);
  });

  it('takes k, and counts a key listed twice in one list at its first place', () => {
    const fused = reciprocalRankFusion([['a', 'b', 'a']], 0);
    expect(fused.get('a')).toBe(1);
    expect(fused.get('b')).toBe(1 / 2);
    expect(reciprocalRankFusion([])).toEqual(new Map());
    expect(() => reciprocalRankFusion([['a']], -1)).toThrow(RangeError);
  });
});
