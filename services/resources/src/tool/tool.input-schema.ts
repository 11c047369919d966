import { createRequire } from 'node:module';
import type { Ajv, AnySchema } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { InvalidArgumentError } from '@aos/errors';

/**
 * A tool's input schema must be a JSON Schema of an object, because a tool call
 * sends its arguments as one JSON object (the HTTP body, or MCP `arguments`).
 * It is checked with ajv against the meta-schema of its dialect and compiled,
 * so a schema that names a missing `$ref` is refused at registration rather
 * than at the first call.
 *
 * ajv walks schemas recursively, so nesting is bounded first: a deep schema
 * would overflow the stack. Each schema is compiled by an Ajv of its own:
 * an instance keeps every compiled schema and every nested `$id` for its
 * lifetime, which would grow without bound and let one tenant's `$id` answer
 * another tenant's `$ref`. The meta-schemas are shared: checking a schema
 * against them adds nothing to the instance that checks.
 */

export const MAX_INPUT_SCHEMA_CHARS = 65_536;
export const DEFAULT_INPUT_SCHEMA_JSON = '{"type":"object"}';
/** Objects and arrays within one another, the schema itself counting 1. */
export const MAX_INPUT_SCHEMA_DEPTH = 64;

const DRAFT_07 = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/;
const DRAFT_2020_12 = /^https?:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/;

// strict: false, because schemas written for other tools (MCP servers in particular)
// carry keywords such as "title" extensions or "examples" that strict mode refuses.
const OPTIONS = { strict: false, allErrors: false } as const;
type Dialect = 'draft-07' | '2020-12';
interface AjvClasses {
  Ajv: typeof Ajv;
  Ajv2020: typeof Ajv2020;
  /** Used only for validateSchema, which compiles the meta-schema and never the schema it checks. */
  metaValidators: Record<Dialect, Ajv | Ajv2020>;
}
let loaded: AjvClasses | undefined;
/** ajv (86 modules), loaded when the first schema is checked rather than in every resources process at start. */
function ajv(): AjvClasses {
  if (!loaded) {
    const require = createRequire(import.meta.url);
    const { Ajv: Draft07 } = require('ajv') as typeof import('ajv');
    const { Ajv2020: Draft2020 } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
    loaded = {
      Ajv: Draft07,
      Ajv2020: Draft2020,
      metaValidators: { 'draft-07': new Draft07(OPTIONS), '2020-12': new Draft2020(OPTIONS) },
    };
  }
  return loaded;
}

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
  const dialect = dialectOf(field, record.$schema);
  if (exceedsDepth(schema, MAX_INPUT_SCHEMA_DEPTH)) {
    throw new InvalidArgumentError(field, `must not nest objects and arrays more than ${MAX_INPUT_SCHEMA_DEPTH} deep`);
  }
  const { Ajv, Ajv2020, metaValidators } = ajv();
  const meta = metaValidators[dialect];
  let valid: boolean;
  try {
    valid = meta.validateSchema(schema as AnySchema) as boolean;
  } catch (err) {
    throw new InvalidArgumentError(field, `cannot be checked as a JSON Schema: ${(err as Error).message}`);
  }
  if (!valid) {
    throw new InvalidArgumentError(
      field,
      `is not a valid JSON Schema: ${meta.errorsText(meta.errors, { dataVar: 'schema' })}`,
    );
  }
  try {
    const compiler = dialect === 'draft-07' ? new Ajv(OPTIONS) : new Ajv2020(OPTIONS);
    compiler.compile(schema as AnySchema);
  } catch (err) {
    throw new InvalidArgumentError(field, `cannot be compiled: ${(err as Error).message}`);
  }
  const json = JSON.stringify(schema);
  if (json.length > MAX_INPUT_SCHEMA_CHARS) {
    throw new InvalidArgumentError(field, `must be at most ${MAX_INPUT_SCHEMA_CHARS} characters`);
  }
  return json;
}

function dialectOf(field: string, $schema: unknown): Dialect {
  if ($schema === undefined || (typeof $schema === 'string' && DRAFT_07.test($schema))) return 'draft-07';
  if (typeof $schema === 'string' && DRAFT_2020_12.test($schema)) return '2020-12';
  throw new InvalidArgumentError(
    field,
    `"$schema" must be draft-07 (http://json-schema.org/draft-07/schema#) or 2020-12 (https://json-schema.org/draft/2020-12/schema), or absent`,
  );
}

/** Without recursion, so that a value nested thousands deep cannot overflow the stack here either. */
function exceedsDepth(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (!current || typeof current !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}
