import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ServiceName =
  'lifecycle' | 'audit' | 'governance' | 'resources' | 'routing' | 'runtime' | 'commands' | 'gateway';

/**
 * How the launcher runs a service: `compiled` (the default, what production
 * runs) forks dist/services/<name>.mjs, built by scripts/build-services.mjs
 * (esbuild) and rebuilt on the spot whenever a source is newer than the build;
 * `tsx` forks services/<name>/src/main.ts through tsx, compiling each file as
 * it is loaded (no build; slower to start and heavier: useful to debug a
 * service's TypeScript directly or to compare the two).
 * AOS_SERVICE_RUNNER chooses.
 */
export type ServiceRunner = 'compiled' | 'tsx';

export function serviceRunner(env: NodeJS.ProcessEnv = process.env): ServiceRunner {
  const runner = env.AOS_SERVICE_RUNNER || 'compiled';
  if (runner !== 'compiled' && runner !== 'tsx') {
    throw new Error(`AOS_SERVICE_RUNNER=${runner}: expected compiled or tsx`);
  }
  return runner;
}

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const COMPILED_DIR = join(REPO_ROOT, 'dist', 'services');
const BUILD_SCRIPT = join(REPO_ROOT, 'scripts', 'build-services.mjs');

/** The file a service's process runs: its bundle, or its TypeScript main under tsx. */
export function serviceEntry(name: ServiceName | 'backends', runner = serviceRunner()): string {
  return runner === 'compiled'
    ? join(COMPILED_DIR, `${name}.mjs`)
    : join(REPO_ROOT, 'services', name, 'src', 'main.ts');
}

/** True for an entry the build makes (and the launcher must make fresh before it forks). */
export function isCompiledEntry(entry: string): boolean {
  return entry.startsWith(COMPILED_DIR + '/');
}

/**
 * Node flags every service runs with (libs/launcher/service-node-flags, which
 * deploy/Dockerfile's CMD reads too), plus tsx's loader for a .ts entry.
 */
export function serviceNodeArgs(entry: string): string[] {
  const flags = readFileSync(join(REPO_ROOT, 'libs', 'launcher', 'service-node-flags'), 'utf8')
    .replace(/#.*$/gm, '')
    .split(/\s+/)
    .filter(Boolean);
  return [...(entry.endsWith('.ts') ? ['--import', 'tsx'] : []), ...flags];
}

/**
 * Environment every service process gets unless the launcher's own sets it
 * (deploy/Dockerfile sets the same). MALLOC_MMAP_THRESHOLD_: glibc serves an
 * allocation of 1 MiB or more with its own mapping and unmaps it when freed.
 * By default the threshold rises to the largest block freed so far, after
 * which such blocks come from the thread's arena and stay resident: each
 * scrypt verification of an API key (16 MiB, on one of libuv's four threads)
 * then leaves its 16 MiB behind: 108 MiB RSS after twelve of them, 43 MiB with
 * the threshold fixed (and ~6 MiB more in an idle gateway or governance).
 */
export const SERVICE_ENV_DEFAULTS: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: '1048576' };

/** A service process's environment: SERVICE_ENV_DEFAULTS under `env`. */
export function serviceEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...SERVICE_ENV_DEFAULTS, ...env };
}

let building: Promise<void> | undefined;

/**
 * Brings dist/services up to date with the sources (scripts/build-services.mjs
 * --if-stale: ~0.1 s when fresh, ~1 s to build); once per launching process.
 * Safe when several processes ask at once (the script takes a lock).
 */
export function ensureServicesBuilt(): Promise<void> {
  building ??= new Promise<void>((resolve, reject) => {
    execFile(process.execPath, [BUILD_SCRIPT, '--if-stale'], { cwd: REPO_ROOT }, (err, _stdout, stderr) => {
      if (err) {
        // Not kept: a build that failed (a source mid-edit) is tried again by the next fork.
        building = undefined;
        reject(new Error(`building the services failed: ${stderr || err.message}`));
      } else resolve();
    });
  });
  return building;
}
