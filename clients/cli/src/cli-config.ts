import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Where the CLI finds the gateway address and the API key. Each setting is
 * taken from the first source that has it:
 *   addr: --addr, AOS_GATEWAY_ADDR, config file "addr", 127.0.0.1:50051
 *   key:  --key, AOS_API_KEY, AOS_BOOTSTRAP_API_KEY, config file "key",
 *         <AOS_DATA_DIR or .aos>/bootstrap-admin.key (written by `npm start`)
 *   config file: --config, AOS_CONFIG, ~/.config/aos/config.json
 */
export const DEFAULT_GATEWAY_ADDR = '127.0.0.1:50051';
export const DEFAULT_DATA_DIR = '.aos';
export const BOOTSTRAP_KEY_FILE = 'bootstrap-admin.key';

export interface CliConfigFlags {
  addr?: string;
  key?: string;
  config?: string;
}

/** The process facts resolution depends on, passed in so tests need no global state. */
export interface CliEnvironment {
  env: NodeJS.ProcessEnv;
  cwd: string;
  homeDir: string;
}

export type AddrSource = 'flag' | 'AOS_GATEWAY_ADDR' | 'config' | 'default';
export type KeySource = 'flag' | 'AOS_API_KEY' | 'AOS_BOOTSTRAP_API_KEY' | 'config' | 'key-file';

export interface ResolvedCliConfig {
  addr: string;
  addrSource: AddrSource;
  /** Undefined when no source has a key. */
  key?: string;
  keySource?: KeySource;
  /** The config file consulted (it may not exist). */
  configPath: string;
  /** The bootstrap key file consulted (it may not exist). */
  keyFilePath: string;
}

interface ConfigFile {
  addr?: string;
  key?: string;
}

/** Thrown when the config file named explicitly is missing, or any config file is not valid JSON of the expected shape. */
export class CliConfigError extends Error {
  override name = 'CliConfigError';
}

/** Thrown when a command needs an API key and no source provides one. */
export class MissingApiKeyError extends CliConfigError {
  override name = 'MissingApiKeyError';
  constructor(config: ResolvedCliConfig) {
    super(
      `no API key: pass --key, set AOS_API_KEY or AOS_BOOTSTRAP_API_KEY, add "key" to ${config.configPath}, ` +
        `or start AgentOS so that ${config.keyFilePath} exists`,
    );
  }
}

export function resolveCliConfig(flags: CliConfigFlags, environment: CliEnvironment): ResolvedCliConfig {
  const { env, cwd, homeDir } = environment;
  const explicitConfig = nonEmpty(flags.config) ?? nonEmpty(env.AOS_CONFIG);
  const configPath = resolve(cwd, explicitConfig ?? join(homeDir, '.config', 'aos', 'config.json'));
  const file = readConfigFile(configPath, explicitConfig !== undefined);
  const keyFilePath = resolve(cwd, nonEmpty(env.AOS_DATA_DIR) ?? DEFAULT_DATA_DIR, BOOTSTRAP_KEY_FILE);

  const addr = firstOf<AddrSource>([
    ['flag', flags.addr],
    ['AOS_GATEWAY_ADDR', env.AOS_GATEWAY_ADDR],
    ['config', file.addr],
    ['default', DEFAULT_GATEWAY_ADDR],
  ]) as [AddrSource, string];

  // The key file is read only when nothing earlier provides a key.
  const key =
    firstOf<KeySource>([
      ['flag', flags.key],
      ['AOS_API_KEY', env.AOS_API_KEY],
      ['AOS_BOOTSTRAP_API_KEY', env.AOS_BOOTSTRAP_API_KEY],
      ['config', file.key],
    ]) ?? firstOf<KeySource>([['key-file', readKeyFile(keyFilePath)]]);

  return {
    addr: addr[1],
    addrSource: addr[0],
    ...(key && { key: key[1], keySource: key[0] }),
    configPath,
    keyFilePath,
  };
}

/** The resolved key, or MissingApiKeyError. */
export function requireApiKey(config: ResolvedCliConfig): string {
  if (config.key === undefined) throw new MissingApiKeyError(config);
  return config.key;
}

function firstOf<S extends string>(candidates: [S, string | undefined][]): [S, string] | undefined {
  for (const [source, value] of candidates) {
    const picked = nonEmpty(value);
    if (picked !== undefined) return [source, picked];
  }
  return undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function readConfigFile(path: string, required: boolean): ConfigFile {
  if (!existsSync(path)) {
    if (required) throw new CliConfigError(`config file ${path} does not exist`);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliConfigError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliConfigError(`config file ${path} must hold a JSON object like {"addr": "host:port", "key": "..."}`);
  }
  const { addr, key } = parsed as Record<string, unknown>;
  for (const [field, value] of [
    ['addr', addr],
    ['key', key],
  ] as const) {
    if (value !== undefined && typeof value !== 'string') {
      throw new CliConfigError(`config file ${path}: "${field}" must be a string`);
    }
  }
  return { addr: addr as string | undefined, key: key as string | undefined };
}

function readKeyFile(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}
