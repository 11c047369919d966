/**
 * Helpers for the lifecycle models' capture()/restore() (projection
 * snapshots, see the bootstrap): a model's state is captured as the plain
 * Maps, arrays and objects it holds, and restored in place of an empty one's.
 */

/** Empties `target` and fills it with `source`'s entries, in their order. */
export function replaceMap<K, V>(target: Map<K, V>, source: ReadonlyMap<K, V>): void {
  target.clear();
  for (const [key, value] of source) target.set(key, value);
}
