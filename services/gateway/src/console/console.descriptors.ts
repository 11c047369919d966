import { create, createFileRegistry, fromBinary, type DescService, type FileRegistry } from '@bufbuild/protobuf';
import {
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  type DescriptorProto,
  type FileDescriptorProto,
} from '@bufbuild/protobuf/wkt';
import { PROTO_PACKAGE } from '@aos/contracts';
import { servedDescriptors } from '../grpc-server.options';

export interface AosDescriptors {
  readonly registry: FileRegistry;
  /** Every service of aos.v1, as the gateway's gRPC server serves them. */
  readonly services: readonly DescService[];
}

let loaded: AosDescriptors | undefined;

/**
 * The aos.v1 services as @bufbuild/protobuf descriptors, converted at run time
 * from the very descriptors the gateway's server reflection describes: the
 * browser bridge cannot drift from what the gateway serves, and needs neither
 * protoc nor generated code in a production image. Built once per process.
 */
export function loadAosDescriptors(): AosDescriptors {
  if (loaded) return loaded;
  const pkg = servedDescriptors();
  const files = new Map<string, FileDescriptorProto>();
  for (const definition of Object.values(pkg)) {
    for (const bytes of definition.fileDescriptorProtos) {
      const file = fromBinary(FileDescriptorProtoSchema, bytes);
      file.messageType.forEach(withDefaultJsonNames);
      if (!files.has(file.name)) files.set(file.name, file);
    }
  }
  const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: dependenciesFirst(files) }));
  const services = [...registry].filter(
    (desc): desc is DescService => desc.kind === 'service' && desc.typeName.startsWith(`${PROTO_PACKAGE}.`),
  );
  return (loaded = { registry, services });
}

/**
 * protoc writes every field's json_name; protobufjs's descriptors carry none,
 * and protobuf-es takes json_name as the field's JSON key, so Connect's JSON
 * encoding answered {"": …}. Filled in as protoc computes it (ToJsonName:
 * each underscore dropped and the letter after it upper-cased).
 */
function withDefaultJsonNames(message: DescriptorProto): void {
  for (const field of message.field) {
    if (!field.jsonName)
      field.jsonName = field.name.replace(/_+([a-zA-Z0-9]?)/g, (_, next: string) => next.toUpperCase());
  }
  message.nestedType.forEach(withDefaultJsonNames);
}

/** createFileRegistry links a file only after the files it imports. */
function dependenciesFirst(files: Map<string, FileDescriptorProto>): FileDescriptorProto[] {
  const ordered: FileDescriptorProto[] = [];
  const visited = new Set<string>();
  const visit = (name: string) => {
    const file = files.get(name);
    if (!file || visited.has(name)) return;
    visited.add(name);
    for (const dependency of file.dependency) visit(dependency);
    ordered.push(file);
  };
  for (const name of files.keys()) visit(name);
  return ordered;
}
