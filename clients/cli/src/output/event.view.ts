import type { Event } from '@aos/contracts';
import { idsAsTheyAre, labelSubject, subjectRef, type IdLabels, type NamedKind } from './id-labels';
import { renderTable, StreamingTable, type StreamColumn } from './table';
import { formatTimestamp } from './values';

function actorSubject(event: Event): string | undefined {
  const actor = event.metadata?.actor;
  return actor ? `${actor.kind}:${actor.id}` : undefined;
}

/** The named thing an event's actor is, if any. */
export function actorRef(event: Event): [NamedKind, string] | undefined {
  const subject = actorSubject(event);
  return subject ? subjectRef(subject) : undefined;
}

function formatActor({ event, labels }: LabelledEvent): string {
  const subject = actorSubject(event);
  return subject ? labelSubject(subject, labels) : '';
}

/** An event with the names of the ids it shows. */
export interface LabelledEvent {
  event: Event;
  labels: IdLabels;
}

// Widths fit the common case (ISO time, "agent-<uuid>") so streamed rows line up.
const EVENT_COLUMNS: StreamColumn<LabelledEvent>[] = [
  { header: 'POSITION', value: ({ event }) => String(event.position), align: 'right', width: 8 },
  { header: 'TIME', value: ({ event }) => formatTimestamp(event.time), width: 24 },
  { header: 'TYPE', value: ({ event }) => event.type, width: 20 },
  { header: 'STREAM', value: ({ event }) => event.stream, width: 42 },
  { header: 'ACTOR', value: formatActor, width: 0 },
];

/** `labels` prints each actor's name beside its id. */
export function renderEventTable(events: readonly Event[], labels: IdLabels = idsAsTheyAre): string {
  return events.length === 0
    ? 'No events found.\n'
    : renderTable(
        EVENT_COLUMNS,
        events.map((event) => ({ event, labels })),
      );
}

export function eventStreamTable(): StreamingTable<LabelledEvent> {
  return new StreamingTable(EVENT_COLUMNS);
}
