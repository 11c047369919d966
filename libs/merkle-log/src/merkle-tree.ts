import { Frontier } from './frontier';
import { HashList } from './hash-list';
import { emptyRoot, isCount, nodeHash, splitPoint } from './hash';

/**
 * An append-only RFC 9162 Merkle tree that answers proofs for any size it has
 * reached. It keeps every leaf hash and every complete subtree's hash, each
 * level in one growable Buffer (about 64 bytes per leaf: 64 MB for a million
 * events), so a subtree hash is a lookup and a proof costs O(log² n) hashing.
 */
export class MerkleTree {
  /** levels[l][i]: the hash of the complete subtree of 2^l leaves starting at leaf i·2^l. */
  private readonly levels: HashList[] = [new HashList()];
  private readonly frontier = new Frontier();

  get size(): number {
    return this.frontier.size;
  }

  /** Appends one leaf hash (see leafHash) and returns its index. */
  append(leafHash: Uint8Array): number {
    const index = this.frontier.size;
    this.frontier.append(leafHash, (level, hash) => {
      if (this.levels.length === level) this.levels.push(new HashList());
      this.levels[level].push(hash);
    });
    this.levels[0].push(leafHash);
    return index;
  }

  leafHash(index: number): Buffer {
    return Buffer.from(this.levels[0].view(index));
  }

  /** The root of the tree of all leaves appended so far. */
  root(): Buffer {
    return this.frontier.root();
  }

  /** The root the tree had when it held `treeSize` leaves. */
  rootAt(treeSize: number): Buffer {
    this.checkSize('treeSize', treeSize);
    return treeSize === 0 ? emptyRoot() : Buffer.from(this.subtree(0, treeSize));
  }

  /** Bytes the stored hashes reserve. */
  get storedBytes(): number {
    return this.levels.reduce((sum, level) => sum + level.capacityBytes, 0);
  }

  /**
   * RFC 9162 §2.1.3.1 PATH(index, D[treeSize]): the sibling hashes from the
   * leaf up, proving leaf `index` is in the tree of the first `treeSize` leaves.
   */
  inclusionProof(index: number, treeSize: number = this.size): Buffer[] {
    this.checkSize('treeSize', treeSize);
    if (!isCount(index) || index >= treeSize) {
      throw new RangeError(`index must be an integer in 0..${treeSize - 1}, got ${index}`);
    }
    const proof: Buffer[] = [];
    this.path(index, 0, treeSize, proof);
    return proof.map((hash) => Buffer.from(hash));
  }

  /**
   * RFC 9162 §2.1.4.1 PROOF(m, D[n]): the hashes proving the tree of the first
   * m leaves is a prefix of the tree of the first n (0 < m <= n; [] when m = n).
   */
  consistencyProof(m: number, n: number = this.size): Buffer[] {
    this.checkSize('n', n);
    if (!isCount(m) || m < 1 || m > n) throw new RangeError(`m must be an integer in 1..${n}, got ${m}`);
    const proof: Buffer[] = [];
    this.subproof(m, 0, n, true, proof);
    return proof.map((hash) => Buffer.from(hash));
  }

  private path(m: number, start: number, n: number, out: Buffer[]): void {
    if (n <= 1) return;
    const k = splitPoint(n);
    if (m < k) {
      this.path(m, start, k, out);
      out.push(this.subtree(start + k, n - k));
    } else {
      this.path(m - k, start + k, n - k, out);
      out.push(this.subtree(start, k));
    }
  }

  private subproof(m: number, start: number, n: number, complete: boolean, out: Buffer[]): void {
    if (m === n) {
      if (!complete) out.push(this.subtree(start, n));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      this.subproof(m, start, k, complete, out);
      out.push(this.subtree(start + k, n - k));
    } else {
      this.subproof(m - k, start + k, n - k, false, out);
      out.push(this.subtree(start, k));
    }
  }

  /**
   * MTH(D[start : start+n]) where start is a multiple of the largest power of
   * two <= n, as every subtree in RFC 9162's recursion is: a stored hash when
   * n is a power of two, else the split into a stored left part and a smaller right.
   */
  private subtree(start: number, n: number): Buffer {
    let level = 0;
    while (2 ** (level + 1) <= n) level += 1;
    const width = 2 ** level;
    const left = this.levels[level].view(start / width);
    if (width === n) return left;
    return nodeHash(left, this.subtree(start + width, n - width));
  }

  private checkSize(name: string, treeSize: number): void {
    if (!isCount(treeSize) || treeSize > this.size) {
      throw new RangeError(`${name} must be an integer in 0..${this.size}, got ${treeSize}`);
    }
  }
}
