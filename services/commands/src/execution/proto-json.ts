import type protobuf from 'protobufjs';
import { PROTO_LOADER_OPTIONS } from '@aos/contracts';
import { isoToTimestamp, mapTimestamps, protoMethod } from '@aos/contracts/proto-reflection';
import { InvalidArgumentError } from '@aos/errors';

/**
 * A plan's request_json holds only the fields the resolver set (command.proto
 * PlanStep.request_json); the owners' subjects take the message as the
 * gateway's @grpc/proto-loader decodes it (every default present, enums as
 * names, int64 as numbers, Timestamps as {seconds, nanos}), so a step is
 * completed through the method's .proto type before it is sent, and is then
 * exactly what a direct call of the same method would have carried. Replies
 * are kept and shown as proto3 JSON (ISO times, int64 as text), which the CLI
 * reads back through the same types.
 */

/** The gateway's PROTO_LOADER_OPTIONS, the conversion part of them (protobufjs's toObject). */
const { keepCase: _keepCase, includeDirs: _includeDirs, ...AS_THE_GATEWAY_DECODES } = PROTO_LOADER_OPTIONS;

function methodOf(service: string, method: string): protobuf.Method {
  const found = protoMethod(service, method);
  if (!found) throw new Error(`${service} has no method ${method}`);
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
  const withTimestamps = mapTimestamps(type, request, requestTimestamp) as Record<string, unknown>;
  return type.toObject(type.fromObject(withTimestamps), AS_THE_GATEWAY_DECODES);
}

/** A method's reply (as the owner answered it) in proto3 JSON. */
export function replyJson(service: string, method: string, reply: unknown): string {
  const type = responseType(service, method);
  const message = type.fromObject((reply ?? {}) as Record<string, unknown>);
  const json = type.toObject(message, { longs: String, enums: String, json: true });
  return JSON.stringify(mapTimestamps(type, json, timestampToIso));
}

function requestTimestamp(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const timestamp = isoToTimestamp(value);
  if (!timestamp) throw new InvalidArgumentError('request_json', `${JSON.stringify(value)} is not a time`);
  return timestamp;
}

function timestampToIso(value: unknown): unknown {
  const ts = value as { seconds?: unknown; nanos?: unknown } | null;
  if (!ts || typeof ts !== 'object') return value;
  const ms = Number(ts.seconds ?? 0) * 1000 + Math.floor(Number(ts.nanos ?? 0) / 1_000_000);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : value;
}
