#!/usr/bin/env node
/**
 * `npm run build`: compiles every service to JavaScript with esbuild, one
 * entry per service in dist/services/<name>.mjs (plus `backends.mjs`, the seven
 * backends in one process), which is what `npm start`, the tests' stacks and
 * the container images run.
 *
 * The workspace's own code (@aos/* and the services) is bundled, and so are
 * the npm packages every service loads at start (BUNDLED_PACKAGES); every
 * other npm package stays an import resolved from node_modules at run time, so
 * Node loads only the modules a service actually uses (bundling every package
 * made each service's heap larger: old space 70 MB against 31 MB). Code splitting keeps a dynamic import() of
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
import { Buffer } from 'node:buffer';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { createRequire } from 'node:module';
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
  // Bundled npm packages are inputs too: an npm ci or update changes them.
  'package-lock.json',
  'node_modules/.package-lock.json',
  'scripts/build-services.mjs',
];

/** A package name from an import specifier: `@scope/name` or `name`. */
function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * npm packages bundled like our own code: those every service loads at start
 * (NestJS, rxjs, zod, the metrics and the authorization libraries), with
 * the packages they import. Loaded from node_modules they are hundreds of ES
 * and CommonJS modules (Nest and rxjs alone ~740, counted with strace), each
 * compiled, kept with its comments, and some of them
 * kept as two-byte text (see beyondLatin1); bundled and stripped of whitespace
 * they cost each idle service several MiB less (Nest alone 6 MiB of RSS) and
 * start faster (a bare Nest microservice ready in 0.26 s instead of 0.58 s).
 * Only a package nothing external imports may be bundled: a second copy
 * loaded from node_modules has its own classes and state (gRPC's Metadata
 * would fail grpc-js's instanceof checks, as Nest loads grpc-js itself). The
 * MCP SDK, loaded on first use, imports zod and jose from node_modules: its
 * copies cost memory only, as no schema or key crosses between them and ours.
 */
const BUNDLED_PACKAGES = new Set([
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/microservices',
  'rxjs',
  '@nats-io/transport-node',
  '@nats-io/jetstream',
  '@nats-io/kv',
  '@nats-io/obj',
  '@nats-io/nats-core',
  'zod',
  'uuid',
  'prom-client',
  'casbin',
  'jose',
  'canonicalize',
]);

/**
 * Never bundled, even when a bundled package imports them:
 * - reflect-metadata: a CommonJS module bundled runs where it is imported,
 *   after the ES modules its importer imports, so Nest's decorators would run
 *   before the Reflect API exists; an external import runs first.
 * - the gRPC stack: Nest loads grpc-js from node_modules, and ours must be
 *   the same copy (grpc-js checks Metadata with instanceof).
 * - @opentelemetry/api: the OpenTelemetry SDK, loaded from node_modules when
 *   tracing is on, registers with it; bundled, the services' spans were lost
 *   (libs/telemetry/test/tracing.e2e.spec.ts failed).
 */
const NEVER_BUNDLED = new Set([
  'reflect-metadata',
  '@opentelemetry/api',
  '@grpc/grpc-js',
  '@grpc/proto-loader',
  'protobufjs',
  'long',
]);

/**
 * @aos/* and BUNDLED_PACKAGES are bundled, and so is what a bundled package
 * imports (its own dependencies) when it can be resolved (an optional package
 * Nest loads on demand, e.g. @nestjs/websockets, stays an import); every other
 * npm package stays an import resolved from node_modules at run time.
 */
const packagesExternal = {
  name: 'packages-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === 'probe') return undefined;
      const name = packageOf(args.path);
      if (args.path.startsWith('@aos/')) return undefined;
      const external = { path: args.path, external: true };
      if (NEVER_BUNDLED.has(name) || name.startsWith('node:')) return external;
      // Only bundled files are read, so an importer in node_modules is one of a bundled package's.
      if (!BUNDLED_PACKAGES.has(name) && !/[\\/]node_modules[\\/]/.test(args.importer)) return external;
      const probe = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'probe' });
      if (probe.errors.length > 0) return BUNDLED_PACKAGES.has(name) ? undefined : external;
      // import() of a CommonJS package: see commonJsNamespace.
      if (args.kind === 'dynamic-import' && isCommonJs(probe.path)) {
        return { path: probe.path, namespace: 'commonjs-namespace' };
      }
      return undefined;
    });
    // Nest loads some packages with createRequire(import.meta.url)('<name>'), which esbuild cannot
    // follow: left so, it would load a second copy from node_modules (the NATS client did). As a
    // plain require() it is resolved above like any import: bundled, or kept external.
    b.onLoad({ filter: /[\\/]node_modules[\\/].*\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('createRequire(import.meta.url)(')) return undefined;
      return {
        contents: text.replace(/\bcreateRequire\(import\.meta\.url\)\((['"][^'"]+['"])\)/g, 'require($1)'),
        loader: 'js',
        resolveDir: dirname(args.path),
      };
    });
    b.onLoad({ filter: /.*/, namespace: 'commonjs-namespace' }, (args) => ({
      contents: commonJsNamespace(args.path),
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

/** A .cjs file, or a .js file of a package that is not "type": "module". */
function isCommonJs(path) {
  if (path.endsWith('.cjs')) return true;
  if (!path.endsWith('.js')) return false;
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, 'utf8')).type !== 'module';
  }
  return true;
}

