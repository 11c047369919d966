import { encodePageToken } from '@aos/request-fields';
import { describe, expect, it } from 'vitest';
import type {
  Agent,
  AgentTransitionRequest,
  CreateAgentRequest,
  GetAgentRequest,
  ListAgentsRequest,
  UpdateAgentRequest,
} from '@aos/contracts';
import { InvalidArgumentError } from '@aos/errors';
import {
  validateContext,
  validateCreateAgent,
  validateGetAgent,
  validateListAgents,
  validateTransition,
  validateUpdateAgent,
} from './agent.validation';
import type { RequestContext } from '@aos/messaging';

const id = '0b9a2f5e-8a1c-4f7e-9a53-2d1e0c6b7a11';

/** Builds a request the way proto-loader delivers it: every field present with its default. */
function agent(fields: Partial<Agent>): Agent {
  return {
    id: '',
    tenantId: '',
    name: '',
    description: '',
    capabilities: [],
    instructions: '',
    model: '',
    toolIds: [],
    knowledgeBaseIds: [],
    labels: {},
    state: 'AGENT_STATE_UNSPECIFIED' as Agent['state'],
    definitionVersion: 0,
    revision: 0,
    createdBy: '',
    logPosition: 0,
    ...fields,
  };
}

function create(fields: Partial<Agent>, requestId = 'req-1'): CreateAgentRequest {
  return { agent: agent(fields), requestId };
}

/** Runs `fn` and returns the InvalidArgumentError it throws, so field and message can be checked. */
function invalid(fn: () => unknown): InvalidArgumentError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidArgumentError) return err;
    throw err;
  }
  throw new Error('expected an InvalidArgumentError');
}

