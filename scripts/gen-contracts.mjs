#!/usr/bin/env node
// Generates the TypeScript contracts (libs/contracts/src/gen) from proto/ with
// ts-proto. The output is not committed; it is regenerated whenever the protos
// or the generator change. `--check` exits 1 when the output is missing or stale.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const protoDir = join(root, 'proto');
const outDir = join(root, 'libs/contracts/src/gen');
const stampFile = join(outDir, '.stamp');
const require = createRequire(import.meta.url);

const TS_PROTO_OPTIONS = [
  'nestJs=true',
  'addGrpcMetadata=true',
  // The gateway encodes with @grpc/proto-loader, so the types must describe
  // proto-loader's objects: Timestamps as {seconds, nanos}, int64 as number,
  // enums as their names.
  'useDate=false',
  'forceLong=number',
  'stringEnums=true',
  'outputEncodeMethods=false',
  'outputJsonMethods=false',
  'outputPartialMethods=false',
  'useOptionals=messages',
  'exportCommonSymbols=false',
  'esModuleInterop=true',
  'importSuffix=',
].join(',');

function listProtos(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listProtos(join(dir, e.name)) : e.name.endsWith('.proto') ? [join(dir, e.name)] : [],
  );
}

function stamp() {
  const h = createHash('sha256');
  h.update(TS_PROTO_OPTIONS);
  h.update(require('ts-proto/package.json').version);
  h.update(require('protoc/package.json').version);
  for (const f of listProtos(protoDir).sort()) {
    h.update(relative(root, f));
    h.update(readFileSync(f));
  }
  return h.digest('hex');
}

const wanted = stamp();
const current = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : '';

if (process.argv.includes('--check')) {
  if (current !== wanted) {
    console.error('libs/contracts/src/gen is stale or missing: run `npm run gen`.');
    process.exit(1);
  }
  console.log('contracts are up to date');
  process.exit(0);
}
if (current === wanted && !process.argv.includes('--force')) process.exit(0);

const tmp = `${outDir}.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
const protocRoot = dirname(require.resolve('protoc/package.json'));
const plugin = join(root, 'node_modules/.bin/protoc-gen-ts_proto');
const protos = listProtos(protoDir).map((f) => relative(protoDir, f));
const r = spawnSync(
  process.execPath,
  [
    join(protocRoot, 'protoc.cjs'),
    `--plugin=protoc-gen-ts_proto=${plugin}`,
    `--ts_proto_out=${tmp}`,
    `--ts_proto_opt=${TS_PROTO_OPTIONS}`,
    `-I${protoDir}`,
    `-I${join(protocRoot, 'include')}`,
    ...protos,
  ],
  { stdio: 'inherit' },
);
if (r.status !== 0) {
  rmSync(tmp, { recursive: true, force: true });
  console.error('protoc failed');
  process.exit(1);
}
writeFileSync(join(tmp, '.stamp'), wanted + '\n');
rmSync(outDir, { recursive: true, force: true });
renameSync(tmp, outDir);
console.log(`generated ${protos.length} proto file(s) into ${relative(root, outDir)}`);
