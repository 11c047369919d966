import type { EventStore, RecordedEvent } from '@aos/event-store';

export interface FirstEventOptions {
  /** How long to wait for it (default 20 s). */
  timeoutMs?: number;
  /** Events worth quoting when it never comes (e.g. the task's own): the timeout error lists them. */
  related?: (e: RecordedEvent) => boolean;
}

/**
 * The first event in the log, from its start, that matches; waits for it to
 * be appended. For tests that wait on what a service records.
 */
export function firstEvent(
  store: Pick<EventStore, 'subscribe'>,
  match: (e: RecordedEvent) => boolean,
  options: FirstEventOptions = {},
): Promise<RecordedEvent> {
  const { timeoutMs = 20_000, related } = options;
  return new Promise<RecordedEvent>((resolve, reject) => {
    let done = false;
    const seen: string[] = [];
    const timer = setTimeout(() => {
      done = true;
      void subscription.close();
      const context = related ? `; the related events: ${seen.join(', ') || 'none'}` : '';
      reject(new Error(`the expected event was not appended within ${timeoutMs} ms${context}`));
    }, timeoutMs);
    const subscription = store.subscribe({ after: 0 }, (e) => {
      if (done) return;
      if (related?.(e)) seen.push(`${e.stream} ${e.type} ${JSON.stringify(e.data).slice(0, 200)}`);
      if (!match(e)) return;
      done = true;
      clearTimeout(timer);
      void subscription.close();
      resolve(e);
    });
  });
}
