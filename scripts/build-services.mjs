#!/usr/bin/env node
/**
 * `npm run build`: compiles every service to JavaScript with esbuild, one
 * entry per service in dist/services/<name>.mjs (plus `backends.mjs`, the seven
 * backends in one process), which is what `npm start`, the tests' stacks and
 * the container images run.
 *
 * The workspace's own code (@aos/* and the services) is bundled; every npm
 * package stays an import resolved from node_modules at run time, so Node
 * loads only the modules a service actually uses and shares nothing it does
 * not need (bundling the packages too made each service's heap larger:
 * old space 70 MB against 31 MB). Code splitting keeps a dynamic import() of
 * our own code (e.g. the EventStoreDB adapter) in a chunk of its own, so it
 * and the packages it imports load only when that import runs.
 *
 * `import.meta.url` in a bundled file is rewritten to the URL of its source
 * file, so paths relative to a source (proto/, package.json, the console's
 * dist) still hold; the bundle must therefore stay in dist/services of a tree
 * that has those files (the repository, or the container's /app).
 *
 * Usage: node scripts/build-services.mjs [--if-stale]
 *   --if-stale  build only when a source is newer than the last build (what
 *               `npm start` and the tests use; a few milliseconds when fresh).
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = join(ROOT, 'dist', 'services');
/** Every services/<name>/src/main.ts (backends included: the seven backends in one process). */
const SERVICES = readdirSync(join(ROOT, 'services')).filter((name) =>
  existsSync(join(ROOT, 'services', name, 'src', 'main.ts')),
);
/** Written after a build: the time it started (a source saved during a build makes the next check build again). */
const STAMP = join(OUT_DIR, '.built-at');
/** Held (mkdir is atomic) while one process builds; the others wait for it, then find the build fresh. */
const LOCK = join(ROOT, 'dist', '.building');
/** Anything newer than the last build makes it stale. */
const INPUTS = [
  'services',
  'libs',
  'tsconfig.json',
  'tsconfig.base.json',
  'package.json',
  'scripts/build-services.mjs',
];

/** A package name from an import specifier: `@scope/name` or `name`. */
function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** npm packages stay imports (resolved from node_modules at run time); @aos/* is ours and bundled. */
const packagesExternal = {
  name: 'packages-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      packageOf(args.path) === '@aos' || args.path.startsWith('@aos/')
        ? undefined
        : { path: args.path, external: true },
    );
  },
};

/** `import.meta.url` in a bundled file still names its source file, so paths relative to it hold. */
const sourceUrl = {
  name: 'source-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const rel = relative(OUT_DIR, args.path).split('\\').join('/');
      return {
        contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`),
        loader: 'ts',
      };
    });
  },
};

/** Builds dist/services; returns the seconds it took. */
export async function buildServices() {
  const { build } = await import('esbuild');
  const startedAt = Date.now();
  const { outputFiles } = await build({
    entryPoints: Object.fromEntries(SERVICES.map((s) => [s, join(ROOT, 'services', s, 'src', 'main.ts')])),
    outdir: OUT_DIR,
    outExtension: { '.js': '.mjs' },
    // Chunks beside the entries: the import.meta.url rewrite below assumes every output is in OUT_DIR.
    chunkNames: '[name]-[hash]',
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    sourcesContent: false,
    plugins: [packagesExternal, sourceUrl],
    tsconfig: join(ROOT, 'tsconfig.json'),
    logLevel: 'warning',
    write: false,
    // A bundled CommonJS-style require() (createRequire in our sources is kept; this covers esbuild's own shims).
    banner: {
      js: "import { createRequire as __aosCreateRequire } from 'node:module'; const require = __aosCreateRequire(import.meta.url);",
    },
  });
  // A process may be starting a service from the previous build meanwhile: each file is replaced whole
  // (written aside, then renamed), chunks before the entries that import them, and the previous build's
  // chunks (their names hash their contents) stay an hour, for a process that loads one late.
  await mkdir(OUT_DIR, { recursive: true });
  const isEntry = (path) => SERVICES.some((s) => path === join(OUT_DIR, `${s}.mjs`));
  for (const file of [...outputFiles].sort((a, b) => Number(isEntry(a.path)) - Number(isEntry(b.path)))) {
    const aside = `${file.path}.${process.pid}.tmp`;
    await writeFile(aside, file.contents);
    await rename(aside, file.path);
  }
  const made = new Set(outputFiles.map((file) => file.path));
  for (const name of await readdir(OUT_DIR)) {
    const path = join(OUT_DIR, name);
    if (!/\.mjs(\.map)?$/.test(name) || made.has(path)) continue;
    const { mtimeMs } = await stat(path);
    if (Date.now() - mtimeMs > 3_600_000) await rm(path, { force: true });
  }
  await writeFile(STAMP, String(startedAt));
  return (Date.now() - startedAt) / 1000;
}

/** The newest modification time under `path` (sources only: node_modules, dist and tests are skipped). */
async function newestChange(path) {
  const s = await stat(path).catch(() => undefined);
  if (!s) return 0;
  if (!s.isDirectory()) return s.mtimeMs;
  const names = await readdir(path);
  const skip = new Set(['node_modules', 'dist', 'test', 'coverage']);
  const times = await Promise.all(names.filter((n) => !skip.has(n)).map((n) => newestChange(join(path, n))));
  return Math.max(s.mtimeMs, ...times);
}

async function isStale() {
  const builtAt = Number(await readFile(STAMP, 'utf8').catch(() => 'NaN'));
  if (!Number.isFinite(builtAt)) return true;
  const entries = await Promise.all(SERVICES.map((s) => stat(join(OUT_DIR, `${s}.mjs`)).catch(() => undefined)));
  if (entries.some((e) => e === undefined)) return true;
  const newest = Math.max(...(await Promise.all(INPUTS.map((p) => newestChange(join(ROOT, p))))));
  return newest >= builtAt;
}

/** How long a lock may be held before it is taken to be a crashed builder's. */
const LOCK_STALE_MS = 120_000;

/**
 * Builds when a source changed since the last build; safe when several
 * processes (test files, a launcher) ask at once: one builds, the others wait
 * for it and then find the build fresh.
 */
export async function buildIfStale() {
  await mkdir(dirname(LOCK), { recursive: true });
  for (;;) {
    if (!(await isStale())) return undefined;
    try {
      await mkdir(LOCK);
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const held = await stat(LOCK).catch(() => undefined);
      if (held && Date.now() - held.mtimeMs > LOCK_STALE_MS) await rm(LOCK, { recursive: true, force: true });
      await sleep(100);
      continue;
    }
    try {
      if (!(await isStale())) return undefined;
      return await buildServices();
    } finally {
      await rm(LOCK, { recursive: true, force: true });
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const seconds = process.argv.includes('--if-stale') ? await buildIfStale() : await buildServices();
  if (seconds !== undefined)
    process.stderr.write(
      `built ${SERVICES.length} services into ${relative(process.cwd(), OUT_DIR) || OUT_DIR} in ${seconds.toFixed(2)} s\n`,
    );
}
