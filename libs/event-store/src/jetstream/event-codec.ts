import type { JsMsg } from '@nats-io/jetstream';
import { MalformedEventError } from '../errors';
import type { EventMetadata, NewEvent, RecordedEvent } from '../event-store.port';
import { parseSubject } from './subjects';

/**
 * The stored message body: one JSON document, readable with `nats stream get`. The revision
 * is in the body (as well as in the Aos-Revision header) because decoding NATS headers costs
 * more than the JSON parse itself, and replay speed is what projections live on.
 */
export interface StoredEventBody {
  id: string;
  type: string;
  revision: number;
  data: unknown;
  metadata: EventMetadata;
}

export const REVISION_HEADER = 'Aos-Revision';

const utf8 = new TextDecoder();

export function encodeEvent(event: NewEvent, revision: number): string {
  const body: StoredEventBody = {
    id: event.id,
    type: event.type,
    revision,
    data: event.data,
    metadata: event.metadata,
  };
  return JSON.stringify(body);
}

/** Decodes a consumer delivery: one JSON.parse, no header parsing. */
export function decodeEventMessage(msg: JsMsg): RecordedEvent {
  const info = msg.info;
  const subject = parseSubject(msg.subject);
  if (!subject) throw new MalformedEventError(msg.subject, info.streamSequence, 'unexpected subject');
  let body: StoredEventBody;
  try {
    body = JSON.parse(utf8.decode(msg.data)) as StoredEventBody;
  } catch (err) {
    throw new MalformedEventError(msg.subject, info.streamSequence, 'body is not JSON', { cause: err });
  }
  if (typeof body?.id !== 'string' || typeof body.revision !== 'number') {
    throw new MalformedEventError(msg.subject, info.streamSequence, 'no id or revision');
  }
  return {
    id: body.id,
    type: body.type,
    data: body.data,
    metadata: body.metadata,
    stream: `${subject.category}-${subject.streamId}`,
    category: subject.category,
    streamId: subject.streamId,
    revision: body.revision,
    position: info.streamSequence,
    time: new Date(info.timestampNanos / 1e6).toISOString(),
  };
}
