// The one protoc run behind `npm run gen`: hash the protos, the plugin options
// and the tool versions; skip when the output's .stamp matches; else run protoc
// into a temporary folder and swap it in whole, so a failed run never leaves a
// half-written output. Used by gen-contracts.mjs (ts-proto) and gen-console.mjs
// (protoc-gen-es).
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const protoDir = join(root, 'proto');
const require = createRequire(import.meta.url);

/** The .proto files under proto/`under`, relative to proto/, sorted. */
export function listProtos(under = '') {
  const walk = (dir) =>
    readdirSync(join(protoDir, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.proto') ? [join(dir, e.name)] : [],
    );
  return walk(under).sort();
}

/**
 * `plugin` is the protoc plugin's name (e.g. `ts_proto`, `es`), `pluginPackage`
 * the npm package whose version is hashed, `protos` paths relative to proto/.
 * Returns whether the output is up to date ('fresh'), was just written
 * ('generated') or, with `check`, is stale ('stale').
 */
export function generateFromProtos({ plugin, pluginPackage, options, protos, outDir, what, check = false }) {
  const stampFile = join(outDir, '.stamp');
  const hash = createHash('sha256').update(options);
  hash.update(require(`${pluginPackage}/package.json`).version);
  hash.update(require('protoc/package.json').version);
  for (const f of protos) hash.update(relative(root, join(protoDir, f))).update(readFileSync(join(protoDir, f)));
  const wanted = hash.digest('hex');
  const current = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : '';
  if (current === wanted && !process.argv.includes('--force')) return 'fresh';
  if (check) return 'stale';

  const tmp = `${outDir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const protocRoot = dirname(require.resolve('protoc/package.json'));
  const r = spawnSync(
    process.execPath,
    [
      join(protocRoot, 'protoc.cjs'),
      `--plugin=protoc-gen-${plugin}=${join(root, `node_modules/.bin/protoc-gen-${plugin}`)}`,
      `--${plugin}_out=${tmp}`,
      `--${plugin}_opt=${options}`,
      `-I${protoDir}`,
      `-I${join(protocRoot, 'include')}`,
      ...protos,
    ],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    console.error(`protoc (protoc-gen-${plugin}) failed`);
    process.exit(1);
  }
  writeFileSync(join(tmp, '.stamp'), wanted + '\n');
  rmSync(outDir, { recursive: true, force: true });
  renameSync(tmp, outDir);
  console.log(`generated ${protos.length} ${what} into ${relative(root, outDir)}`);
  return 'generated';
}
