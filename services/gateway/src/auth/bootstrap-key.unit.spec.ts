import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BOOTSTRAP_KEY_FILE, BootstrapKeyFileError, resolveBootstrapKey } from './bootstrap-key';

describe('resolveBootstrapKey', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'aos-key-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('uses AOS_BOOTSTRAP_API_KEY when set, and writes nothing', async () => {
    const dataDir = join(root, 'data');
    const key = 'k'.repeat(32);
    expect(resolveBootstrapKey({ AOS_BOOTSTRAP_API_KEY: key, dataDir })).toEqual({ key, source: 'env' });
    await expect(stat(dataDir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('generates an owner-only key file in a new data dir, and reads the same key back later', async () => {
    const dataDir = join(root, 'nested', 'data');
    const first = resolveBootstrapKey({ dataDir });
    const path = join(dataDir, BOOTSTRAP_KEY_FILE);
    expect(first).toMatchObject({ source: 'file', path });
    expect(first.key).toMatch(/^aos_[A-Za-z0-9_-]{43}$/);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readFile(path, 'utf8')).trim()).toBe(first.key);
    expect(resolveBootstrapKey({ dataDir })).toEqual(first);
  });

  it('reads an existing key file, trimming the newline', async () => {
    await writeFile(join(root, BOOTSTRAP_KEY_FILE), 'aos_existing-key\n', { mode: 0o600 });
    expect(resolveBootstrapKey({ dataDir: root }).key).toBe('aos_existing-key');
  });

  it('refuses an empty key file instead of silently replacing it', async () => {
    await mkdir(root, { recursive: true });
    await writeFile(join(root, BOOTSTRAP_KEY_FILE), '  \n');
    expect(() => resolveBootstrapKey({ dataDir: root })).toThrow(BootstrapKeyFileError);
  });
});