describe('CreateAgent validation', () => {
  it('reads the writable fields, trims the name and ignores output-only fields', () => {
    const mutation = validateCreateAgent(
      create({
        name: '  Billing Bot  ',
        description: 'Line one\nline two',
        capabilities: ['billing', ' refunds '],
        instructions: 'Be kind.\n\tAlways.',
        model: 'gpt-4o-mini',
        toolIds: ['t1'],
        knowledgeBaseIds: ['kb1'],
        labels: { team: 'support', a: 'b' },
        id: 'ignored',
        revision: 7,
        createdBy: 'mallory',
      }),
    );
    expect(mutation).toEqual({
      type: 'CreateAgent',
      requestId: 'req-1',
      definition: {
        name: 'Billing Bot',
        description: 'Line one\nline two',
        capabilities: ['billing', 'refunds'],
        instructions: 'Be kind.\n\tAlways.',
        model: 'gpt-4o-mini',
        toolIds: ['t1'],
        knowledgeBaseIds: ['kb1'],
        labels: { a: 'b', team: 'support' },
      },
    });
  });

  it('fills absent optional fields with proto defaults', () => {
    const mutation = validateCreateAgent({ agent: { name: 'x' } as Agent, requestId: 'r' });
    expect(mutation.definition).toEqual({
      name: 'x',
      description: '',
      capabilities: [],
      instructions: '',
      model: '',
      toolIds: [],
      knowledgeBaseIds: [],
      labels: {},
    });
  });

  it.each([
    ['empty name', { name: '' }, 'agent.name', /is required/],
    ['blank name', { name: '   ' }, 'agent.name', /is required/],
    ['long name', { name: 'x'.repeat(101) }, 'agent.name', /at most 100 characters/],
    ['control char in name', { name: 'bad\u0007name' }, 'agent.name', /control characters/],
    ['newline in name', { name: 'two\nlines' }, 'agent.name', /control characters/],
    ['long description', { name: 'a', description: 'x'.repeat(2001) }, 'agent.description', /at most 2000/],
    ['long instructions', { name: 'a', instructions: 'x'.repeat(20_001) }, 'agent.instructions', /at most 20000/],
    ['long model', { name: 'a', model: 'x'.repeat(201) }, 'agent.model', /at most 200/],
    ['newline in model', { name: 'a', model: 'gpt\n4' }, 'agent.model', /control characters/],
    [
      '51 capabilities',
      { name: 'a', capabilities: Array.from({ length: 51 }, (_, i) => `c${i}`) },
      'agent.capabilities',
      /at most 50/,
    ],
    ['empty capability', { name: 'a', capabilities: [''] }, 'agent.capabilities', /entry 0 must be 1-64/],
    [
      'long capability',
      { name: 'a', capabilities: ['ok', 'x'.repeat(65)] },
      'agent.capabilities',
      /entry 1 must be 1-64/,
    ],
    ['duplicate capability', { name: 'a', capabilities: ['b', 'b'] }, 'agent.capabilities', /"b" is listed twice/],
    ['bad label key', { name: 'a', labels: { Team: 'x' } }, 'agent.labels', /key "Team"/],
    ['long label key', { name: 'a', labels: { ['k'.repeat(64)]: 'x' } }, 'agent.labels', /1-63 characters/],
    ['long label value', { name: 'a', labels: { k: 'x'.repeat(256) } }, 'agent.labels', /at most 255/],
    ['empty tool id', { name: 'a', toolIds: [' '] }, 'agent.tool_ids', /entry 0/],
    ['empty knowledge base id', { name: 'a', knowledgeBaseIds: [''] }, 'agent.knowledge_base_ids', /entry 0/],
  ])('refuses %s', (_case, fields, field, message) => {
    const err = invalid(() => validateCreateAgent(create(fields as Partial<Agent>)));
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
  });

  it('counts characters, not UTF-16 units: 100 emoji are a valid name', () => {
    expect(validateCreateAgent(create({ name: '🤖'.repeat(100) })).definition.name).toHaveLength(200);
  });

  it('refuses wrong types from a hand-written NATS client', () => {
    expect(invalid(() => validateCreateAgent({ agent: { name: 42 } as unknown as Agent, requestId: 'r' })).field).toBe(
      'agent.name',
    );
    expect(
      invalid(() =>
        validateCreateAgent({ agent: { name: 'a', capabilities: 'x' } as unknown as Agent, requestId: 'r' }),
      ).field,
    ).toBe('agent.capabilities');
    expect(invalid(() => validateCreateAgent(undefined)).field).toBe('body');
  });

  it('requires the agent and a request_id of 1-128 characters', () => {
    expect(invalid(() => validateCreateAgent({ requestId: 'r' })).field).toBe('agent');
    expect(invalid(() => validateCreateAgent(create({ name: 'a' }, ''))).message).toMatch(/request_id: is required/);
    expect(invalid(() => validateCreateAgent(create({ name: 'a' }, 'r'.repeat(129)))).field).toBe('request_id');
    expect(validateCreateAgent(create({ name: 'a' }, 'r'.repeat(128))).requestId).toHaveLength(128);
  });
});

