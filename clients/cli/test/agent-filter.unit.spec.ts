import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from 'commander';
import { buildAgentFilter } from '../src/commands/agent-filter';
import { definitionFromFlags } from '../src/commands/agents.command';
import {
  collectLabel,
  parseAgentState,
  parseHealthStatus,
  parseIsoTime,
  parseNonNegativeInt,
} from '../src/commands/option-parsers';

describe('buildAgentFilter', () => {
  it('joins state, capabilities and labels with AND, quoting the values', () => {
    const filter = buildAgentFilter({
      state: 'ACTIVE',
      capability: ['billing', 'refunds'],
      label: { team: 'support' },
    });

    expect(filter).toBe(
      'state = ACTIVE AND capability = "billing" AND capability = "refunds" AND labels.team = "support"',
    );
  });

  it('keeps a raw --filter first and escapes quotes in values', () => {
    expect(buildAgentFilter({ filter: ' name = "x" ', capability: ['say "hi"'] })).toBe(
      'name = "x" AND capability = "say \\"hi\\""',
    );
  });

  it('adds --health after the state', () => {
    expect(buildAgentFilter({ state: 'ACTIVE', health: 'UNHEALTHY' })).toBe('state = ACTIVE AND health = UNHEALTHY');
  });

  it('is empty without flags', () => {
    expect(buildAgentFilter({})).toBe('');
  });
});

describe('definitionFromFlags', () => {
  it('sets only the given fields and names them in the update mask with proto field names', () => {
    const { agent, updateMask } = definitionFromFlags({
      description: 'd',
      tool: ['t1'],
      kb: ['k1'],
      label: { a: 'b' },
    });

    expect(agent).toEqual({ description: 'd', toolIds: ['t1'], knowledgeBaseIds: ['k1'], labels: { a: 'b' } });
    expect(updateMask).toEqual(['description', 'tool_ids', 'knowledge_base_ids', 'labels']);
  });

  it('yields an empty mask when no definition flag was given', () => {
    expect(definitionFromFlags({}).updateMask).toEqual([]);
  });
});

describe('option parsers', () => {
  it('collects repeated labels and refuses one without a key', () => {
    expect(collectLabel('env=prod', collectLabel('team=a=b', undefined))).toEqual({ team: 'a=b', env: 'prod' });
    expect(() => collectLabel('=x', undefined)).toThrow(InvalidArgumentError);
    expect(() => collectLabel('novalue', undefined)).toThrow(InvalidArgumentError);
  });

  it('reads agent states case-insensitively and refuses unknown ones', () => {
    expect(parseAgentState('paused')).toBe('PAUSED');
    expect(() => parseAgentState('sleeping')).toThrow(/DRAFT, ACTIVE, PAUSED, RETIRED/);
  });

  it('reads health statuses case-insensitively and refuses unknown ones', () => {
    expect(parseHealthStatus(' degraded ')).toBe('DEGRADED');
    expect(() => parseHealthStatus('sick')).toThrow(/UNKNOWN, HEALTHY, DEGRADED, UNHEALTHY/);
  });

  it('converts ISO times to Timestamps and refuses garbage', () => {
    expect(parseIsoTime('2025-01-31T12:00:00.250Z')).toEqual({ seconds: 1_738_324_800, nanos: 250_000_000 });
    expect(() => parseIsoTime('yesterday')).toThrow(InvalidArgumentError);
  });

  it('accepts only whole numbers', () => {
    expect(parseNonNegativeInt('42')).toBe(42);
    expect(() => parseNonNegativeInt('-1')).toThrow(InvalidArgumentError);
    expect(() => parseNonNegativeInt('1.5')).toThrow(InvalidArgumentError);
  });
});
