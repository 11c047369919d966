import { describe, expect, it } from 'vitest';
import type { AgentDefinition } from '@aos/domain';
import { AgentVersionHistory, type AgentVersionRecord } from './agent-versions.history';

const v1: AgentDefinition = {
  name: 'bot',
  description: 'd',
  capabilities: ['billing'],
  instructions: 'x'.repeat(10_000),
  model: 'a',
  toolIds: [],
  knowledgeBaseIds: [],
  labels: { team: 'a' },
};

function version(definitionVersion: number, definition: AgentDefinition): AgentVersionRecord {
  return {
    definitionVersion,
    definition,
    time: '2025-01-01T00:00:00.000Z',
    actorId: 'alice',
    logPosition: definitionVersion,
    changedFields: [],
    rolledBackTo: undefined,
  };
}

/** A definition as a parsed event makes it: equal values, but objects of its own. */
const copied = (d: AgentDefinition): AgentDefinition => JSON.parse(JSON.stringify(d)) as AgentDefinition;

describe('AgentVersionHistory', () => {
  it("keeps an unchanged field as the previous version's own value, not the event's copy", () => {
    const history = new AgentVersionHistory();
    history.add('t', 'a1', version(1, v1));
    const next = copied({ ...v1, model: 'b' });
    const stored = history.add('t', 'a1', version(2, next));
    expect(stored).toEqual(next);
    expect(stored.capabilities).toBe(v1.capabilities);
    expect(stored.labels).toBe(v1.labels);
    expect(stored.model).toBe('b');
    expect(history.definition('t', 'a1', 1)).toBe(v1);
  });

  it('ignores a redelivered version and refuses a gap', () => {
    const history = new AgentVersionHistory();
    history.add('t', 'a1', version(1, v1));
    expect(history.add('t', 'a1', version(1, copied({ ...v1, model: 'other' })))).toBe(v1);
    expect(() => history.add('t', 'a1', version(3, v1))).toThrow('definition version 3 follows version 1');
  });

  it('pages newest first, ending a page at the byte budget but never empty', () => {
    const history = new AgentVersionHistory();
    for (let n = 1; n <= 5; n += 1) history.add('t', 'a1', version(n, { ...v1, model: `m${n}` }));
    const budget = { maxBytes: 25, sizeOf: () => 10 };
    const first = history.page('t', 'a1', 0, 10, budget);
    expect(first.records.map((r) => r.definitionVersion)).toEqual([5, 4]);
    expect(first.nextBeforeVersion).toBe(4);
    const last = history.page('t', 'a1', 2, 10, { maxBytes: 1, sizeOf: () => 10 });
    expect(last.records.map((r) => r.definitionVersion)).toEqual([1]);
    expect(last.nextBeforeVersion).toBeUndefined();
    expect(history.page('t', 'other', 0, 10, budget)).toEqual({
      records: [],
      totalSize: 0,
      nextBeforeVersion: undefined,
    });
    expect(history.definition('other-tenant', 'a1', 1)).toBeUndefined();
  });
});
