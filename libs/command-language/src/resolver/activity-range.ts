/** A protobuf Timestamp as the generated types and the audit service read it. */
export interface TimestampJson {
  seconds: number;
  nanos: number;
}

export interface ActivityRange {
  request: { startTime?: TimestampJson; endTime?: TimestampJson };
  /** " since 2026-12-04T00:00:00Z" etc., for the preview. */
  description: string;
}

const DAY_MS = 86_400_000;

function timestamp(ms: number): TimestampJson {
  return { seconds: Math.floor(ms / 1000), nanos: 0 };
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/**
 * The time range of "what did X do <since>", in UTC: today from midnight,
 * yesterday from midnight to midnight, this week from Monday, an ISO 8601
 * time from that instant; no `since` is the whole history. Undefined when
 * `since` is none of these.
 */
export function activityRange(since: string | undefined, now: Date): ActivityRange | undefined {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  switch (since?.trim().toLowerCase()) {
    case undefined:
      return { request: {}, description: '' };
    case 'today':
      return { request: { startTime: timestamp(midnight) }, description: ` today (since ${iso(midnight)})` };
    case 'yesterday':
      return {
        request: { startTime: timestamp(midnight - DAY_MS), endTime: timestamp(midnight) },
        description: ` yesterday (${iso(midnight - DAY_MS)} to ${iso(midnight)})`,
      };
    case 'this week': {
      const sinceMonday = (now.getUTCDay() + 6) % 7;
      const monday = midnight - sinceMonday * DAY_MS;
      return { request: { startTime: timestamp(monday) }, description: ` this week (since ${iso(monday)})` };
    }
    default: {
      const ms = Date.parse(since!);
      if (!/^\d{4}-\d{2}-\d{2}/.test(since!.trim()) || Number.isNaN(ms)) return undefined;
      return {
        request: { startTime: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 } },
        description: ` since ${iso(ms)}`,
      };
    }
  }
}
