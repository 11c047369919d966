import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CliConfigError,
  DEFAULT_GATEWAY_ADDR,
  MissingApiKeyError,
  requireApiKey,
  resolveCliConfig,
  type CliEnvironment,
} from '../src/cli-config';

describe('resolveCliConfig', () => {
  let root: string;
  let cwd: string;
  let homeDir: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'aos-cli-config-'));
    cwd = join(root, 'work');
    homeDir = join(root, 'home');
    mkdirSync(cwd);
    mkdirSync(homeDir);
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const environment = (env: NodeJS.ProcessEnv = {}): CliEnvironment => ({ env, cwd, homeDir });

  function writeHomeConfig(content: unknown): string {
    const dir = join(homeDir, '.config', 'aos');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'config.json');
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  }

  function writeKeyFile(dataDir: string, key: string): string {
    const dir = join(cwd, dataDir);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'bootstrap-admin.key');
    writeFileSync(path, key);
    return path;
  }

  describe('given nothing configured', () => {
    it('uses the default address and has no key', () => {
      const config = resolveCliConfig({}, environment());

      expect(config).toMatchObject({
        addr: DEFAULT_GATEWAY_ADDR,
        addrSource: 'default',
        configPath: join(homeDir, '.config/aos/config.json'),
      });
      expect(config.key).toBeUndefined();
      expect(() => requireApiKey(config)).toThrow(MissingApiKeyError);
    });
  });

  describe('address', () => {
    it('prefers --addr over AOS_GATEWAY_ADDR over the config file', () => {
      writeHomeConfig({ addr: 'from-config:1' });
      const env = { AOS_GATEWAY_ADDR: 'from-env:2' };

      expect(resolveCliConfig({ addr: 'from-flag:3' }, environment(env))).toMatchObject({
        addr: 'from-flag:3',
        addrSource: 'flag',
      });
      expect(resolveCliConfig({}, environment(env))).toMatchObject({
        addr: 'from-env:2',
        addrSource: 'AOS_GATEWAY_ADDR',
      });
      expect(resolveCliConfig({}, environment())).toMatchObject({ addr: 'from-config:1', addrSource: 'config' });
    });

    it('treats an empty environment variable as unset', () => {
      expect(resolveCliConfig({}, environment({ AOS_GATEWAY_ADDR: '' }))).toMatchObject({
        addr: DEFAULT_GATEWAY_ADDR,
        addrSource: 'default',
      });
    });
  });

  describe('api key', () => {
    it('takes each source only when every earlier one is missing', () => {
      writeHomeConfig({ key: 'config-key' });
      writeKeyFile('.aos', 'file-key\n');
      const env = { AOS_API_KEY: 'api-key', AOS_BOOTSTRAP_API_KEY: 'bootstrap-key' };

      expect(resolveCliConfig({ key: 'flag-key' }, environment(env))).toMatchObject({
        key: 'flag-key',
        keySource: 'flag',
      });
      expect(resolveCliConfig({}, environment(env))).toMatchObject({ key: 'api-key', keySource: 'AOS_API_KEY' });
      expect(resolveCliConfig({}, environment({ AOS_BOOTSTRAP_API_KEY: 'bootstrap-key' }))).toMatchObject({
        key: 'bootstrap-key',
        keySource: 'AOS_BOOTSTRAP_API_KEY',
      });
      expect(resolveCliConfig({}, environment())).toMatchObject({ key: 'config-key', keySource: 'config' });
    });

    it('falls back to .aos/bootstrap-admin.key under the working directory, trimmed', () => {
      const path = writeKeyFile('.aos', '  file-key\n');

      expect(resolveCliConfig({}, environment())).toMatchObject({
        key: 'file-key',
        keySource: 'key-file',
        keyFilePath: path,
      });
    });

    it('looks for the key file in AOS_DATA_DIR when set', () => {
      writeKeyFile('.aos', 'default-dir-key');
      const path = writeKeyFile('custom-data', 'custom-dir-key');

      const config = resolveCliConfig({}, environment({ AOS_DATA_DIR: 'custom-data' }));

      expect(config).toMatchObject({ key: 'custom-dir-key', keySource: 'key-file', keyFilePath: path });
    });

    it('ignores an empty key file', () => {
      writeKeyFile('.aos', '\n');

      expect(resolveCliConfig({}, environment()).key).toBeUndefined();
    });
  });

  describe('config file', () => {
    it('reads the file named by --config before AOS_CONFIG and the home default', () => {
      writeHomeConfig({ addr: 'home:1' });
      writeFileSync(join(root, 'env.json'), JSON.stringify({ addr: 'env:2' }));
      writeFileSync(join(cwd, 'flag.json'), JSON.stringify({ addr: 'flag:3' }));
      const env = { AOS_CONFIG: join(root, 'env.json') };

      // A relative --config is relative to the working directory.
      expect(resolveCliConfig({ config: 'flag.json' }, environment(env))).toMatchObject({
        addr: 'flag:3',
        configPath: join(cwd, 'flag.json'),
      });
      expect(resolveCliConfig({}, environment(env))).toMatchObject({
        addr: 'env:2',
        configPath: join(root, 'env.json'),
      });
      expect(resolveCliConfig({}, environment())).toMatchObject({ addr: 'home:1' });
    });

    it('refuses a config file that was named explicitly but does not exist', () => {
      expect(() => resolveCliConfig({ config: 'missing.json' }, environment())).toThrow(CliConfigError);
      expect(() => resolveCliConfig({}, environment({ AOS_CONFIG: join(root, 'missing.json') }))).toThrow(
        /does not exist/,
      );
    });

    it('refuses malformed JSON and fields of the wrong type, naming the file', () => {
      const path = writeHomeConfig('{ not json');
      expect(() => resolveCliConfig({}, environment())).toThrow(new RegExp(`${path} is not valid JSON`));

      writeHomeConfig({ addr: 50051 });
      expect(() => resolveCliConfig({}, environment())).toThrow(/"addr" must be a string/);

      writeHomeConfig(['addr']);
      expect(() => resolveCliConfig({}, environment())).toThrow(/must hold a JSON object/);
    });
  });
});
