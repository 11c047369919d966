/** The kinds of things that have names unique per tenant, as error messages and help texts call them. */
export type NamedKind = 'agent' | 'tool' | 'knowledge base' | 'principal';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs: an argument shaped like one is taken as an id, without a call (a name wins only otherwise). */
export function looksLikeId(ref: string): boolean {
  return UUID.test(ref);
}

/** How a name is printed beside its id: `billing-helper (09d75c1d…)`; the id alone when there is no name. */
export function nameBesideId(name: string | undefined, id: string): string {
  return name ? `${name} (${id.slice(0, 8)}…)` : id;
}

/** What a view prints for an id of a kind: `name (09d75c1d…)`, or the id. */
export type IdLabels = (kind: NamedKind, id: string) => string;

/** For views called where no names were looked up (and in tests): every id as it is. */
export const idsAsTheyAre: IdLabels = (_kind, id) => id;

/** Users and services are principals, agents themselves; groups, roles and the system have no name to show. */
const NAMED_SUBJECT_KINDS = new Map<string, NamedKind>([
  ['user', 'principal'],
  ['service', 'principal'],
  ['agent', 'agent'],
]);

/**
 * The named thing a subject (`user:<id>`, `agent:<id>`, …) or actor is. An
 * OIDC caller without a principal (`user:oidc:<sub>`) has no name to ask for.
 */
export function subjectRef(subject: string): [NamedKind, string] | undefined {
  const colon = subject.indexOf(':');
  const kind = NAMED_SUBJECT_KINDS.get(subject.slice(0, colon));
  const id = subject.slice(colon + 1);
  return colon > 0 && kind && id && !id.startsWith('oidc:') ? [kind, id] : undefined;
}

/** The named things among `subjects`, for NameRefs.labels. */
export function subjectRefs(subjects: Iterable<string>): [NamedKind, string][] {
  return [...subjects].map(subjectRef).filter((ref) => ref !== undefined);
}

/** `user:alice (6f1c0c3e…)` for `user:<id>`; a subject with no name to show as it is. */
export function labelSubject(subject: string, labels: IdLabels): string {
  const ref = subjectRef(subject);
  return ref ? `${subject.slice(0, subject.indexOf(':'))}:${labels(...ref)}` : subject;
}
