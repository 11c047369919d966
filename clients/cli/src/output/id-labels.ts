import { subjectRef, type NamedKind } from '@aos/domain';

export { looksLikeId, nameBesideId, subjectRef, subjectRefs, type NamedKind } from '@aos/domain';

/** What a view prints for an id of a kind: `name (09d75c1d…)`, or the id. */
export type IdLabels = (kind: NamedKind, id: string) => string;

/** For views called where no names were looked up (and in tests): every id as it is. */
export const idsAsTheyAre: IdLabels = (_kind, id) => id;

/** `user:alice (6f1c0c3e…)` for `user:<id>`; a subject with no name to show as it is. */
export function labelSubject(subject: string, labels: IdLabels): string {
  const ref = subjectRef(subject);
  return ref ? `${subject.slice(0, subject.indexOf(':'))}:${labels(...ref)}` : subject;
}
