import type { Timestamp } from './gen/google/protobuf/timestamp';

/** ISO-8601 → google.protobuf.Timestamp as @grpc/proto-loader encodes it. */
export function toTimestamp(iso: string): Timestamp {
  const ms = Date.parse(iso);
  // nanos is never negative, also before 1970 (a Timestamp counts them forward from `seconds`).
  return { seconds: Math.floor(ms / 1000), nanos: (((ms % 1000) + 1000) % 1000) * 1_000_000 };
}

export function fromTimestamp(ts: Timestamp): Date {
  return new Date(Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1_000_000));
}
