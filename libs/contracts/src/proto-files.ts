import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the .proto files are and how @grpc/proto-loader must read them so that
 * the objects match the ts-proto types generated with the options in
 * scripts/gen-contracts.mjs (camelCase fields, int64 as number, enums as names,
 * Timestamps as {seconds, nanos}). The gateway and every client load them with
 * exactly these options. The google/protobuf imports resolve to the copies that
 * protobufjs bundles, so no protoc install is needed at run time.
 */
export const PROTO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../proto');
export const PROTO_FILES = [
  'aos/v1/agent.proto',
  'aos/v1/audit.proto',
  'aos/v1/governance.proto',
  'aos/v1/tool.proto',
  'aos/v1/task.proto',
  'aos/v1/runtime.proto',
  'aos/v1/knowledge.proto',
  'aos/v1/context.proto',
  'aos/v1/command.proto',
];
export const PROTO_PACKAGE = 'aos.v1';

export const PROTO_LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};
