import { join } from 'node:path';
import protobuf from 'protobufjs';
import { PROTO_FILES, PROTO_PACKAGE, PROTO_ROOT } from './proto-files';
import { toTimestamp } from './timestamps';

/**
 * The aos.v1 protos as protobufjs reflection types, for code that converts
 * between proto3 JSON and the objects proto-loader gives (the commands
 * service's plan steps, the CLI's view of their replies). Its own subpath:
 * loading protobufjs is a cost `aos --help` should not pay.
 */
const TIMESTAMP = '.google.protobuf.Timestamp';

let root: protobuf.Root | undefined;

/** Parsed once per process. */
export function protoRoot(): protobuf.Root {
  if (root) return root;
  const loaded = new protobuf.Root();
  // google/protobuf/* are the copies protobufjs bundles, as proto-loader resolves them.
  loaded.resolvePath = (_origin, target) =>
    target.startsWith('/') || target.startsWith('google/') ? target : join(PROTO_ROOT, target);
  loaded.loadSync(
    PROTO_FILES.map((file) => join(PROTO_ROOT, file)),
    { keepCase: false },
  );
  loaded.resolveAll();
  return (root = loaded);
}

/** The aos.v1 method `service.method`, resolved; undefined when the service has no such method (an unknown service throws). */
export function protoMethod(service: string, method: string): protobuf.Method | undefined {
  const found = protoRoot().lookupService(`${PROTO_PACKAGE}.${service}`).methods[method];
  found?.resolve();
  return found;
}

/** Applies `convert` to every Timestamp field of `value`, a message of `type`, however deep. */
export function mapTimestamps(type: protobuf.Type, value: unknown, convert: (v: unknown) => unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const field of type.fieldsArray) {
    const fieldValue = out[field.name];
    const nested = field.resolve().resolvedType;
    if (fieldValue === undefined || !(nested instanceof protobuf.Type)) continue;
    const one = (v: unknown) => (nested.fullName === TIMESTAMP ? convert(v) : mapTimestamps(nested, v, convert));
    if (field.map && fieldValue && typeof fieldValue === 'object') {
      out[field.name] = Object.fromEntries(Object.entries(fieldValue).map(([k, v]) => [k, one(v)]));
    } else {
      out[field.name] = Array.isArray(fieldValue) ? fieldValue.map(one) : one(fieldValue);
    }
  }
  return out;
}

/** An RFC 3339 time as a Timestamp ({seconds, nanos}); undefined when `value` is not one. */
export function isoToTimestamp(value: string): { seconds: number; nanos: number } | undefined {
  return Number.isNaN(Date.parse(value)) ? undefined : toTimestamp(value);
}
