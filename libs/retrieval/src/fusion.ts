/** The k of Cormack, Clarke and Büttcher's reciprocal rank fusion (SIGIR 2009), which most engines keep. */
export const RRF_K = 60;

/**
 * Reciprocal rank fusion: each key scores Σ 1 / (k + rank) over the lists
 * that hold it, rank 1-based. Only ranks count, so lists whose scores have
 * different units (BM25, cosine) fuse without calibration. A key listed twice
 * in one list counts at its first place.
 */
export function reciprocalRankFusion(lists: readonly (readonly string[])[], k: number = RRF_K): Map<string, number> {
  if (!(k >= 0)) throw new RangeError(`reciprocal rank fusion needs k >= 0, got ${k}`);
  const fused = new Map<string, number>();
  for (const list of lists) {
    const seen = new Set<string>();
    list.forEach((key, index) => {
      if (seen.has(key)) return;
      seen.add(key);
      fused.set(key, (fused.get(key) ?? 0) + 1 / (k + index + 1));
    });
  }
  return fused;
}
