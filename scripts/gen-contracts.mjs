#!/usr/bin/env node
// Generates the TypeScript contracts (libs/contracts/src/gen) from proto/ with
// ts-proto. The output is not committed; it is regenerated whenever the protos
// or the generator change. `--check` exits 1 when the output is missing or stale.
import { join } from 'node:path';
import { generateFromProtos, listProtos, root } from './protoc-generate.mjs';

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

const check = process.argv.includes('--check');
const result = generateFromProtos({
  plugin: 'ts_proto',
  pluginPackage: 'ts-proto',
  options: TS_PROTO_OPTIONS,
  protos: listProtos(),
  outDir: join(root, 'libs/contracts/src/gen'),
  what: 'proto file(s)',
  check,
});
if (check) {
  if (result === 'stale') {
    console.error('libs/contracts/src/gen is stale or missing: run `npm run gen`.');
    process.exit(1);
  }
  console.log('contracts are up to date');
}
