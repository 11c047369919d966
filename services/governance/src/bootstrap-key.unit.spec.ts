import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseApiKey } from '@aos/access-control';
import { BOOTSTRAP_KEY_FILE, BootstrapKeyFileError, resolveBootstrapKey } from './bootstrap-key';

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'aos-bootstrap-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

describe('resolveBootstrapKey', () => {
  it('takes AOS_BOOTSTRAP_API_KEY when set, and writes no file', () => {
    const key = 'aos_envkey01_abcdefghijklmnopqrstuvwxyz012345';
    expect(resolveBootstrapKey({ AOS_BOOTSTRAP_API_KEY: key, dataDir })).toEqual({ key, source: 'env' });
    expect(() => statSync(join(dataDir, BOOTSTRAP_KEY_FILE))).toThrow();
  });

  it('refuses an env key that is not aos_<prefix>_<secret> as a config error', () => {
    expect(() => resolveBootstrapKey({ AOS_BOOTSTRAP_API_KEY: 'aos_nounderscoresecret', dataDir })).toThrow(
      /AOS_BOOTSTRAP_API_KEY/,
    );
  });

  it('generates a key in generateApiKey format into an owner-only file, and reads it back later', () => {
    const first = resolveBootstrapKey({ dataDir });
    const path = join(dataDir, BOOTSTRAP_KEY_FILE);
    expect(first).toMatchObject({ source: 'file', path });
    expect(parseApiKey(first.key)?.prefix).toMatch(/^[a-z0-9]{8}$/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8').trim()).toBe(first.key);
    expect(resolveBootstrapKey({ dataDir }).key).toBe(first.key);
  });

  it('refuses an empty or malformed key file', () => {
    const path = join(dataDir, BOOTSTRAP_KEY_FILE);
    writeFileSync(path, '\n');
    expect(() => resolveBootstrapKey({ dataDir })).toThrow(BootstrapKeyFileError);
    writeFileSync(path, 'aos_notakey\n');
    expect(() => resolveBootstrapKey({ dataDir })).toThrow(BootstrapKeyFileError);
  });
});