describe('UpdateAgent validation', () => {
  function update(fields: Partial<UpdateAgentRequest>): UpdateAgentRequest {
    return { id, requestId: 'u-1', agent: agent({}), ...fields };
  }

  it('with an empty mask changes every writable field set to a non-default value', () => {
    const mutation = validateUpdateAgent(update({ agent: agent({ description: 'new', capabilities: ['x'] }) }));
    expect(mutation).toEqual({
      type: 'UpdateAgent',
      requestId: 'u-1',
      agentId: id,
      changes: { description: 'new', capabilities: ['x'] },
      expectedRevision: undefined,
    });
  });

  it('with a mask changes exactly the named fields, clearing those left at their default', () => {
    const mutation = validateUpdateAgent(
      update({ agent: agent({ description: 'ignored', model: 'm2' }), updateMask: ['model', 'tool_ids', 'labels'] }),
    );
    expect(mutation.changes).toEqual({ model: 'm2', toolIds: [], labels: {} });
  });

  it('accepts the mask as proto-loader decodes a FieldMask ({ paths })', () => {
    const body = update({ agent: agent({ model: 'm3' }) }) as unknown as Record<string, unknown>;
    body.updateMask = { paths: ['model'] };
    expect(validateUpdateAgent(body as unknown as UpdateAgentRequest).changes).toEqual({ model: 'm3' });
  });

  it('refuses an unknown mask path, naming update_mask and the valid paths', () => {
    const err = invalid(() => validateUpdateAgent(update({ updateMask: ['toolIds'] })));
    expect(err.field).toBe('update_mask');
    expect(err.message).toMatch(/unknown path "toolIds"; paths are name, description, .*labels/);
    expect(invalid(() => validateUpdateAgent(update({ updateMask: ['state'] }))).field).toBe('update_mask');
  });

  it('validates a renamed name like on create', () => {
    expect(invalid(() => validateUpdateAgent(update({ updateMask: ['name'] }))).field).toBe('agent.name');
    expect(validateUpdateAgent(update({ agent: agent({ name: ' n ' }), updateMask: ['name'] })).changes).toEqual({
      name: 'n',
    });
  });

  it('treats an absent or null expected_revision as not given, and refuses a negative one', () => {
    expect(validateUpdateAgent(update({ expectedRevision: undefined })).expectedRevision).toBeUndefined();
    expect(
      validateUpdateAgent(update({ expectedRevision: null as unknown as number })).expectedRevision,
    ).toBeUndefined();
    expect(validateUpdateAgent(update({ expectedRevision: 0 })).expectedRevision).toBe(0);
    expect(validateUpdateAgent(update({ expectedRevision: 5 })).expectedRevision).toBe(5);
    expect(invalid(() => validateUpdateAgent(update({ expectedRevision: -1 }))).field).toBe('expected_revision');
    expect(invalid(() => validateUpdateAgent(update({ expectedRevision: 1.5 }))).field).toBe('expected_revision');
  });

  it('refuses a malformed id and requires one', () => {
    expect(invalid(() => validateUpdateAgent(update({ id: 'agent-1' }))).message).toMatch(/id: must be a UUID/);
    expect(invalid(() => validateUpdateAgent(update({ id: '' }))).message).toMatch(/id: is required/);
  });
});

describe('transition validation', () => {
  const body = (fields: Partial<AgentTransitionRequest>): AgentTransitionRequest => ({
    id,
    requestId: 'p-1',
    reason: '',
    ...fields,
  });

  it('reads id, request_id, reason and expected_revision', () => {
    expect(validateTransition('PauseAgent', body({ reason: 'maintenance', expectedRevision: 3 }))).toEqual({
      type: 'PauseAgent',
      requestId: 'p-1',
      agentId: id,
      reason: 'maintenance',
      expectedRevision: 3,
    });
  });

  it('normalises the id to lower case, so one agent has one spelling', () => {
    expect(validateTransition('DeployAgent', body({ id: id.toUpperCase() })).agentId).toBe(id);
  });

  it.each([
    [{ requestId: '' }, 'request_id'],
    [{ id: 'nope' }, 'id'],
    [{ reason: 'x'.repeat(1001) }, 'reason'],
    [{ expectedRevision: -3 }, 'expected_revision'],
  ])('refuses %j naming %s', (fields, field) => {
    expect(invalid(() => validateTransition('RetireAgent', body(fields))).field).toBe(field);
  });
});

