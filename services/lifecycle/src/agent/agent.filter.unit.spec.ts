import { describe, expect, it } from 'vitest';
import type { AgentDefinition } from '@aos/contracts';
import { InvalidArgumentError } from '@aos/errors';
import { matchesAgentFilter, parseAgentFilter, type FilterableAgent } from './agent.filter';

function failure(filter: string): InvalidArgumentError {
  try {
    parseAgentFilter(filter);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    return err as InvalidArgumentError;
  }
  throw new Error(`expected ${JSON.stringify(filter)} to be refused`);
}

describe('ListAgents filter parser', () => {
  it('reads an empty or blank filter as no terms', () => {
    expect(parseAgentFilter('')).toEqual([]);
    expect(parseAgentFilter('   ')).toEqual([]);
  });

  it('reads the example from the proto', () => {
    expect(parseAgentFilter('state = ACTIVE AND capability = "billing" AND labels.team = "support"')).toEqual([
      { field: 'state', value: 'ACTIVE' },
      { field: 'capability', value: 'billing' },
      { field: 'label', key: 'team', value: 'support' },
    ]);
  });

  it('accepts terms without spaces, bare words, lower-case states and escapes in quotes', () => {
    expect(parseAgentFilter('state=paused AND name="say \\"hi\\" \\\\ bye" AND labels.tier.v-2=gold_1')).toEqual([
      { field: 'state', value: 'PAUSED' },
      { field: 'name', value: 'say "hi" \\ bye' },
      { field: 'label', key: 'tier.v-2', value: 'gold_1' },
    ]);
  });

  it('reads health terms, any case', () => {
    expect(parseAgentFilter('health = unhealthy AND state = ACTIVE')).toEqual([
      { field: 'health', value: 'UNHEALTHY' },
      { field: 'state', value: 'ACTIVE' },
    ]);
  });

  it('keeps spaces and operators inside quoted values', () => {
    expect(parseAgentFilter('name = "a = b AND c"')).toEqual([{ field: 'name', value: 'a = b AND c' }]);
  });

  it.each([
    ['owner = bob', /unknown field "owner" at character 1; fields are state, capability, name, labels.<key>/],
    ['state = SLEEPING', /state must be one of DRAFT, ACTIVE, PAUSED, RETIRED; found "SLEEPING"/],
    ['health = SICK', /health must be one of UNKNOWN, HEALTHY, DEGRADED, UNHEALTHY; found "SICK"/],
    ['state ACTIVE', /expected "=" after "state" at character 7, found "ACTIVE"/],
    ['state', /expected "=" after "state" at character 6, found the end of the filter/],
    ['state != ACTIVE', /expected "=" after "state".*only "=" is supported/],
    ['capability:billing', /expected "=" after "capability".*only "=" is supported/],
    ['state =', /expected a value after "state =" at character 8, found the end of the filter/],
    ['state = ACTIVE OR state = PAUSED', /only "AND" \(upper case\) may join terms; found "OR" at character 16/],
    ['state = ACTIVE and name = x', /only "AND" \(upper case\) may join terms; found "and"/],
    ['state = ACTIVE name = x', /expected "AND" or the end of the filter at character 16, found "name"/],
    ['state = ACTIVE AND', /expected a field .* found the end of the filter/],
    ['(state = ACTIVE)', /parentheses are not supported/],
    ['name = "open', /unterminated quoted value starting at character 8/],
    ['name = "a\\nb"', /unsupported escape/],
    ['labels.Team = x', /label key "Team" must be 1-63 characters/],
    ['labels. = x', /label key "" must be 1-63 characters/],
    ['= x', /expected a field .* at character 1, found "="/],
  ])('refuses %j', (filter, message) => {
    const err = failure(filter);
    expect(err.field).toBe('filter');
    expect(err.message).toMatch(message);
  });

  it('refuses a filter longer than 2000 characters', () => {
    expect(failure(`name = "${'x'.repeat(2000)}"`).message).toMatch(/at most 2000 characters/);
  });
});

describe('ListAgents filter matching', () => {
  const definition: AgentDefinition = {
    name: 'Billing-Bot',
    description: '',
    capabilities: ['billing', 'refunds'],
    instructions: '',
    model: '',
    toolIds: [],
    knowledgeBaseIds: [],
    labels: { team: 'support' },
  };
  const agent: FilterableAgent = { status: 'ACTIVE', definition, health: 'DEGRADED' };

  it.each([
    ['', true],
    ['state = ACTIVE', true],
    ['state = PAUSED', false],
    ['capability = refunds', true],
    ['capability = Refunds', false],
    ['name = billing-bot', true],
    ['name = billing', false],
    ['labels.team = support', true],
    ['labels.team = sales', false],
    ['labels.tier = support', false],
    ['state = ACTIVE AND capability = billing AND labels.team = support', true],
    ['state = ACTIVE AND capability = billing AND labels.team = sales', false],
    ['health = DEGRADED', true],
    ['health = degraded AND state = ACTIVE', true],
    ['health = UNHEALTHY', false],
  ])('%j matches: %s', (filter, expected) => {
    expect(matchesAgentFilter(parseAgentFilter(filter), agent)).toBe(expected);
  });

  it('does not match inherited properties as labels', () => {
    expect(matchesAgentFilter(parseAgentFilter('labels.constructor = x'), agent)).toBe(false);
  });
});
