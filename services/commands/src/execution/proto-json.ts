import { join } from 'node:path';
import protobuf from 'protobufjs';
import { PROTO_FILES, PROTO_LOADER_OPTIONS, PROTO_PACKAGE, PROTO_ROOT } from '@aos/contracts';
import { InvalidArgumentError } from '@aos/errors';

/**
 * A plan's requests are proto3 JSON (what a person reads and the digest
 * binds); the owners' subjects take the message as the gateway's
 * @grpc/proto-loader decodes it (camelCase, int64 as number, enums as names,
 * every default present, Timestamps as {seconds, nanos}). Both conversions go
 * through the .proto files' own types, so a step's body is exactly what a
 * direct call of the same method would have carried.
 */
const TIMESTAMP = '.google.protobuf.Timestamp';
/** The gateway's PROTO_LOADER_OPTIONS, the conversion part of them (protobufjs's toObject). */
const { keepCase: _keepCase, includeDirs: _includeDirs, ...AS_THE_GATEWAY_DECODES } = PROTO_LOADER_OPTIONS;

let root: protobuf.Root | undefined;

function protos(): protobuf.Root {
  if (root) return root;
  const loaded = new protobuf.Root();
  // google/protobuf/* are the copies protobufjs bundles, as for the gateway.
  loaded.resolvePath = (_origin, target) =>
    target.startsWith('/') || target.startsWith('google/') ? target : join(PROTO_ROOT, target);
  loaded.loadSync(
    PROTO_FILES.map((file) => join(PROTO_ROOT, file)),
    { keepCase: false },
  );
  loaded.resolveAll();
  return (root = loaded);
}

function methodOf(service: string, method: string): protobuf.Method {
  const found = protos().lookupService(`${PROTO_PACKAGE}.${service}`).methods[method];
  if (!found) throw new Error(`${service} has no method ${method}`);
  found.resolve();
  return found;
}

const requestType = (service: string, method: string) => methodOf(service, method).resolvedRequestType!;
const responseType = (service: string, method: string) => methodOf(service, method).resolvedResponseType!;

/** Whether the method's request has a request_id (a mutation: Execute derives one per step). */
export function takesRequestId(service: string, method: string): boolean {
  return requestType(service, method).fields.requestId !== undefined;
}

/** A step's proto3 JSON request as the owner's subject receives it from the gateway. */
export function wireRequest(
  service: string,
  method: string,
  request: Record<string, unknown>,
): Record<string, unknown> {
  const type = requestType(service, method);
  const withTimestamps = mapTimestamps(type, request, isoToTimestamp) as Record<string, unknown>;
  return type.toObject(type.fromObject(withTimestamps), AS_THE_GATEWAY_DECODES);
}

/** A method's reply (as the owner answered it) in proto3 JSON. */
export function replyJson(service: string, method: string, reply: unknown): string {
  const type = responseType(service, method);
  const message = type.fromObject((reply ?? {}) as Record<string, unknown>);
  const json = type.toObject(message, { longs: String, enums: String, json: true });
  return JSON.stringify(mapTimestamps(type, json, timestampToIso));
}

/** Applies `convert` to every Timestamp field of `value`, a message of `type`, however deep. */
function mapTimestamps(type: protobuf.Type, value: unknown, convert: (v: unknown) => unknown): unknown {
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

function isoToTimestamp(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError('request_json', `${JSON.stringify(value)} is not a time`);
  return { seconds: Math.floor(ms / 1000), nanos: (((ms % 1000) + 1000) % 1000) * 1_000_000 };
}

function timestampToIso(value: unknown): unknown {
  const ts = value as { seconds?: unknown; nanos?: unknown } | null;
  if (!ts || typeof ts !== 'object') return value;
  const ms = Number(ts.seconds ?? 0) * 1000 + Math.floor(Number(ts.nanos ?? 0) / 1_000_000);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : value;
}
