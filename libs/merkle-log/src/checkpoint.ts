import { KeyObject, createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { HASH_SIZE, isCount } from './hash';

/**
 * A tree head: the log `origin` (one per tenant, e.g. `agentos.example/tenants/t1`),
 * its size, its root, and when it was signed (ISO-8601 UTC).
 */
export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Buffer;
  time: string;
  /**
   * Optional extension line `positions sha256:<hex>`: the digest of the log
   * positions of the leaves this checkpoint added (its signer's record of
   * where each leaf sits in the log), signed with the rest.
   */
  positions?: string;
}

/** A note or key that does not parse or verify; the message says which part and why. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

/** C2SP signed-note signature type of an Ed25519 signature. */
const ED25519_TYPE = 0x01;
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const TIME_PREFIX = 'time ';
const POSITIONS_PREFIX = 'positions ';
const POSITIONS_VALUE = /^sha256:[0-9a-f]{64}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/**
 * The checkpoint's note text (C2SP tlog-checkpoint): origin, decimal size,
 * base64 root, then the extension line `time <ISO-8601>` and, when given,
 * `positions sha256:<hex>`; every line ends in a newline. The extensions are
 * lines of the note so that they are signed with the rest.
 */
export function checkpointText(checkpoint: Checkpoint): string {
  checkName('origin', checkpoint.origin);
  if (!isCount(checkpoint.size))
    throw new CheckpointError(`size must be a non-negative integer, got ${checkpoint.size}`);
  if (checkpoint.rootHash.length !== HASH_SIZE) {
    throw new CheckpointError(`rootHash must be ${HASH_SIZE} bytes, got ${checkpoint.rootHash.length}`);
  }
  if (!ISO_UTC.test(checkpoint.time)) throw new CheckpointError(`time must be ISO-8601 UTC, got ${checkpoint.time}`);
  if (checkpoint.positions !== undefined && !POSITIONS_VALUE.test(checkpoint.positions)) {
    throw new CheckpointError(`positions must be sha256:<64 hex digits>, got ${checkpoint.positions}`);
  }
  const positions = checkpoint.positions === undefined ? '' : `${POSITIONS_PREFIX}${checkpoint.positions}\n`;
  return `${checkpoint.origin}\n${checkpoint.size}\n${checkpoint.rootHash.toString('base64')}\n${TIME_PREFIX}${checkpoint.time}\n${positions}`;
}

/** Parses note text written by checkpointText, strictly. */
export function parseCheckpointText(text: string): Checkpoint {
  const lines = text.split('\n');
  if ((lines.length !== 5 && lines.length !== 6) || lines.at(-1) !== '') {
    throw new CheckpointError(
      'checkpoint text must be four lines (origin, size, root hash, time) and an optional positions line, each ending in a newline',
    );
  }
  const [origin, sizeLine, rootLine, timeLine] = lines;
  let positions: string | undefined;
  if (lines.length === 6) {
    positions = lines[4].startsWith(POSITIONS_PREFIX) ? lines[4].slice(POSITIONS_PREFIX.length) : '';
    if (!POSITIONS_VALUE.test(positions)) {
      throw new CheckpointError(`positions line must be "positions sha256:<hex>", got ${JSON.stringify(lines[4])}`);
    }
  }
  checkName('origin', origin);
  if (!/^(0|[1-9]\d*)$/.test(sizeLine) || !isCount(Number(sizeLine))) {
    throw new CheckpointError(
      `size line must be a decimal integer without leading zeros, got ${JSON.stringify(sizeLine)}`,
    );
  }
  const rootHash = decodeBase64(rootLine, 'root hash line');
  if (rootHash.length !== HASH_SIZE)
    throw new CheckpointError(`root hash must be ${HASH_SIZE} bytes, got ${rootHash.length}`);
  const time = timeLine.startsWith(TIME_PREFIX) ? timeLine.slice(TIME_PREFIX.length) : '';
  if (!ISO_UTC.test(time))
    throw new CheckpointError(`time line must be "time <ISO-8601 UTC>", got ${JSON.stringify(timeLine)}`);
  return positions === undefined
    ? { origin, size: Number(sizeLine), rootHash, time }
    : { origin, size: Number(sizeLine), rootHash, time, positions };
}

