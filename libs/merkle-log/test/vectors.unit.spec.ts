import { describe, expect, it } from 'vitest';
import { MerkleTree, emptyRoot, leafHash, rootOf, verifyConsistency, verifyInclusion } from '../src';
import {
  CONSISTENCY_PROBES,
  INCLUSION_PROBES,
  LEAF_INPUTS_HEX,
  NODE_HASHES_HEX,
  ROOT_HASHES_HEX,
} from './transparency-dev.vectors';

const b64 = (s: string): Buffer => Buffer.from(s, 'base64');
const hex = (b: Buffer): string => b.toString('hex');

/** The tree of the 8 published leaf inputs. */
function vectorTree(): { tree: MerkleTree; leaves: Buffer[] } {
  const leaves = LEAF_INPUTS_HEX.map((input) => leafHash(Buffer.from(input, 'hex')));
  const tree = new MerkleTree();
  for (const leaf of leaves) tree.append(leaf);
  return { tree, leaves };
}

describe('transparency-dev/merkle published vectors (RFC 6962 hashing)', () => {
  it('leaf and node hashes match NodeHashes, level by level', () => {
    const { leaves } = vectorTree();
    expect(leaves.map(hex)).toEqual(NODE_HASHES_HEX[0]);
    NODE_HASHES_HEX.forEach((level, l) => {
      const width = 2 ** l;
      level.forEach((want, i) => expect(hex(rootOf(leaves.slice(i * width, (i + 1) * width)))).toBe(want));
    });
  });

  it('roots of the trees of sizes 0..8 match RootHashes: recursive, incremental and historical', () => {
    const { tree, leaves } = vectorTree();
    expect(ROOT_HASHES_HEX).toHaveLength(9);
    expect(hex(emptyRoot())).toBe(ROOT_HASHES_HEX[0]);
    const growing = new MerkleTree();
    expect(hex(growing.root())).toBe(ROOT_HASHES_HEX[0]);
    for (let n = 0; n <= 8; n += 1) {
      expect(hex(rootOf(leaves.slice(0, n))), `rootOf size ${n}`).toBe(ROOT_HASHES_HEX[n]);
      expect(hex(tree.rootAt(n)), `rootAt size ${n}`).toBe(ROOT_HASHES_HEX[n]);
      if (n > 0) {
        growing.append(leaves[n - 1]);
        expect(hex(growing.root()), `incremental root size ${n}`).toBe(ROOT_HASHES_HEX[n]);
      }
    }
  });

  it(`all ${INCLUSION_PROBES.length} inclusion probes (testdata/inclusion) verify or fail as published`, () => {
    expect(INCLUSION_PROBES.length).toBe(98);
    const wrong = INCLUSION_PROBES.filter((p) => {
      const ok = verifyInclusion(b64(p.leafHash), Number(p.leafIdx), p.treeSize, p.proof.map(b64), b64(p.root));
      return ok === p.wantErr;
    }).map((p) => p.file);
    expect(wrong).toEqual([]);
    expect(INCLUSION_PROBES.filter((p) => !p.wantErr).length).toBeGreaterThan(4);
  });

  it(`all ${CONSISTENCY_PROBES.length} consistency probes (testdata/consistency) verify or fail as published`, () => {
    expect(CONSISTENCY_PROBES.length).toBe(98);
    const wrong = CONSISTENCY_PROBES.filter((p) => {
      const ok = verifyConsistency(p.size1, p.size2, b64(p.root1), b64(p.root2), p.proof.map(b64));
      return ok === p.wantErr;
    }).map((p) => p.file);
    expect(wrong).toEqual([]);
    expect(CONSISTENCY_PROBES.filter((p) => !p.wantErr).length).toBeGreaterThan(4);
  });

  it('the proofs the tree generates are the published happy-path proofs', () => {
    const { tree } = vectorTree();
    const onVectorTree = (size: number, root: string) => size <= 8 && hex(b64(root)) === ROOT_HASHES_HEX[size];
    const inclusion = INCLUSION_PROBES.filter((p) => !p.wantErr && onVectorTree(p.treeSize, p.root));
    expect(inclusion.length).toBeGreaterThanOrEqual(5);
    for (const p of inclusion) {
      const index = Number(p.leafIdx);
      expect(tree.leafHash(index).toString('base64'), p.file).toBe(p.leafHash);
      expect(
        tree.inclusionProof(index, p.treeSize).map((h) => h.toString('base64')),
        p.file,
      ).toEqual(p.proof);
    }
    const consistency = CONSISTENCY_PROBES.filter(
      (p) => !p.wantErr && onVectorTree(p.size1, p.root1) && onVectorTree(p.size2, p.root2),
    );
    expect(consistency.length).toBeGreaterThanOrEqual(5);
    for (const p of consistency) {
      expect(
        tree.consistencyProof(p.size1, p.size2).map((h) => h.toString('base64')),
        p.file,
      ).toEqual(p.proof);
    }
  });
});
