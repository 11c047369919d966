import type { AgentVersion } from '@aos/contracts';
import { renderTable, type Column } from './table';
import { idsAsTheyAre, type IdLabels, type NamedKind } from './id-labels';
import { formatTimestamp } from './values';

/** A short value is shown before → after; longer text only by its length. */
const SHORT_VALUE = 32;

type ListField = 'capabilities' | 'toolIds' | 'knowledgeBaseIds';

/** Proto field name (as changed_fields names it) → how the column says what changed. */
const FIELD_DIFFS: Record<string, (before: AgentVersion, after: AgentVersion, labels: IdLabels) => string> = {
  name: (b, a) => `name ${textChange(b.name, a.name)}`,
  model: (b, a) => `model ${textChange(b.model, a.model)}`,
  description: (b, a) => `description ${textChange(b.description, a.description)}`,
  instructions: (b, a) => `instructions ${textChange(b.instructions, a.instructions)}`,
  capabilities: (b, a) => `capabilities ${listChange(b, a, 'capabilities', (v) => v)}`,
  tool_ids: (b, a, labels) => `tools ${listChange(b, a, 'toolIds', (id) => labels('tool', id))}`,
  knowledge_base_ids: (b, a, labels) =>
    `knowledge bases ${listChange(b, a, 'knowledgeBaseIds', (id) => labels('knowledge base', id))}`,
  labels: (b, a) => `labels ${labelChange(b.labels, a.labels)}`,
};

function textChange(before: string, after: string): string {
  const short = [...before].length <= SHORT_VALUE && [...after].length <= SHORT_VALUE && !/\n/.test(before + after);
  return short
    ? `${JSON.stringify(before)} → ${JSON.stringify(after)}`
    : `(${[...before].length} → ${[...after].length} chars)`;
}

/** `+added -removed`; the same entries in another order (order is part of the definition) say so. */
function listChange(before: AgentVersion, after: AgentVersion, field: ListField, show: (v: string) => string): string {
  const [b, a] = [before[field], after[field]];
  const parts = [
    ...a.filter((v) => !b.includes(v)).map((v) => `+${show(v)}`),
    ...b.filter((v) => !a.includes(v)).map((v) => `-${show(v)}`),
  ];
  return parts.length > 0 ? parts.join(' ') : 'reordered';
}

function labelChange(before: Record<string, string>, after: Record<string, string>): string {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys
    .flatMap((key) => {
      if (!(key in before)) return [`+${key}=${after[key]}`];
      if (!(key in after)) return [`-${key}`];
      return before[key] === after[key] ? [] : [`${key}=${before[key]}→${after[key]}`];
    })
    .join(' ');
}

/**
 * What changed from the version before, as a compact diff. `previous` is
 * undefined when that version is not at hand (the next page): then the
 * changed fields are named only.
 */
export function describeVersionChange(
  version: AgentVersion,
  previous: AgentVersion | undefined,
  labels: IdLabels = idsAsTheyAre,
): string {
  if (version.definitionVersion === 1) return 'created';
  const changes = previous
    ? version.changedFields.map((field) => FIELD_DIFFS[field]?.(previous, version, labels) ?? field)
    : version.changedFields;
  const rollback = version.rolledBackTo ? `rollback to v${version.rolledBackTo}: ` : '';
  return rollback + changes.join('; ');
}

/** The ids a version table prints with names beside them: who made each version, its tools and knowledge bases. */
export function versionRefs(versions: readonly AgentVersion[]): [NamedKind, string][] {
  return [
    ...versions.map((v): [NamedKind, string] => ['principal', v.createdBy]),
    ...versions.flatMap((v) => v.toolIds.map((tool): [NamedKind, string] => ['tool', tool])),
    ...versions.flatMap((v) => v.knowledgeBaseIds.map((kb): [NamedKind, string] => ['knowledge base', kb])),
  ];
}

/** Newest first, as ListAgentVersions returns them; each row's diff is against the row below it. */
export function renderAgentVersionTable(versions: readonly AgentVersion[], labels: IdLabels = idsAsTheyAre): string {
  if (versions.length === 0) return 'No versions found.\n';
  const previousOf = new Map(versions.map((v, i) => [v, versions[i + 1]]));
  const columns: Column<AgentVersion>[] = [
    { header: 'VERSION', value: (v) => `v${v.definitionVersion}`, align: 'right' },
    { header: 'TIME', value: (v) => formatTimestamp(v.createTime) },
    { header: 'BY', value: (v) => labels('principal', v.createdBy), maxWidth: 40 },
    {
      header: 'CHANGES',
      value: (v) => {
        const previous = previousOf.get(v);
        const adjacent = previous?.definitionVersion === v.definitionVersion - 1 ? previous : undefined;
        return describeVersionChange(v, adjacent, labels);
      },
      maxWidth: 120,
    },
  ];
  return renderTable(columns, versions);
}