describe('GetAgent validation', () => {
  it('reads id and min_position', () => {
    expect(validateGetAgent({ id, name: '', minPosition: 12 })).toEqual({ agent: { id }, minPosition: 12 });
    expect(validateGetAgent({ id } as GetAgentRequest)).toEqual({ agent: { id }, minPosition: 0 });
  });

  it('reads a name instead of the id, trimmed but not folded (the read model folds it)', () => {
    expect(validateGetAgent({ id: '', name: ' Billing-Helper ', minPosition: 0 })).toEqual({
      agent: { name: 'Billing-Helper' },
      minPosition: 0,
    });
  });

  it('refuses both id and name, neither, a negative min_position and a malformed id', () => {
    expect(invalid(() => validateGetAgent({ id, name: 'billing-helper', minPosition: 0 })).field).toBe('name');
    expect(invalid(() => validateGetAgent({ id: '', name: '', minPosition: 0 })).field).toBe('id');
    expect(invalid(() => validateGetAgent({ id, name: '', minPosition: -1 })).field).toBe('min_position');
    expect(invalid(() => validateGetAgent({ id: 'x', name: '', minPosition: 0 })).field).toBe('id');
  });
});

describe('ListAgents validation', () => {
  const list = (fields: Partial<ListAgentsRequest>): ListAgentsRequest => ({
    pageSize: 0,
    pageToken: '',
    filter: '',
    minPosition: 0,
    ...fields,
  });

  it('defaults page_size to 50 and clamps it to 1000', () => {
    expect(validateListAgents(list({})).pageSize).toBe(50);
    expect(validateListAgents(list({ pageSize: 7 })).pageSize).toBe(7);
    expect(validateListAgents(list({ pageSize: 5000 })).pageSize).toBe(1000);
  });

  it('refuses a negative page_size', () => {
    expect(invalid(() => validateListAgents(list({ pageSize: -1 }))).field).toBe('page_size');
  });

  it('parses the filter and keeps its text', () => {
    const query = validateListAgents(list({ filter: 'state = ACTIVE' }));
    expect(query.filter).toEqual([{ field: 'state', value: 'ACTIVE' }]);
    expect(query.filterText).toBe('state = ACTIVE');
    expect(invalid(() => validateListAgents(list({ filter: 'color = red' }))).field).toBe('filter');
  });

  it('round-trips a page token and refuses a foreign, malformed or mismatched one', () => {
    const token = encodePageToken('ListAgents', 42, 'state = ACTIVE');
    expect(validateListAgents(list({ pageToken: token, filter: 'state = ACTIVE' })).afterPosition).toBe(42);
    expect(validateListAgents(list({})).afterPosition).toBe(0);
    expect(invalid(() => validateListAgents(list({ pageToken: token }))).message).toMatch(/different filter/);
    expect(invalid(() => validateListAgents(list({ pageToken: 'not-a-token' }))).field).toBe('page_token');
    const negative = Buffer.from(JSON.stringify({ list: 'ListAgents', after: -1, filter: '' })).toString('base64url');
    expect(invalid(() => validateListAgents(list({ pageToken: negative }))).field).toBe('page_token');
  });
});

describe('request context validation', () => {
  const ctx: RequestContext = { tenantId: 'tenant-1', actor: { kind: 'user', id: 'alice' }, correlationId: 'c1' };

  it('accepts a complete context and refuses one without a tenant or actor', () => {
    expect(validateContext(ctx)).toBe(ctx);
    expect(invalid(() => validateContext({ ...ctx, tenantId: '' })).field).toBe('ctx.tenant_id');
    // A tenant id becomes a NATS subject token in the log: no dots, wildcards or capitals.
    expect(invalid(() => validateContext({ ...ctx, tenantId: 'a.b' })).field).toBe('ctx.tenant_id');
    expect(invalid(() => validateContext({ ...ctx, tenantId: 'Acme' })).field).toBe('ctx.tenant_id');
    expect(
      invalid(() => validateContext({ ...ctx, actor: { kind: 'robot', id: 'r' } } as unknown as RequestContext)).field,
    ).toBe('ctx.actor');
    expect(invalid(() => validateContext({ ...ctx, actor: undefined } as unknown as RequestContext)).field).toBe(
      'ctx.actor',
    );
    expect(invalid(() => validateContext(undefined)).field).toBe('ctx');
  });
});
