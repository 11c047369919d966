import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type Checkpoint,
  CheckpointError,
  MerkleTree,
  checkpointText,
  keyId,
  leafHash,
  noteSigner,
  noteVerifier,
  openCheckpoint,
  parseVerifierKey,
  signCheckpoint,
  verifierKey,
} from '../src';

const ORIGIN = 'agentos.test/tenants/t1';

function treeOf(size: number): MerkleTree {
  const tree = new MerkleTree();
  for (let i = 0; i < size; i += 1) tree.append(leafHash(Buffer.from(`event ${i}`)));
  return tree;
}

function keys() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { signer: noteSigner(ORIGIN, privateKey), verifier: noteVerifier(ORIGIN, publicKey) };
}

const tree = treeOf(10);
const checkpoint: Checkpoint = { origin: ORIGIN, size: 10, rootHash: tree.root(), time: '2026-12-05T21:00:00.000Z' };

describe('signed checkpoints (C2SP tlog-checkpoint in a signed note, Ed25519)', () => {
  it('writes origin, size, base64 root and time lines, a blank line and one signature line', () => {
    const { signer } = keys();
    const note = signCheckpoint(checkpoint, signer);
    const lines = note.split('\n');
    expect(lines.slice(0, 5)).toEqual([
      ORIGIN,
      '10',
      tree.root().toString('base64'),
      'time 2026-12-05T21:00:00.000Z',
      '',
    ]);
    expect(lines[5]).toMatch(new RegExp(`^— ${ORIGIN} [A-Za-z0-9+/]+=*$`));
    expect(lines[6]).toBe('');
    const signature = Buffer.from(lines[5].split(' ')[2], 'base64');
    expect(signature).toHaveLength(4 + 64);
    expect(signature.subarray(0, 4).equals(signer.keyId)).toBe(true);
    expect(note.startsWith(checkpointText(checkpoint))).toBe(true);
  });

  it('opens with the public key as a KeyObject, PEM, raw base64 or verifier key string', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const note = signCheckpoint(
      checkpoint,
      noteSigner(ORIGIN, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string),
    );
    const raw = noteVerifier(ORIGIN, publicKey).publicKey;
    expect(raw).toHaveLength(32);
    for (const verifier of [
      noteVerifier(ORIGIN, publicKey),
      noteVerifier(ORIGIN, publicKey.export({ format: 'pem', type: 'spki' }) as string),
      noteVerifier(ORIGIN, raw.toString('base64')),
      noteVerifier(ORIGIN, raw),
      parseVerifierKey(verifierKey(noteVerifier(ORIGIN, publicKey))),
    ]) {
      const opened = openCheckpoint(note, verifier);
      expect(opened).toEqual(checkpoint);
      expect(opened.rootHash.equals(tree.root())).toBe(true);
    }
  });

  it('key ID is SHA-256(name || 0x0A || 0x01 || public key)[:4], and the verifier key string carries it', () => {
    // A key whose base64 holds a '+', the verifier key's separator.
    let pair = keys();
    while (!verifierKey(pair.verifier).split('+').slice(2).join('+').includes('+')) pair = keys();
    const { verifier, signer } = pair;
    expect(signer.keyId.equals(keyId(ORIGIN, verifier.publicKey))).toBe(true);
    expect(keyId('other.test/log', verifier.publicKey).equals(signer.keyId)).toBe(false);
    const vkey = verifierKey(verifier);
    expect(vkey).toBe(
      `${ORIGIN}+${signer.keyId.toString('hex')}+${Buffer.concat([Buffer.from([1]), verifier.publicKey]).toString('base64')}`,
    );
    expect(parseVerifierKey(vkey)).toEqual(verifier);
    const wrongId = vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+');
    expect(() => parseVerifierKey(wrongId)).toThrow(/key id does not match/);
    expect(() => parseVerifierKey(`${ORIGIN}+${verifier.publicKey.toString('base64')}`)).toThrow(
      /must be <name>\+<key id/,
    );
  });

  it('a checkpoint signed by another key does not open, even under the same name', () => {
    const mine = keys();
    const theirs = keys();
    const note = signCheckpoint(checkpoint, theirs.signer);
    expect(() => openCheckpoint(note, mine.verifier)).toThrow(CheckpointError);
    expect(() => openCheckpoint(note, mine.verifier)).toThrow(/no signature by agentos\.test\/tenants\/t1/);
    // The other key's line with this key's ID forged in: the signature itself is checked.
    const forged = note.replace(/ (\S+)\n$/, (_, sig: string) => {
      const bytes = Buffer.from(sig, 'base64');
      mine.signer.keyId.copy(bytes, 0);
      return ` ${bytes.toString('base64')}\n`;
    });
    expect(() => openCheckpoint(forged, mine.verifier)).toThrow(/does not verify/);
  });

  it('a changed size, root, origin or time does not open', () => {
    const { signer, verifier } = keys();
    const note = signCheckpoint(checkpoint, signer);
    const otherRoot = treeOf(11).root().toString('base64');
    const changed = {
      size: note.replace('\n10\n', '\n11\n'),
      root: note.replace(tree.root().toString('base64'), otherRoot),
      origin: note.replace(`${ORIGIN}\n`, 'agentos.test/tenants/t2\n'),
      time: note.replace('21:00:00.000Z', '21:00:01.000Z'),
    };
    for (const [what, tampered] of Object.entries(changed)) {
      expect(tampered, what).not.toBe(note);
      expect(() => openCheckpoint(tampered, verifier), what).toThrow(/does not verify/);
    }
    expect(openCheckpoint(note, verifier).size).toBe(10);
  });

  it('ignores signature lines of unknown keys beside a good one (witness cosignatures, rotation)', () => {
    const mine = keys();
    const other = noteSigner('witness.test/w1', generateKeyPairSync('ed25519').privateKey);
    const note = signCheckpoint(checkpoint, mine.signer);
    const cosigned = note + signCheckpoint(checkpoint, other).split('\n\n')[1];
    expect(cosigned.split('\n').filter((l) => l.startsWith('— '))).toHaveLength(2);
    expect(openCheckpoint(cosigned, mine.verifier)).toEqual(checkpoint);
  });

  it('refuses malformed checkpoints, naming the part', () => {
    const { signer, verifier } = keys();
    expect(() => signCheckpoint({ ...checkpoint, origin: 'has space' }, signer)).toThrow(
      /origin must be non-empty, without spaces/,
    );
    expect(() => signCheckpoint({ ...checkpoint, size: -1 }, signer)).toThrow(/size must be a non-negative integer/);
    expect(() => signCheckpoint({ ...checkpoint, rootHash: Buffer.alloc(31) }, signer)).toThrow(
      /rootHash must be 32 bytes/,
    );
    expect(() => signCheckpoint({ ...checkpoint, time: 'yesterday' }, signer)).toThrow(/time must be ISO-8601 UTC/);
    expect(() => openCheckpoint(checkpointText(checkpoint), verifier)).toThrow(/no signature block/);
    expect(() => openCheckpoint(signCheckpoint(checkpoint, signer).replace('\n10\n', '\n\t10\n'), verifier)).toThrow(
      /control character/,
    );
    expect(() => noteVerifier(ORIGIN, Buffer.alloc(31))).toThrow(/publicKey must be 32 bytes/);
    expect(() => noteSigner(ORIGIN, generateKeyPairSync('ed25519').publicKey)).toThrow(/Ed25519 private key/);
  });
});
