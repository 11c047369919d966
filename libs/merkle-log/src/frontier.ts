import { HASH_SIZE, emptyRoot, nodeHash } from './hash';

/**
 * The compact range [0, size) of a growing tree: one hash per set bit of the
 * size (the roots of its complete subtrees, largest first), so O(log n)
 * memory. Enough to append and to compute the current root; a verifier that
 * recomputes a log from its events needs no more.
 */
export class Frontier {
  /** nodes[level]: the root of the complete subtree of 2^level leaves, when bit `level` of size is set. */
  private readonly nodes: (Buffer | undefined)[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /**
   * Adds a leaf hash. `completed` receives each complete subtree this append
   * closes, as (level, hash) with level >= 1, lowest first: what a tree that
   * answers proofs stores.
   */
  append(leafHash: Uint8Array, completed?: (level: number, hash: Buffer) => void): void {
    if (leafHash.length !== HASH_SIZE)
      throw new RangeError(`a leaf hash is ${HASH_SIZE} bytes, got ${leafHash.length}`);
    let hash: Buffer = Buffer.from(leafHash);
    let level = 0;
    let rest = this.count;
    while (rest % 2 === 1) {
      hash = nodeHash(this.nodes[level] as Buffer, hash);
      this.nodes[level] = undefined;
      level += 1;
      completed?.(level, hash);
      rest = Math.floor(rest / 2);
    }
    this.nodes[level] = hash;
    this.count += 1;
  }

  /** An independent copy: appending to it leaves this frontier as it is. */
  clone(): Frontier {
    const copy = new Frontier();
    copy.nodes.push(...this.nodes);
    copy.count = this.count;
    return copy;
  }

  /** RFC 9162 MTH of the leaves appended so far: the complete subtrees folded right to left. */
  root(): Buffer {
    let root: Buffer | undefined;
    for (const node of this.nodes) {
      if (node) root = root ? nodeHash(node, root) : node;
    }
    return root ? Buffer.from(root) : emptyRoot();
  }
}
