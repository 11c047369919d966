import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@aos/errors';
import { registryNameOf, riskOf } from './tool.handler';
import { DEFAULT_INPUT_SCHEMA_JSON, validateInputSchemaJson } from './tool.input-schema';

describe('MCP tools: registry names and risk', () => {
  it('lower-cases the MCP name, replaces other characters by _ and prepends the prefix, at most 64', () => {
    expect(registryNameOf('', 'Send.Alert')).toBe('send_alert');
    expect(registryNameOf('gh_', 'create issue/π')).toBe('gh_create_issue__');
    expect(registryNameOf('p_', 'x'.repeat(80))).toHaveLength(64);
  });

  it.each([
    [{ readOnlyHint: true, destructiveHint: true }, 'WRITE', 'READ'],
    [{ destructiveHint: true }, 'READ', 'DESTRUCTIVE'],
    [{ destructiveHint: false }, 'READ', 'WRITE'],
    [{}, 'READ', 'READ'],
    [{}, undefined, 'DESTRUCTIVE'],
  ] as const)('annotations %j with default %s → %s', (annotations, defaultRisk, expected) => {
    expect(riskOf(annotations, defaultRisk)).toBe(expected);
  });
});

describe('input schemas', () => {
  const field = 'tool.input_schema_json';

  it('accepts draft-07 (also without $schema) and 2020-12 object schemas, re-serialised', () => {
    expect(validateInputSchemaJson(field, ' { "type": "object" } ')).toBe('{"type":"object"}');
    expect(validateInputSchemaJson(field, '')).toBe(DEFAULT_INPUT_SCHEMA_JSON);
    const modern = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      $defs: { id: { type: 'string' } },
      properties: { id: { $ref: '#/$defs/id' }, tags: { type: 'array', prefixItems: [{ type: 'string' }] } },
    };
    expect(JSON.parse(validateInputSchemaJson(field, JSON.stringify(modern)))).toEqual(modern);
  });

  it.each([
    ['[]', /JSON Schema object/],
    ['{"type":"string"}', /"type" must be "object"/],
    ['{"$schema":"http://json-schema.org/draft-04/schema#","type":"object"}', /draft-07 .* or 2020-12/],
    ['{"type":"object","required":"id"}', /not a valid JSON Schema/],
    ['{"type":"object","properties":{"a":{"$ref":"#/definitions/missing"}}}', /cannot be compiled/],
  ])('refuses %s', (text, message) => {
    expect(() => validateInputSchemaJson(field, text)).toThrow(InvalidArgumentError);
    expect(() => validateInputSchemaJson(field, text)).toThrow(message);
  });
});
