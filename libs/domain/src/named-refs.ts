/**
 * Which ids name things that have names, shared by every client that prints
 * `name (09d75c1d…)` beside an id (the CLI and the console), so both read a
 * subject or a task step's data the same way.
 */

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

/** The named things among `subjects`. */
export function subjectRefs(subjects: Iterable<string>): [NamedKind, string][] {
  return [...subjects].map(subjectRef).filter((ref) => ref !== undefined);
}

/**
 * The ids a task step's data holds, by the kind of thing each names: its
 * summary prints them, and a client prints their names beside them. A field
 * may hold a subject (`user:<id>`) or a list of ids.
 */
const STEP_REFS: Readonly<Record<string, readonly (readonly [field: string, kind: NamedKind])[]>> = {
  TaskSubmitted: [
    ['submittedBy', 'principal'],
    ['requestedAgentId', 'agent'],
  ],
  TaskRouted: [['agentId', 'agent']],
  TaskReassigned: [
    ['reassignedBy', 'principal'],
    ['fromAgentId', 'agent'],
    ['toAgentId', 'agent'],
  ],
  TaskStarted: [['agentId', 'agent']],
  TaskWaitingApproval: [['toolId', 'tool']],
  TaskCancelled: [['cancelledBy', 'principal']],
  KnowledgeSearched: [['knowledgeBaseIds', 'knowledge base']],
  DirectToolCalled: [['principal', 'principal']],
  ApprovalAwaited: [['toolId', 'tool']],
  ApprovalReceived: [['decidedBy', 'principal']],
};

/** What the ids in a task step's summary name, read from the step's recorded data (TaskStep.data_json). */
export function taskStepRefs(step: { readonly type: string; readonly dataJson: string }): [NamedKind, string][] {
  const fields = STEP_REFS[step.type];
  if (!fields) return [];
  let data: Record<string, unknown>;
  try {
    data = (JSON.parse(step.dataJson) ?? {}) as Record<string, unknown>;
  } catch {
    return [];
  }
  return fields.flatMap(([field, kind]) => {
    const value = data[field];
    return (Array.isArray(value) ? value : [value])
      .filter((v): v is string => typeof v === 'string' && v !== '')
      .map((v): [NamedKind, string] => [kind, v.slice(v.indexOf(':') + 1)]);
  });
}