/**
 * The module an import() of a bundled CommonJS package gets: its exports by
 * name, as Node's own import() of it gives them. esbuild's chunk for it would
 * export only `default`, and Nest reads `connect` off what
 * import('@nats-io/transport-node') returns. The names are read by loading the
 * package here, in the build.
 */
function commonJsNamespace(path) {
  const names = Object.keys(createRequire(path)(path)).filter((key) => key !== 'default' && key !== '__esModule');
  // Each name through a local alias: an export may be named like a reserved word (`delete`).
  const locals = names.map((name, i) => `const e${i} = m[${JSON.stringify(name)}];`).join('\n');
  const exported = names.map((name, i) => `e${i} as ${JSON.stringify(name)}`).join(', ');
  return `const m = require(${JSON.stringify(path)});\n${locals}\nexport default m;\nexport { ${exported} };\n`;
}

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

/**
 * The characters beyond Latin-1 in a bundle's text. V8 keeps a script's source
 * in its heap, one byte a character while every character fits in Latin-1;
 * one that does not, anywhere (an arrow in a regular expression), makes it a
 * two-byte string: the whole chunk's text twice over (the Nest chunk 2.4 MiB
 * instead of 1.2). esbuild escapes strings and drops comments but leaves
 * regular expression literals and tagged templates as written, where an escape
 * added here could change their meaning (`String.raw`, `/\→/`): the build
 * names them instead, to be written as \uXXXX in the source.
 */
