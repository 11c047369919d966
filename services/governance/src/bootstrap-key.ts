import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateApiKey, parseApiKey } from '@aos/access-control';
import { ConfigError, type AosConfig } from '@aos/config';

export const BOOTSTRAP_KEY_FILE = 'bootstrap-admin.key';

export interface BootstrapKey {
  key: string;
  /** `env`: AOS_BOOTSTRAP_API_KEY; `file`: read from, or generated into, `path`. */
  source: 'env' | 'file';
  path?: string;
}

/** Thrown when the bootstrap key file exists but does not hold a key of the form aos_<prefix>_<secret>. */
export class BootstrapKeyFileError extends Error {
  override name = 'BootstrapKeyFileError';
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path} ${problem}: delete it to have a new bootstrap admin key generated, or set AOS_BOOTSTRAP_API_KEY`);
  }
}

/**
 * The admin key of the default tenant: AOS_BOOTSTRAP_API_KEY when set, else the
 * key in `<data dir>/bootstrap-admin.key`, which is generated (owner-only,
 * mode 0600) on first start. The key itself is never logged; callers print
 * only `source` and `path`.
 */
export function resolveBootstrapKey(config: Pick<AosConfig, 'AOS_BOOTSTRAP_API_KEY' | 'dataDir'>): BootstrapKey {
  if (config.AOS_BOOTSTRAP_API_KEY) {
    if (!parseApiKey(config.AOS_BOOTSTRAP_API_KEY)) {
      throw new ConfigError(['AOS_BOOTSTRAP_API_KEY: must look like aos_<prefix>_<secret>']);
    }
    return { key: config.AOS_BOOTSTRAP_API_KEY, source: 'env' };
  }
  const path = join(config.dataDir, BOOTSTRAP_KEY_FILE);
  const existing = readKeyFile(path);
  if (existing !== undefined) return { key: existing, source: 'file', path };

  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const key = generateApiKey().full;
  // Written whole to a private temp file and then linked into place: link()
  // fails if the file exists, so two processes starting together agree on one
  // key, and a crash never leaves a half-written key file behind.
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, `${key}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, path);
    return { key, source: 'file', path };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const winner = readKeyFile(path);
    if (winner === undefined) throw err;
    return { key: winner, source: 'file', path };
  } finally {
    unlinkSync(tmp);
  }
}

function readKeyFile(path: string): string | undefined {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const key = content.trim();
  if (!key) throw new BootstrapKeyFileError(path, 'is empty');
  if (!parseApiKey(key)) throw new BootstrapKeyFileError(path, 'does not hold a key of the form aos_<prefix>_<secret>');
  return key;
}
