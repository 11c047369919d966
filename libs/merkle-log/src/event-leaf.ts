import canonicalize from 'canonicalize';
import type { RecordedEventEnvelope } from '@aos/domain';
import { leafHash } from './hash';

/**
 * The recorded event as the log stores it: @aos/domain's envelope (structurally @aos/event-store's RecordedEvent,
 * which this domain library may not import) with the stream's category and id.
 */
export interface LoggedEvent extends RecordedEventEnvelope {
  category: string;
  streamId: string;
}

/**
 * The leaf input of an event: the UTF-8 bytes of the canonical JSON (RFC 8785)
 * of exactly these fields, each as recorded:
 *
 *   id, type, stream, category, streamId, revision, position, time, data, metadata
 *
 * (metadata whole: tenantId, actor, correlationId, causationId, requestId,
 * traceparent when present, schemaVersion). The log position and the stream
 * revision are hashed so that moving an event (reordering two, or inserting one
 * before others) changes its leaf even when its content does not; the time,
 * tenant and actor so that who-did-what-when cannot be rewritten. The fields are
 * named rather than taken from the object as a whole, so that a reader's
 * decoration of an event never changes its leaf; a new envelope field needs a
 * new leaf format. Throws when data holds what JSON cannot (NaN, a BigInt).
 */
export function eventLeafInput(event: LoggedEvent): Buffer {
  const m = event.metadata;
  const canonical = canonicalize({
    id: event.id,
    type: event.type,
    stream: event.stream,
    category: event.category,
    streamId: event.streamId,
    revision: event.revision,
    position: event.position,
    time: event.time,
    data: event.data,
    metadata: {
      tenantId: m.tenantId,
      actor: { kind: m.actor.kind, id: m.actor.id },
      correlationId: m.correlationId,
      causationId: m.causationId,
      requestId: m.requestId,
      traceparent: m.traceparent,
      schemaVersion: m.schemaVersion,
    },
  });
  if (canonical === undefined) throw new TypeError(`event ${event.id} has no canonical JSON`);
  return Buffer.from(canonical, 'utf8');
}

/** The leaf hash of an event: leafHash(eventLeafInput(event)). */
export function eventLeaf(event: LoggedEvent): Buffer {
  return leafHash(eventLeafInput(event));
}
