import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HASH_SIZE, MerkleTree, rootOf, verifyConsistency, verifyInclusion } from '../src';

const COUNT = 1_000_000;

describe('a million leaves', () => {
  it('appends 1M leaf hashes, keeps them in Buffers, and its roots and proofs agree with the recursive definition', () => {
    const all = randomBytes(COUNT * HASH_SIZE);
    const leaf = (i: number): Buffer => all.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
    const before = process.memoryUsage();
    const started = performance.now();
    const tree = new MerkleTree();
    for (let i = 0; i < COUNT; i += 1) tree.append(leaf(i));
    const appendMs = performance.now() - started;
    const after = process.memoryUsage();
    const root = tree.root();
    const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    console.log(
      `merkle-log: ${COUNT} appends in ${appendMs.toFixed(0)} ms (${Math.round(COUNT / (appendMs / 1000))}/s); ` +
        `stored hashes ${mb(tree.storedBytes)} MB; heap +${mb(after.heapUsed - before.heapUsed)} MB, ` +
        `array buffers +${mb(after.arrayBuffers - before.arrayBuffers)} MB`,
    );
    expect(tree.size).toBe(COUNT);
    // Leaves and complete subtrees: under 2 hashes per leaf, each level at most doubled by growth.
    expect(tree.storedBytes).toBeLessThan(4 * COUNT * HASH_SIZE);

    // The frontier's root and the root from the stored levels are computed apart.
    expect(tree.rootAt(COUNT).equals(root)).toBe(true);
    for (const n of [1, 2, 1000, 4096, 4097, 65_537]) {
      const sample = Array.from({ length: n }, (_, i) => leaf(i));
      expect(tree.rootAt(n).equals(rootOf(sample)), `size ${n}`).toBe(true);
    }

    const proofStarted = performance.now();
    const last = COUNT - 1;
    const inclusion = tree.inclusionProof(last, COUNT);
    const consistency = tree.consistencyProof(65_537, COUNT);
    console.log(
      `merkle-log: inclusion proof (${inclusion.length} hashes) and consistency proof (${consistency.length}) ` +
        `in ${(performance.now() - proofStarted).toFixed(1)} ms`,
    );
    expect(verifyInclusion(leaf(last), last, COUNT, inclusion, root)).toBe(true);
    expect(verifyInclusion(leaf(last - 1), last, COUNT, inclusion, root)).toBe(false);
    expect(verifyConsistency(65_537, COUNT, tree.rootAt(65_537), root, consistency)).toBe(true);
    expect(verifyConsistency(65_536, COUNT, tree.rootAt(65_536), root, consistency)).toBe(false);
  }, 180_000);
});
