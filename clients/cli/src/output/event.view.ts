import type { Event } from '@aos/contracts';
import { renderTable, StreamingTable, type StreamColumn } from './table';
import { formatTimestamp } from './values';

function formatActor(event: Event): string {
  const actor = event.metadata?.actor;
  return actor ? `${actor.kind}:${actor.id}` : '';
}

// Widths fit the common case (ISO time, "agent-<uuid>") so streamed rows line up.
const EVENT_COLUMNS: StreamColumn<Event>[] = [
  { header: 'POSITION', value: (e) => String(e.position), align: 'right', width: 8 },
  { header: 'TIME', value: (e) => formatTimestamp(e.time), width: 24 },
  { header: 'TYPE', value: (e) => e.type, width: 20 },
  { header: 'STREAM', value: (e) => e.stream, width: 42 },
  { header: 'ACTOR', value: formatActor, width: 0 },
];

export function renderEventTable(events: readonly Event[]): string {
  return events.length === 0 ? 'No events found.\n' : renderTable(EVENT_COLUMNS, events);
}

export function eventStreamTable(): StreamingTable<Event> {
  return new StreamingTable(EVENT_COLUMNS);
}
