import { useEffect, useState } from 'react';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { audit } from '../api/transport';
import { errorWords, isStatus } from '../api/error-words';
import type { Event } from '../gen/aos/v1/audit_pb';
import type { AuditFilters } from './audit-link';

const RESUME_DELAY_MS = 1000;

/** Whether a followed event belongs in the filtered timeline: ReplayEvents filters by nothing the page offers. */
export function matchesAuditFilters(event: Event, filters: AuditFilters): boolean {
  if (filters.type && event.type !== filters.type) return false;
  if (filters.actorId && event.metadata?.actor?.id !== filters.actorId) return false;
  if (filters.stream && event.stream !== filters.stream) return false;
  const time = event.time ? timestampDate(event.time).getTime() : undefined;
  if (filters.from && (time === undefined || time < new Date(filters.from).getTime())) return false;
  if (filters.to && (time === undefined || time >= new Date(filters.to).getTime())) return false;
  return true;
}

/**
 * Follows the log after `afterPosition` with ReplayEvents, newest first;
 * nothing while it is undefined. The caller starts it at the head of the
 * log (ListEvents' head_position), so only new events come. The last
 * position seen survives a dropped stream, so the resumed stream starts
 * right after it: nothing is shown twice and nothing is skipped. A refusal
 * (no audit.replay, a session that ended) stops the follow and says so.
 */
export function useLiveAuditEvents(
  afterPosition: bigint | undefined,
  filters: AuditFilters,
): { events: Event[]; error: string | null } {
  const [events, setEvents] = useState<Event[]>([]);
  const [error, setError] = useState<string | null>(null);
  const filterKey = JSON.stringify(filters);
  useEffect(() => {
    setEvents([]);
    setError(null);
    if (afterPosition === undefined) return;
    const controller = new AbortController();
    const wanted = JSON.parse(filterKey) as AuditFilters;
    let last = afterPosition;
    void (async () => {
      while (!controller.signal.aborted) {
        try {
          for await (const event of audit.replayEvents(
            { afterPosition: last, follow: true },
            { signal: controller.signal },
          )) {
            if (event.position <= last) continue;
            last = event.position;
            setError(null);
            if (matchesAuditFilters(event, wanted)) setEvents((shown) => [event, ...shown]);
          }
        } catch (err) {
          if (controller.signal.aborted) return;
          if ([Code.PermissionDenied, Code.Unauthenticated].some((c) => isStatus(err, c))) {
            setError(`Live follow stopped: ${errorWords(err)}`);
            return;
          }
          setError(`Live follow interrupted, resuming after position ${last}: ${errorWords(err)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, RESUME_DELAY_MS));
      }
    })();
    return () => controller.abort();
  }, [afterPosition, filterKey]);
  return { events, error };
}
