import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';

export const THROUGHPUT_HOURS = 12;
const HOUR_MS = 3_600_000;

export interface FinishedTask {
  state: 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  updateTime?: Timestamp;
}

export interface ThroughputHour {
  hour: string;
  SUCCEEDED: number;
  FAILED: number;
  CANCELLED: number;
}

/**
 * Finished tasks per clock hour over the last 12 hours, the current hour last.
 * A finished task is never updated again, so its update time is when it ended.
 */
export function throughputByHour(finished: readonly FinishedTask[], now: Date): ThroughputHour[] {
  const currentHour = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
  const first = currentHour - (THROUGHPUT_HOURS - 1) * HOUR_MS;
  const hours: ThroughputHour[] = Array.from({ length: THROUGHPUT_HOURS }, (_, i) => ({
    hour: new Date(first + i * HOUR_MS).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
    SUCCEEDED: 0,
    FAILED: 0,
    CANCELLED: 0,
  }));
  for (const task of finished) {
    if (!task.updateTime) continue;
    const index = Math.floor((timestampDate(task.updateTime).getTime() - first) / HOUR_MS);
    if (index >= 0 && index < THROUGHPUT_HOURS) hours[index][task.state] += 1;
  }
  return hours;
}
