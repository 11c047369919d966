/** The kinds of things that have names unique per tenant, as error messages and help texts call them. */
export type NamedKind = 'agent' | 'tool' | 'knowledge base' | 'principal';

/** How a name is printed beside its id: `billing-helper (09d75c1d…)`; the id alone when there is no name. */
export function nameBesideId(name: string | undefined, id: string): string {
  return name ? `${name} (${id.slice(0, 8)}…)` : id;
}

/** What a view prints for an id of a kind: `name (09d75c1d…)`, or the id. */
export type IdLabels = (kind: NamedKind, id: string) => string;

/** For views called where no names were looked up (and in tests): every id as it is. */
export const idsAsTheyAre: IdLabels = (_kind, id) => id;
