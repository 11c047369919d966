import { HASH_SIZE, isCount, nodeHash } from './hash';

/**
 * RFC 9162 §2.1.3.2: whether `proof` shows the leaf with hash `leafHash` at
 * `index` in the tree of `treeSize` leaves whose root is `root`. False (never
 * a throw) for anything that does not verify: an index outside the tree, a
 * hash that is not 32 bytes, a proof too short or too long, a wrong root.
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isCount(index) || !isCount(treeSize) || index >= treeSize) return false;
  if (leafHash.length !== HASH_SIZE || !proof.every((p) => p.length === HASH_SIZE)) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r: Uint8Array = leafHash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) [fn, sn] = [fn / 2, Math.floor(sn / 2)];
    } else {
      r = nodeHash(r, p);
    }
    [fn, sn] = [Math.floor(fn / 2), Math.floor(sn / 2)];
  }
  return sn === 0 && Buffer.from(r).equals(root);
}

/**
 * RFC 9162 §2.1.4.2: whether `proof` shows the tree of m leaves with root
 * `rootM` is a prefix of the tree of n leaves with root `rootN`. As in the RFC
 * and transparency-dev: m = 0 never verifies (nothing to prove), m = n
 * verifies with an empty proof and equal roots, m > n never.
 */
export function verifyConsistency(
  m: number,
  n: number,
  rootM: Uint8Array,
  rootN: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!isCount(m) || !isCount(n) || m === 0 || m > n) return false;
  if (m === n) return proof.length === 0 && Buffer.from(rootM).equals(rootN);
  if (rootM.length !== HASH_SIZE || rootN.length !== HASH_SIZE) return false;
  if (proof.length === 0 || !proof.every((p) => p.length === HASH_SIZE)) return false;
  const path = isPowerOfTwo(m) ? [rootM, ...proof] : proof;
  let fn = m - 1;
  let sn = n - 1;
  while (fn % 2 === 1) [fn, sn] = [Math.floor(fn / 2), Math.floor(sn / 2)];
  let fr: Uint8Array = path[0];
  let sr: Uint8Array = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) [fn, sn] = [fn / 2, Math.floor(sn / 2)];
    } else {
      sr = nodeHash(sr, c);
    }
    [fn, sn] = [Math.floor(fn / 2), Math.floor(sn / 2)];
  }
  return sn === 0 && Buffer.from(fr).equals(rootM) && Buffer.from(sr).equals(rootN);
}

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}
