// The subpath: the package root loads NestJS, which `aos --help` should not pay for.
import { PROTO_LOADER_OPTIONS } from '@aos/contracts/proto-files';

/**
 * A step's reply arrives as proto3 JSON (int64 as strings, Timestamps as ISO
 * text, default values left out); the views were written for what a direct
 * call returns (proto-loader's objects: every default present, int64 as
 * numbers, Timestamps as {seconds, nanos}). Going through the .proto type of
 * the method's reply makes the first into the second, so a read step prints
 * exactly as the dedicated command prints the same reply.
 */
const { keepCase: _keepCase, includeDirs: _includeDirs, ...AS_A_DIRECT_CALL_RETURNS } = PROTO_LOADER_OPTIONS;

/**
 * The reply of `service.method` given as proto3 JSON, as a direct call of the
 * method returns it; undefined when the text is not such a reply (the log
 * keeps a long reply cut short, which is no longer JSON).
 */
export async function decodeStepReply(service: string, method: string, json: string): Promise<unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  // Loaded on first use only: most `aos` commands never print a step's reply.
  const { isoToTimestamp, mapTimestamps, protoMethod } = await import('@aos/contracts/proto-reflection');
  try {
    const type = protoMethod(service, method)?.resolvedResponseType;
    if (!type) return undefined;
    const timestamps = mapTimestamps(type, parsed, (v) => (typeof v === 'string' ? (isoToTimestamp(v) ?? v) : v));
    return type.toObject(type.fromObject(timestamps as Record<string, unknown>), AS_A_DIRECT_CALL_RETURNS);
  } catch {
    return undefined;
  }
}