export function beyondLatin1(text) {
  return [...new Set(text.match(/[^\0-\xff]/g) ?? [])];
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_VALUE = new Map([...BASE64].map((c, i) => [c, i]));

/** The numbers of one source map segment (base64 VLQ). */
function decodeSegment(text) {
  const values = [];
  let value = 0;
  let shift = 0;
  for (const c of text) {
    const digit = BASE64_VALUE.get(c);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) shift += 5;
    else {
      values.push(value % 2 ? -(value - 1) / 2 : value / 2);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

function encodeSegment(values) {
  let text = '';
  for (const v of values) {
    let rest = v < 0 ? -v * 2 + 1 : v * 2;
    do {
      let digit = rest % 32;
      rest = Math.floor(rest / 32);
      if (rest > 0) digit |= 32;
      text += BASE64[digit];
    } while (rest > 0);
  }
  return text;
}

/**
 * A chunk's source map with the positions of bundled npm packages left
 * unmapped; undefined when nothing of ours is left in it. Node keeps every map
 * a loaded module names (--enable-source-maps), and the bundled packages'
 * mappings were most of ours (the NestJS chunk's alone 566 KB); a stack frame
 * in a package's code names the bundle's line and column instead.
 */
export function withoutPackageMappings(map) {
  const ours = map.sources.map((source) => !/(^|[\\/])node_modules[\\/]/.test(source));
  if (!ours.includes(true)) return undefined;
  // Absolute values of the last segment read, and of the last one written (segments are deltas).
  const read = { source: 0, line: 0, column: 0, name: 0 };
  const written = { source: 0, line: 0, column: 0, name: 0 };
  // Whether the position last written is unmapped: a lookup before a line's first segment falls back
  // to the lines above, so a line that starts in a package's code after ours needs its own marker.
  let unmapped = true;
  const lines = map.mappings.split(';').map((text) => {
    const out = [];
    let column = 0;
    let writtenColumn = 0;
    for (const segment of text ? text.split(',') : []) {
      const v = decodeSegment(segment);
      column += v[0];
      const mapped = v.length >= 4;
      if (mapped) {
        read.source += v[1];
        read.line += v[2];
        read.column += v[3];
        if (v.length === 5) read.name += v[4];
      }
      if (!mapped || !ours[read.source]) {
        // Unmapped (a segment of its column only), once until a mapped one.
        if (!unmapped) out.push(encodeSegment([column - writtenColumn]));
        if (!unmapped) writtenColumn = column;
        unmapped = true;
        continue;
      }
      const fields = [
        column - writtenColumn,
        read.source - written.source,
        read.line - written.line,
        read.column - written.column,
      ];
      if (v.length === 5) fields.push(read.name - written.name);
      out.push(encodeSegment(fields));
      writtenColumn = column;
      written.source = read.source;
      written.line = read.line;
      written.column = read.column;
      if (v.length === 5) written.name = read.name;
      unmapped = false;
    }
    return out.join(',');
  });
  return { ...map, mappings: lines.join(';') };
}

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
    // Comments and indentation out (source maps still name the TypeScript lines): V8 keeps each
    // module's source text in the heap, so this is memory. Names are kept (Nest's injection uses
    // class names; stack traces stay readable without the maps).
    minifyWhitespace: true,
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
  const isEntry = (path) =>
    SERVICES.some((s) => path === join(OUT_DIR, `${s}.mjs`) || path === join(OUT_DIR, `${s}.mjs.map`));
  const contents = new Map(outputFiles.map((file) => [file.path, file.contents]));
  for (const file of outputFiles) {
    if (!file.path.endsWith('.mjs.map')) continue;
    const map = withoutPackageMappings(JSON.parse(file.text));
    const chunk = file.path.slice(0, -'.map'.length);
    if (map) contents.set(file.path, JSON.stringify(map));
    else {
      // Nothing of ours in it: no map, and no comment naming one.
      contents.delete(file.path);
      const text = Buffer.from(contents.get(chunk)).toString('utf8');
      contents.set(chunk, text.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'));
    }
  }
  for (const file of outputFiles) {
    if (!file.path.endsWith('.mjs')) continue;
    const wide = beyondLatin1(file.text);
    if (wide.length > 0) {
      const escaped = wide.map((c) => `${JSON.stringify(c)} (\\u${c.charCodeAt(0).toString(16).padStart(4, '0')})`);
      process.stderr.write(
        `build-services: ${relative(ROOT, file.path)} holds ${escaped.join(', ')}: V8 keeps it as two-byte text; write it escaped in the source\n`,
      );
    }
  }
  for (const [path, data] of [...contents].sort(([a], [b]) => Number(isEntry(a)) - Number(isEntry(b)))) {
    const aside = `${path}.${process.pid}.tmp`;
    await writeFile(aside, data);
    await rename(aside, path);
  }
  const made = new Set(contents.keys());
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
