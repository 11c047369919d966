import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';

export function timeText(ts: Timestamp | undefined): string {
  return ts ? timestampDate(ts).toLocaleString() : '—';
}
