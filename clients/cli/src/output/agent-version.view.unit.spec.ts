import { describe, expect, it } from 'vitest';
import type { AgentVersion } from '@aos/contracts';
import { describeVersionChange, renderAgentVersionTable } from './agent-version.view';

function version(definitionVersion: number, fields: Partial<AgentVersion> = {}): AgentVersion {
  return {
    definitionVersion,
    name: 'bot',
    description: '',
    capabilities: [],
    instructions: '',
    model: 'm',
    toolIds: [],
    knowledgeBaseIds: [],
    labels: {},
    createdBy: 'p-1',
    logPosition: definitionVersion,
    changedFields: [],
    rolledBackTo: 0,
    ...fields,
  };
}

describe('describeVersionChange', () => {
  it('says a reordered list is reordered and shows label edits key by key', () => {
    const before = version(1, { toolIds: ['a', 'b'], labels: { env: 'dev', team: 'x' } });
    const after = version(2, {
      toolIds: ['b', 'a'],
      labels: { env: 'prod', owner: 'me' },
      changedFields: ['tool_ids', 'labels'],
    });
    expect(describeVersionChange(after, before, (kind, id) => `${kind}:${id}`)).toBe(
      'tools reordered; labels env=dev→prod +owner=me -team',
    );
  });

  it('shows a long or multi-line text by its length, tools by their labels', () => {
    const before = version(1, { description: 'short' });
    const after = version(2, {
      description: 'line one\nline two',
      toolIds: ['t'],
      changedFields: ['description', 'tool_ids'],
    });
    expect(describeVersionChange(after, before, (_kind, id) => `${id}-name`)).toBe(
      'description (5 → 17 chars); tools +t-name',
    );
  });

  it('diffs a row against the row below only when that is the version just before', () => {
    const table = renderAgentVersionTable([
      version(5, { model: 'b', changedFields: ['model'], rolledBackTo: 2 }),
      version(3, { model: 'a' }),
    ]);
    expect(table).toMatch(/v5 .* rollback to v2: model\n/);
  });
});
