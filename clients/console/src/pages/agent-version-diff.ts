import type { AgentVersion } from '../gen/aos/v1/agent_pb';

/** The definition fields a person edits, by their proto names (as changed_fields names them), in plain words. */
export const DEFINITION_FIELDS: { field: string; label: string; value: (v: AgentVersion) => string[] }[] = [
  { field: 'name', label: 'Name', value: (v) => [v.name] },
  { field: 'description', label: 'What it does', value: (v) => [v.description] },
  { field: 'capabilities', label: 'Capabilities', value: (v) => v.capabilities },
  { field: 'instructions', label: 'Instructions', value: (v) => [v.instructions] },
  { field: 'model', label: 'Model', value: (v) => [v.model || 'the default model'] },
  { field: 'tool_ids', label: 'Tools', value: (v) => v.toolIds },
  { field: 'knowledge_base_ids', label: 'Knowledge bases', value: (v) => v.knowledgeBaseIds },
  {
    field: 'labels',
    label: 'Labels',
    value: (v) => Object.entries(v.labels).map(([k, val]) => `${k}=${val}`),
  },
];

export function fieldLabel(field: string): string {
  return DEFINITION_FIELDS.find((f) => f.field === field)?.label ?? field;
}

export interface FieldDifference {
  label: string;
  /** The whole value in each version; for lists also what was added and removed going from `older` to `newer`. */
  older: string[];
  newer: string[];
  added: string[];
  removed: string[];
}

/** The fields whose values differ between two versions, in the order a person reads the definition. */
export function diffVersions(older: AgentVersion, newer: AgentVersion): FieldDifference[] {
  return DEFINITION_FIELDS.flatMap(({ label, value }) => {
    const a = value(older);
    const b = value(newer);
    if (a.length === b.length && a.every((x, i) => x === b[i])) return [];
    return [
      { label, older: a, newer: b, added: b.filter((x) => !a.includes(x)), removed: a.filter((x) => !b.includes(x)) },
    ];
  });
}
