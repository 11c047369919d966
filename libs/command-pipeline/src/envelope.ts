import type { NewEvent } from '@aos/event-store';
import type { RequestContext } from '@aos/messaging';

/**
 * Decided events in their envelope: the request's metadata (tenant, actor,
 * correlation, causation, request_id, traceparent) and ids from `idOf`, which
 * derives them from the request so that a retried append is stored once.
 */
export function envelop(
  ctx: RequestContext,
  tenantId: string,
  requestId: string,
  schemaVersion: number,
  events: readonly { type: string; data: unknown }[],
  idOf: (index: number) => string,
): NewEvent[] {
  const metadata = {
    tenantId,
    actor: ctx.actor,
    correlationId: ctx.correlationId,
    causationId: requestId,
    requestId,
    schemaVersion,
    ...(ctx.traceparent ? { traceparent: ctx.traceparent } : {}),
  };
  return events.map((event, i) => ({ id: idOf(i), type: event.type, data: event.data, metadata }));
}
