import type { PackageDefinition } from '@grpc/proto-loader';
import descriptor, {
  type IDescriptorProto,
  type IFieldDescriptorProto,
  type IFileDescriptorProto,
} from 'protobufjs/ext/descriptor/index.js';

/**
 * Makes the file descriptors that proto-loader (through protobuf.js) produces
 * acceptable to clients that link descriptors the way protoc does: grpcurl
 * `describe`/invoke, grpcui, Postman, all built on Go's protodesc. As
 * generated, they
 *  - have an empty `dependency` list (grpc/grpc-node#2595), so a reference to
 *    `google.protobuf.Timestamp` is "not imported";
 *  - name a map field's entry type `Labels` where protoc requires `LabelsEntry`
 *    ("incorrect implicit map entry name");
 *  - use type names relative to their scope.
 * This fixes all three. Each proto package stays one synthetic file
 * ("aos_v1.proto"); only file names differ from the sources, which clients do
 * not rely on. Load the package definition with `keepCase: true` so the
 * descriptors carry the field names of the .proto files.
 */
export function linkableDescriptors(pkg: PackageDefinition): PackageDefinition {
  const files = new Map<string, IFileDescriptorProto>();
  for (const protos of fileDescriptorLists(pkg)) {
    for (const bytes of protos) {
      const file = decode(bytes);
      if (file.name && !files.has(file.name)) files.set(file.name, file);
    }
  }

  for (const file of files.values()) {
    for (const message of file.messageType ?? []) renameMapEntries(message, `${packageScope(file)}.${message.name}`);
  }

  const fileOfType = new Map<string, string>();
  for (const [name, file] of files) {
    for (const message of file.messageType ?? []) indexMessage(fileOfType, packageScope(file), message, name);
    for (const e of file.enumType ?? []) fileOfType.set(`${packageScope(file)}.${e.name}`, name);
  }

  const encoded = new Map<string, Buffer>();
  for (const [name, file] of files) {
    const dependencies = new Set<string>();
    forEachReference(file, (typeName, scope) => {
      const qualified = qualify(typeName, scope, fileOfType);
      const owner = fileOfType.get(qualified);
      if (owner && owner !== name) dependencies.add(owner);
      return qualified;
    });
    file.dependency = [...dependencies].sort();
    encoded.set(name, Buffer.from(descriptor.FileDescriptorProto.encode(file).finish()));
  }

  return Object.fromEntries(
    Object.entries(pkg).map(([key, definition]) => {
      if (!('fileDescriptorProtos' in definition) || !Array.isArray(definition.fileDescriptorProtos)) {
        return [key, definition];
      }
      const fileDescriptorProtos = definition.fileDescriptorProtos.map(
        (bytes) => encoded.get(decode(bytes).name ?? '') ?? bytes,
      );
      return [key, { ...definition, fileDescriptorProtos }];
    }),
  ) as PackageDefinition;
}

function* fileDescriptorLists(pkg: PackageDefinition): Iterable<Buffer[]> {
  for (const definition of Object.values(pkg)) {
    if ('fileDescriptorProtos' in definition && Array.isArray(definition.fileDescriptorProtos)) {
      yield definition.fileDescriptorProtos as Buffer[];
    }
  }
}

function decode(bytes: Uint8Array): IFileDescriptorProto {
  return descriptor.FileDescriptorProto.decode(bytes) as IFileDescriptorProto;
}

function packageScope(file: IFileDescriptorProto): string {
  return file.package ? `.${file.package}` : '';
}

/** protoc's name for the entry type of map field `field`: `tool_ids` → `ToolIdsEntry`. */
export function mapEntryName(field: string): string {
  return `${field.replace(/(?:^|_)(.)/g, (_m, c: string) => c.toUpperCase())}Entry`;
}

function renameMapEntries(message: IDescriptorProto, fullName: string): void {
  const entries = (message.nestedType ?? []).filter((n) => n.options?.mapEntry);
  for (const field of message.field ?? []) {
    const entry = entries.find((n) => field.typeName === n.name || field.typeName === `${fullName}.${n.name}`);
    if (!entry || !field.name) continue;
    entry.name = mapEntryName(field.name);
    field.typeName = `${fullName}.${entry.name}`;
  }
  for (const nested of message.nestedType ?? []) renameMapEntries(nested, `${fullName}.${nested.name}`);
}

function indexMessage(index: Map<string, string>, scope: string, message: IDescriptorProto, file: string): void {
  const fullName = `${scope}.${message.name}`;
  index.set(fullName, file);
  for (const nested of message.nestedType ?? []) indexMessage(index, fullName, nested, file);
  for (const e of message.enumType ?? []) index.set(`${fullName}.${e.name}`, file);
}

/** Resolves a type name the way protoc does: relative names from the innermost scope outwards. */
function qualify(typeName: string, scope: string, known: Map<string, string>): string {
  if (typeName.startsWith('.')) return typeName;
  for (let s = scope; ; s = s.slice(0, Math.max(0, s.lastIndexOf('.')))) {
    const candidate = `${s}.${typeName}`;
    if (known.has(candidate)) return candidate;
    if (s === '') return typeName;
  }
}

/** Calls `visit` for every type reference in the file and stores what it returns as the reference. */
function forEachReference(file: IFileDescriptorProto, visit: (typeName: string, scope: string) => string): void {
  const fields = (list: IFieldDescriptorProto[] | undefined, scope: string) => {
    for (const f of list ?? []) {
      if (f.typeName) f.typeName = visit(f.typeName, scope);
      if (f.extendee) f.extendee = visit(f.extendee, scope);
    }
  };
  const message = (m: IDescriptorProto, scope: string) => {
    const fullName = `${scope}.${m.name}`;
    fields(m.field, fullName);
    fields(m.extension, fullName);
    for (const nested of m.nestedType ?? []) message(nested, fullName);
  };
  const scope = packageScope(file);
  for (const m of file.messageType ?? []) message(m, scope);
  fields(file.extension, scope);
  for (const service of file.service ?? []) {
    for (const method of service.method ?? []) {
      if (method.inputType) method.inputType = visit(method.inputType, scope);
      if (method.outputType) method.outputType = visit(method.outputType, scope);
    }
  }
}
