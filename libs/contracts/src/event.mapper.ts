import { SEALED_DATA_FIELDS, type RecordedEventEnvelope } from '@aos/domain';
import type { Event } from './gen/aos/v1/audit';
import { toTimestamp } from './timestamps';

/**
 * A recorded event as the mapper needs it: the one envelope shape of @aos/domain (not @aos/event-store's type, so that
 * the contracts library depends on no infrastructure; any store's RecordedEvent fits).
 */
export type RecordedEventLike = RecordedEventEnvelope;

/**
 * The log keeps an API key's slow hash so keys can be verified; nobody reading
 * the audit trail needs it, and a hash in a reply is an offline-guessing target.
 * One table with the tamper-evidence leaf's seals (@aos/domain's SEALED_DATA_FIELDS).
 */
const REDACTED_FIELDS = SEALED_DATA_FIELDS;

function readableData(type: string, data: unknown): unknown {
  const hidden = REDACTED_FIELDS[type];
  if (!hidden || !data || typeof data !== 'object') return data;
  const copy: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  for (const field of hidden) if (field in copy) copy[field] = '[redacted]';
  return copy;
}

/** A recorded event as the AuditService returns it: full envelope, data as a JSON document (secrets' hashes redacted). */
export function toProtoEvent(e: RecordedEventLike): Event {
  const m = e.metadata;
  return {
    id: e.id,
    type: e.type,
    stream: e.stream,
    revision: e.revision,
    position: e.position,
    time: toTimestamp(e.time),
    // JSON.stringify(undefined) is undefined, which the proto string field cannot carry.
    dataJson: JSON.stringify(readableData(e.type, e.data) ?? null),
    metadata: {
      tenantId: m.tenantId,
      actor: { kind: m.actor.kind, id: m.actor.id },
      correlationId: m.correlationId,
      causationId: m.causationId,
      requestId: m.requestId,
      traceparent: m.traceparent ?? '',
      schemaVersion: m.schemaVersion,
    },
  };
}
