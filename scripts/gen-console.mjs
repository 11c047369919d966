#!/usr/bin/env node
// Generates the web console's typed clients (clients/console/src/gen) from
// proto/aos/v1 with protoc-gen-es v2, whose service descriptors
// @connectrpc/connect-web uses directly. Not committed: regenerated when the
// protos or the generator change, like libs/contracts/src/gen.
import { join } from 'node:path';
import { generateFromProtos, listProtos, root } from './protoc-generate.mjs';

generateFromProtos({
  plugin: 'es',
  pluginPackage: '@bufbuild/protoc-gen-es',
  options: 'target=ts,import_extension=none',
  protos: listProtos('aos/v1'),
  outDir: join(root, 'clients/console/src/gen'),
  what: 'console client file(s)',
});
