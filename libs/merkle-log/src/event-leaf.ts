import { createHash } from 'node:crypto';
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
 * The object a leaf hashes (audit.proto's tamper-evidence section): a logged
 * event's own shape, holding exactly its envelope fields, with secrets sealed.
 */
export type SealedEvent = LoggedEvent;

/** The seal of a secret value: `{"sealed": "sha256:<hex>"}`, the SHA-256 of its canonical JSON. */
export function sealValue(value: unknown): { sealed: string } {
  const canonical = canonicalize(value ?? null);
  if (canonical === undefined) throw new TypeError('a sealed value has no canonical JSON');
  return { sealed: `sha256:${createHash('sha256').update(canonical, 'utf8').digest('hex')}` };
}

/**
 * The sealed event: exactly these fields, each as recorded (a reader's
 * decoration of an event never changes its leaf; a new envelope field needs a
 * new leaf format):
 *
 *   id, type, stream, category, streamId, revision, position, time, data, metadata
 *
 * metadata whole: tenantId, actor, correlationId, causationId, requestId,
 * traceparent when present, schemaVersion. The log position and the stream
 * revision are in it so that moving an event (reordering two, or inserting one
 * before others) changes its leaf even when its content does not; the time,
 * tenant and actor so that who-did-what-when cannot be rewritten. The data
 * fields `sealedFields[type]` names (when present) are replaced by their seal.
 */
export function sealedEvent(
  event: LoggedEvent,
  sealedFields: Readonly<Record<string, readonly string[]>> = {},
): SealedEvent {
  // A record altered into a shape without metadata or actor still has a leaf (one no signer gave it), not a crash.
  const m = (event.metadata ?? {}) as Partial<LoggedEvent['metadata']>;
  const actor = (m.actor ?? {}) as Partial<LoggedEvent['metadata']['actor']>;
  let data = event.data;
  const hidden = sealedFields[event.type];
  if (hidden && data && typeof data === 'object' && !Array.isArray(data)) {
    const copy: Record<string, unknown> = { ...(data as Record<string, unknown>) };
    for (const field of hidden) if (field in copy) copy[field] = sealValue(copy[field]);
    data = copy;
  }
  const metadata = {
    tenantId: m.tenantId,
    actor: { kind: actor.kind, id: actor.id },
    correlationId: m.correlationId,
    causationId: m.causationId,
    requestId: m.requestId,
    schemaVersion: m.schemaVersion,
  } as SealedEvent['metadata'];
  if (m.traceparent !== undefined) metadata.traceparent = m.traceparent;
  return {
    id: event.id,
    type: event.type,
    stream: event.stream,
    category: event.category,
    streamId: event.streamId,
    revision: event.revision,
    position: event.position,
    time: event.time,
    data,
    metadata,
  };
}

/**
 * A leaf's input: the UTF-8 bytes of the canonical JSON (RFC 8785) of a sealed
 * event (or of whatever object a bundle holds in its place: a verifier hashes
 * what it was given). Throws when it holds what JSON cannot (NaN, a BigInt).
 */
export function sealedLeafInput(sealed: unknown): Buffer {
  const canonical = canonicalize(sealed);
  if (canonical === undefined) throw new TypeError('the event has no canonical JSON');
  return Buffer.from(canonical, 'utf8');
}

/** The leaf input of a recorded event: sealedLeafInput(sealedEvent(event, sealedFields)). */
export function eventLeafInput(
  event: LoggedEvent,
  sealedFields: Readonly<Record<string, readonly string[]>> = {},
): Buffer {
  return sealedLeafInput(sealedEvent(event, sealedFields));
}

/** The leaf hash of a recorded event: leafHash(eventLeafInput(event, sealedFields)). */
export function eventLeaf(event: LoggedEvent, sealedFields: Readonly<Record<string, readonly string[]>> = {}): Buffer {
  return leafHash(eventLeafInput(event, sealedFields));
}
