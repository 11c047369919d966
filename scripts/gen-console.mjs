#!/usr/bin/env node
// Generates the web console's typed clients (clients/console/src/gen) from
// proto/aos/v1 with protoc-gen-es v2, whose service descriptors
// @connectrpc/connect-web uses directly. Not committed: regenerated when the
// protos or the generator change, like libs/contracts/src/gen.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const protoDir = join(root, 'proto');
const outDir = join(root, 'clients/console/src/gen');
const stampFile = join(outDir, '.stamp');
const require = createRequire(import.meta.url);
const OPTIONS = 'target=ts,import_extension=none';

const protos = readdirSync(join(protoDir, 'aos/v1'))
  .filter((f) => f.endsWith('.proto'))
  .sort()
  .map((f) => `aos/v1/${f}`);

const hash = createHash('sha256').update(OPTIONS);
hash.update(require('@bufbuild/protoc-gen-es/package.json').version);
hash.update(require('protoc/package.json').version);
for (const f of protos) hash.update(f).update(readFileSync(join(protoDir, f)));
const wanted = hash.digest('hex');
const current = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : '';
if (current === wanted && !process.argv.includes('--force')) process.exit(0);

const tmp = `${outDir}.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
const protocRoot = dirname(require.resolve('protoc/package.json'));
const r = spawnSync(
  process.execPath,
  [
    join(protocRoot, 'protoc.cjs'),
    `--plugin=protoc-gen-es=${join(root, 'node_modules/.bin/protoc-gen-es')}`,
    `--es_out=${tmp}`,
    `--es_opt=${OPTIONS}`,
    `-I${protoDir}`,
    `-I${join(protocRoot, 'include')}`,
    ...protos,
  ],
  { stdio: 'inherit' },
);
if (r.status !== 0) {
  rmSync(tmp, { recursive: true, force: true });
  console.error('protoc (protoc-gen-es) failed');
  process.exit(1);
}
writeFileSync(join(tmp, '.stamp'), wanted + '\n');
rmSync(outDir, { recursive: true, force: true });
renameSync(tmp, outDir);
console.log(`generated ${protos.length} console client file(s) into ${relative(root, outDir)}`);