/** The `positions` extension's value for a list of log positions: sha256 of their JSON array, e.g. "[3,4,9]". */
export function positionsDigest(positions: readonly number[]): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(positions), 'utf8').digest('hex')}`;
}

/** An Ed25519 key that signs notes under a key name (by convention the log's origin). */
export interface NoteSigner {
  name: string;
  keyId: Buffer;
  publicKey: Buffer;
  privateKey: KeyObject;
}

/**
 * A signer from an Ed25519 private key (a KeyObject or PKCS#8 PEM), e.g. from
 * generateKeyPairSync('ed25519').
 */
export function noteSigner(name: string, privateKey: KeyObject | string): NoteSigner {
  checkName('key name', name);
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519') {
    throw new CheckpointError('privateKey must be an Ed25519 private key');
  }
  const publicKey = rawPublicKey(createPublicKey(key));
  return { name, keyId: keyId(name, publicKey), publicKey, privateKey: key };
}

/**
 * C2SP signed-note key ID: the first 4 bytes of
 * SHA-256(key name || 0x0A || 0x01 || 32-byte Ed25519 public key).
 */
export function keyId(name: string, publicKey: Uint8Array): Buffer {
  return createHash('sha256')
    .update(name, 'utf8')
    .update(Buffer.from([0x0a, ED25519_TYPE]))
    .update(publicKey)
    .digest()
    .subarray(0, 4);
}

/** The signed note: text, a blank line, and `— <name> base64(key ID || signature)`. */
export function signCheckpoint(checkpoint: Checkpoint, signer: NoteSigner): string {
  const text = checkpointText(checkpoint);
  const signature = sign(null, Buffer.from(text, 'utf8'), signer.privateKey);
  return `${text}\n— ${signer.name} ${Buffer.concat([signer.keyId, signature]).toString('base64')}\n`;
}

/** A key a verifier trusts: its name and Ed25519 public key (raw 32 bytes). */
export interface NoteVerifier {
  name: string;
  publicKey: Buffer;
}

/**
 * A verifier from a key name and a public key given as SPKI PEM, a KeyObject,
 * or the raw 32 bytes (a Buffer or their base64).
 */
export function noteVerifier(name: string, publicKey: KeyObject | Uint8Array | string): NoteVerifier {
  checkName('key name', name);
  if (publicKey instanceof KeyObject) return { name, publicKey: rawPublicKey(publicKey) };
  if (typeof publicKey === 'string' && publicKey.includes('-----BEGIN')) {
    return { name, publicKey: rawPublicKey(createPublicKey(publicKey)) };
  }
  const raw = typeof publicKey === 'string' ? decodeBase64(publicKey, 'publicKey') : Buffer.from(publicKey);
  if (raw.length !== 32) throw new CheckpointError(`publicKey must be 32 bytes of Ed25519 key, got ${raw.length}`);
  return { name, publicKey: raw };
}

/**
 * The verifier key string of the Go note package and C2SP tools:
 * `<name>+<key ID, 8 hex digits>+<base64(0x01 || public key)>`.
 */
export function verifierKey(verifier: NoteVerifier): string {
  const id = keyId(verifier.name, verifier.publicKey).toString('hex');
  return `${verifier.name}+${id}+${Buffer.concat([Buffer.from([ED25519_TYPE]), verifier.publicKey]).toString('base64')}`;
}

/** Parses a verifier key string, checking its key ID. */
export function parseVerifierKey(value: string): NoteVerifier {
  const match = /^([^+\s]+)\+([0-9a-f]{8})\+(\S+)$/.exec(value);
  if (!match) throw new CheckpointError('verifier key must be <name>+<key id, 8 hex digits>+<base64 key>');
  const [, name, id, encoded] = match;
  const key = decodeBase64(encoded, 'verifier key');
  if (key.length !== 33 || key[0] !== ED25519_TYPE)
    throw new CheckpointError('verifier key is not an Ed25519 key (0x01 || 32 bytes)');
  const verifier = noteVerifier(name, key.subarray(1));
  if (keyId(name, verifier.publicKey).toString('hex') !== id)
    throw new CheckpointError('verifier key id does not match its name and key');
  return verifier;
}

/**
 * Opens a signed checkpoint: the note must carry a valid signature by
 * `verifier` (signature lines of other keys are ignored, as C2SP signed-note
 * requires; a line with this key's name and ID that fails rejects the note).
 * Returns the checkpoint; throws CheckpointError saying why not.
 */
export function openCheckpoint(note: string, verifier: NoteVerifier): Checkpoint {
  if (hasControlCharacter(note)) throw new CheckpointError('note contains a control character other than newline');
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new CheckpointError('note has no signature block');
  const text = note.slice(0, split + 1);
  const id = keyId(verifier.name, verifier.publicKey);
  let verified = false;
  for (const line of note.slice(split + 2, -1).split('\n')) {
    const match = /^\u2014 (\S+) (\S+)$/u.exec(line);
    if (!match) throw new CheckpointError(`malformed signature line ${JSON.stringify(line)}`);
    const [, name, encoded] = match;
    const bytes = decodeBase64(encoded, 'signature');
    if (name !== verifier.name || bytes.length < 4 || !bytes.subarray(0, 4).equals(id)) continue;
    const ok = verify(null, Buffer.from(text, 'utf8'), publicKeyObject(verifier.publicKey), bytes.subarray(4));
    if (!ok) throw new CheckpointError(`the signature by ${verifier.name} does not verify`);
    verified = true;
  }
  if (!verified)
    throw new CheckpointError(`the note has no signature by ${verifier.name} (key ID ${id.toString('hex')})`);
  return parseCheckpointText(text);
}

function hasControlCharacter(note: string): boolean {
  for (let i = 0; i < note.length; i += 1) {
    const code = note.charCodeAt(i);
    if (code < 0x20 && code !== 0x0a) return true;
  }
  return false;
}

function rawPublicKey(key: KeyObject): Buffer {
  if (key.type !== 'public' || key.asymmetricKeyType !== 'ed25519')
    throw new CheckpointError('publicKey must be an Ed25519 public key');
  return key.export({ format: 'der', type: 'spki' }).subarray(ED25519_SPKI_PREFIX.length);
}

function publicKeyObject(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

function checkName(field: string, value: string): void {
  if (value.length === 0 || /[\s+]/u.test(value)) {
    throw new CheckpointError(`${field} must be non-empty, without spaces or '+', got ${JSON.stringify(value)}`);
  }
}

function decodeBase64(value: string, field: string): Buffer {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(value)) {
    throw new CheckpointError(`${field} is not standard base64`);
  }
  return Buffer.from(value, 'base64');
}
