import type { EventFilter, StreamRef } from '../event-store.port';

/** Every event subject starts with this; the stream binds `aos.ev.>`. */
export const SUBJECT_PREFIX = 'aos.ev';
export const ALL_EVENTS_SUBJECT = `${SUBJECT_PREFIX}.>`;

/** `aos.ev.<tenant>.<category>.<id>`: one subject per aggregate stream. Parts must be validated first. */
export function subjectFor(ref: StreamRef): string {
  return `${SUBJECT_PREFIX}.${ref.tenantId}.${ref.category}.${ref.id}`;
}

/** One filter subject (NATS 2.9 consumers take a single one), wildcarding what the filter leaves open. */
export function filterSubject(filter: EventFilter | undefined): string {
  if (filter?.tenantId === undefined && filter?.category === undefined) return ALL_EVENTS_SUBJECT;
  return `${SUBJECT_PREFIX}.${filter.tenantId ?? '*'}.${filter.category ?? '*'}.*`;
}

export interface SubjectParts {
  tenantId: string;
  category: string;
  streamId: string;
}

/** Inverse of subjectFor; null for a subject this adapter did not write. */
export function parseSubject(subject: string): SubjectParts | null {
  const parts = subject.split('.');
  if (parts.length !== 5 || parts[0] !== 'aos' || parts[1] !== 'ev') return null;
  return { tenantId: parts[2], category: parts[3], streamId: parts[4] };
}
