import { describe, expect, it } from 'vitest';
import { seededRandom } from '@aos/testing';
import { Frontier, MerkleTree, leafHash, rootOf, verifyConsistency, verifyInclusion } from '../src';

/** Seeded (mulberry32), so a failure can be replayed with MERKLE_SEED. */
const generator = seededRandom;

const SEED = Number(process.env.MERKLE_SEED ?? 20261205);
const random = generator(SEED);
const below = (n: number): number => Math.floor(random() * n);

/** A copy of `proof` with one random bit of element `at` flipped. */
function flipped(proof: readonly Buffer[], at: number): Buffer[] {
  const copy = proof.map((p) => Buffer.from(p));
  copy[at][below(32)] ^= 1 << below(8);
  return copy;
}

function buildTree(size: number): { tree: MerkleTree; roots: Buffer[] } {
  const leaves = Array.from({ length: size }, (_, i) => leafHash(Buffer.from(`leaf ${SEED} ${size} ${i}`)));
  const tree = new MerkleTree();
  const frontier = new Frontier();
  for (const leaf of leaves) {
    tree.append(leaf);
    frontier.append(leaf);
  }
  const roots = Array.from({ length: size + 1 }, (_, n) => rootOf(leaves.slice(0, n)));
  expect(tree.root().equals(roots[size])).toBe(true);
  expect(frontier.root().equals(roots[size])).toBe(true);
  for (let n = 0; n <= size; n += 1) expect(tree.rootAt(n).equals(roots[n]), `rootAt(${n}) of ${size}`).toBe(true);
  return { tree, roots };
}

/** Every inclusion proof in the tree of size n, each tampered with in every way named. */
function checkInclusion(tree: MerkleTree, roots: Buffer[], n: number): number {
  let checks = 0;
  for (let i = 0; i < n; i += 1) {
    const leaf = tree.leafHash(i);
    const proof = tree.inclusionProof(i, n);
    const where = `leaf ${i} of ${n}`;
    expect(verifyInclusion(leaf, i, n, proof, roots[n]), where).toBe(true);
    proof.forEach((_, at) =>
      expect(verifyInclusion(leaf, i, n, flipped(proof, at), roots[n]), `${where}, bit in [${at}]`).toBe(false),
    );
    if (proof.length > 0)
      expect(verifyInclusion(leaf, i, n, proof.slice(1), roots[n]), `${where}, shortened`).toBe(false);
    expect(verifyInclusion(leaf, i, n, [...proof, roots[n]], roots[n]), `${where}, lengthened`).toBe(false);
    for (const j of new Set([i - 1, i + 1, i ^ 1, below(n)])) {
      if (j !== i && j >= 0 && j < n)
        expect(verifyInclusion(leaf, j, n, proof, roots[n]), `${where} as ${j}`).toBe(false);
    }
    // A wrong size is checked with that size's root: the root and size are signed together,
    // and the same path can fit two sizes (leaf 0 of 3 and of 4 fold the same way).
    for (const m of [n - 1, n + 1]) {
      if (m > i && m < roots.length)
        expect(verifyInclusion(leaf, i, m, proof, roots[m]), `${where} in size ${m}`).toBe(false);
    }
    expect(verifyInclusion(flipped([leaf], 0)[0], i, n, proof, roots[n]), `${where}, other leaf`).toBe(false);
    checks += 1;
  }
  return checks;
}

/** Every consistency proof from a size m <= n to n, tampered with likewise. */
function checkConsistency(tree: MerkleTree, roots: Buffer[], n: number): number {
  let checks = 0;
  for (let m = 1; m <= n; m += 1) {
    const proof = tree.consistencyProof(m, n);
    const where = `${m} to ${n}`;
    expect(verifyConsistency(m, n, roots[m], roots[n], proof), where).toBe(true);
    proof.forEach((_, at) =>
      expect(verifyConsistency(m, n, roots[m], roots[n], flipped(proof, at)), `${where}, bit in [${at}]`).toBe(false),
    );
    for (const k of [m - 1, m + 1]) {
      if (k <= n) expect(verifyConsistency(k, n, roots[k], roots[n], proof), `${where} as from ${k}`).toBe(false);
    }
    for (const k of [n - 1, n + 1]) {
      if (k >= m && k < roots.length)
        expect(verifyConsistency(m, k, roots[m], roots[k], proof), `${where} as to ${k}`).toBe(false);
    }
    expect(verifyConsistency(m, n, flipped([roots[m]], 0)[0], roots[n], proof), `${where}, other first root`).toBe(
      false,
    );
    expect(verifyConsistency(m, n, roots[m], flipped([roots[n]], 0)[0], proof), `${where}, other second root`).toBe(
      false,
    );
    checks += 1;
  }
  return checks;
}

describe(`proofs over random trees (MERKLE_SEED=${SEED})`, () => {
  it('every tree of 1..64 leaves: each of its inclusion and consistency proofs verifies, every tampering fails', () => {
    let inclusion = 0;
    let consistency = 0;
    for (let size = 1; size <= 64; size += 1) {
      const { tree, roots } = buildTree(size);
      inclusion += checkInclusion(tree, roots, size);
      consistency += checkConsistency(tree, roots, size);
    }
    expect(inclusion).toBe((64 * 65) / 2);
    expect(consistency).toBe((64 * 65) / 2);
  }, 180_000);

  it('random trees up to 300 leaves: proofs at the full size and at a random size', () => {
    const sizes = [300, 257, 65 + below(236), 65 + below(236)];
    for (const size of sizes) {
      const { tree, roots } = buildTree(size);
      for (const n of new Set([size, 1 + below(size)])) {
        expect(checkInclusion(tree, roots, n)).toBe(n);
        expect(checkConsistency(tree, roots, n)).toBe(n);
      }
    }
  }, 180_000);

  it('refuses proofs for sizes and indices the tree has not reached, naming them', () => {
    const { tree } = buildTree(5);
    expect(() => tree.inclusionProof(5, 5)).toThrow(/index must be an integer in 0\.\.4, got 5/);
    expect(() => tree.inclusionProof(0, 6)).toThrow(/treeSize must be an integer in 0\.\.5, got 6/);
    expect(() => tree.consistencyProof(0, 5)).toThrow(/m must be an integer in 1\.\.5, got 0/);
    expect(() => tree.consistencyProof(3, 6)).toThrow(/n must be an integer in 0\.\.5, got 6/);
    expect(() => tree.rootAt(1.5)).toThrow(/treeSize must be an integer/);
    expect(() => tree.append(Buffer.alloc(31))).toThrow(/32 bytes, got 31/);
    expect(tree.size).toBe(5);
    expect(tree.consistencyProof(5, 5)).toEqual([]);
  });

  it('a leaf hash handed out is a copy: changing it leaves the tree as it was', () => {
    const { tree, roots } = buildTree(9);
    tree.leafHash(3).fill(0);
    tree.inclusionProof(3, 9)[0].fill(0);
    expect(tree.root().equals(roots[9])).toBe(true);
    expect(verifyInclusion(tree.leafHash(3), 3, 9, tree.inclusionProof(3, 9), roots[9])).toBe(true);
  });
});
