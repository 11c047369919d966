import { Ajv, type AnySchema } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { InvalidArgumentError } from '@aos/errors';

/**
 * A tool's input schema must be a JSON Schema of an object, because a tool call
 * sends its arguments as one JSON object (the HTTP body, or MCP `arguments`).
 * It is checked with ajv against the meta-schema of its dialect and compiled,
 * so a schema that names a missing `$ref` is refused at registration rather
 * than at the first call.
 */

export const MAX_INPUT_SCHEMA_CHARS = 65_536;
export const DEFAULT_INPUT_SCHEMA_JSON = '{"type":"object"}';

const DRAFT_07 = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/;
const DRAFT_2020_12 = /^https?:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/;

// strict: false, because schemas written for other tools (MCP servers in particular)
// carry keywords such as "title" extensions or "examples" that strict mode refuses.
const draft07 = new Ajv({ strict: false, allErrors: false });
const draft2020 = new Ajv2020({ strict: false, allErrors: false });

/** The schema text, parsed and checked; returns it re-serialised (canonical, without insignificant whitespace). */
export function validateInputSchemaJson(field: string, text: string): string {
  if (text.trim() === '') return DEFAULT_INPUT_SCHEMA_JSON;
  if (text.length > MAX_INPUT_SCHEMA_CHARS) {
    throw new InvalidArgumentError(field, `must be at most ${MAX_INPUT_SCHEMA_CHARS} characters`);
  }
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(field, `is not valid JSON: ${(err as Error).message}`);
  }
  return validateInputSchema(field, schema);
}

/** A schema that arrived as a value (an MCP tool's inputSchema); returns its JSON text. */
export function validateInputSchema(field: string, schema: unknown): string {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) {
    throw new InvalidArgumentError(field, 'must be a JSON Schema object, e.g. {"type":"object","properties":{…}}');
  }
  const record = schema as Record<string, unknown>;
  if (record.type !== 'object') {
    throw new InvalidArgumentError(field, 'must describe an object: "type" must be "object"');
  }
  const ajv = dialectOf(field, record.$schema);
  if (!ajv.validateSchema(schema as AnySchema)) {
    throw new InvalidArgumentError(
      field,
      `is not a valid JSON Schema: ${ajv.errorsText(ajv.errors, { dataVar: 'schema' })}`,
    );
  }
  try {
    ajv.compile(schema as AnySchema);
  } catch (err) {
    throw new InvalidArgumentError(field, `cannot be compiled: ${(err as Error).message}`);
  } finally {
    // Compiled schemas are cached by ajv; a registry must not keep one per registration.
    ajv.removeSchema(schema as AnySchema);
  }
  const json = JSON.stringify(schema);
  if (json.length > MAX_INPUT_SCHEMA_CHARS) {
    throw new InvalidArgumentError(field, `must be at most ${MAX_INPUT_SCHEMA_CHARS} characters`);
  }
  return json;
}

function dialectOf(field: string, $schema: unknown): Ajv | Ajv2020 {
  if ($schema === undefined || (typeof $schema === 'string' && DRAFT_07.test($schema))) return draft07;
  if (typeof $schema === 'string' && DRAFT_2020_12.test($schema)) return draft2020;
  throw new InvalidArgumentError(
    field,
    `"$schema" must be draft-07 (http://json-schema.org/draft-07/schema#) or 2020-12 (https://json-schema.org/draft/2020-12/schema), or absent`,
  );
}
