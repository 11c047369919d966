import { generateKeyPairSync, createPublicKey, randomUUID } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AosConfig } from '@aos/config';
import { noteSigner, noteVerifier, verifierKey, type NoteSigner, type NoteVerifier } from '@aos/merkle-log';

/** The key that signs the audit log's checkpoints, and how verifiers name it. */
export interface LogKey {
  /** The log's name (AOS_AUDIT_LOG_NAME): the key's name and every origin's prefix. */
  logName: string;
  signer: NoteSigner;
  verifier: NoteVerifier;
  /** C2SP verifier key `<name>+<key id>+<base64>`. */
  verifierKey: string;
  publicKeyPem: string;
  /** Where it was read from. */
  file: string;
}

export const GENERATED_KEY_FILE = 'audit-signing-key.pem';

/** A tenant's origin line: `<log name>/tenants/<tenant id>`. */
export function originOf(logName: string, tenantId: string): string {
  return `${logName}/tenants/${tenantId}`;
}

/**
 * Reads the signing key from AOS_AUDIT_SIGNING_KEY_FILE, or from
 * `<data dir>/audit-signing-key.pem`, generating that file on first start. The
 * new key is written to a temporary file and linked into place, so replicas
 * starting together on one data directory all end up with the one that
 * landed first, never a half-written file.
 */
export async function loadLogKey(
  config: Pick<AosConfig, 'AOS_AUDIT_SIGNING_KEY_FILE' | 'AOS_AUDIT_LOG_NAME' | 'dataDir'>,
): Promise<LogKey> {
  const configured = config.AOS_AUDIT_SIGNING_KEY_FILE;
  const file = configured ?? join(config.dataDir, GENERATED_KEY_FILE);
  let pem = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' && !configured) return undefined;
    throw new Error(`AOS_AUDIT_SIGNING_KEY_FILE: cannot read ${file}: ${err.message}`, { cause: err });
  });
  if (pem === undefined) pem = await generateKeyFile(file);
  let signer: NoteSigner;
  try {
    signer = noteSigner(config.AOS_AUDIT_LOG_NAME, pem);
  } catch (err) {
    throw new Error(`${configured ? 'AOS_AUDIT_SIGNING_KEY_FILE' : file}: not an Ed25519 private key in PKCS#8 PEM`, {
      cause: err,
    });
  }
  const verifier = noteVerifier(signer.name, signer.publicKey);
  const publicKeyPem = createPublicKey(signer.privateKey).export({ format: 'pem', type: 'spki' }).toString();
  return { logName: signer.name, signer, verifier, verifierKey: verifierKey(verifier), publicKeyPem, file };
}

async function generateKeyFile(file: string): Promise<string> {
  await mkdir(dirname(file), { recursive: true });
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const temporary = `${file}.${randomUUID()}.tmp`;
  await writeFile(temporary, pem, { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
  return readFile(file, 'utf8');
}
