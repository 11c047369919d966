/**
 * The arguments of the built-in tools as the model (or an external agent)
 * sends them: JSON text, snake_case names (as the function tools declare
 * them). Each is checked before anything is asked of governance; what is
 * wrong is said naming the argument, for the model to correct.
 */

export const QUERY_MAX = 2000;
export const TOP_K_DEFAULT = 5;
export const TOP_K_MAX = 50;
const IDS_MAX = 100;

export interface KnowledgeSearchArgs {
  query: string;
  /** Undefined: every knowledge base of the agent. */
  knowledgeBaseIds: string[] | undefined;
  topK: number;
}

export interface ContextGetArgs {
  /** Undefined: the task's scope. */
  scope: string | undefined;
  key: string;
  /** 0: the current version. */
  version: number;
}

export interface ContextPutArgs {
  scope: string | undefined;
  key: string;
  /** The value as JSON text. */
  valueJson: string;
  expectedVersion: number | undefined;
}

/** The arguments, or what is wrong with them ("<argument>: <problem>"). */
export type Parsed<T> = { ok: true; args: T } | { ok: false; problem: string };

class ArgumentProblem extends Error {}

export function parseKnowledgeSearch(json: string): Parsed<KnowledgeSearchArgs> {
  return parse(json, (o) => {
    const query = o.query;
    if (typeof query !== 'string' || query.trim() === '') throw new ArgumentProblem('query: is required (a string)');
    if (query.length > QUERY_MAX) throw new ArgumentProblem(`query: must be at most ${QUERY_MAX} characters`);
    const ids = o.knowledge_base_ids;
    let knowledgeBaseIds: string[] | undefined;
    if (ids !== undefined && ids !== null) {
      if (!Array.isArray(ids) || ids.length > IDS_MAX || !ids.every((id) => typeof id === 'string' && id !== '')) {
        throw new ArgumentProblem(`knowledge_base_ids: must be a list of at most ${IDS_MAX} ids`);
      }
      knowledgeBaseIds = ids.length > 0 ? [...new Set(ids as string[])] : undefined;
    }
    return { query, knowledgeBaseIds, topK: integer(o, 'top_k', 1, TOP_K_MAX) ?? TOP_K_DEFAULT };
  });
}

export function parseContextGet(json: string): Parsed<ContextGetArgs> {
  return parse(json, (o) => ({
    scope: scopeOf(o),
    key: keyOf(o),
    version: integer(o, 'version', 0, Number.MAX_SAFE_INTEGER) ?? 0,
  }));
}

export function parseContextPut(json: string): Parsed<ContextPutArgs> {
  return parse(json, (o) => {
    if (!Object.hasOwn(o, 'value') || o.value === undefined) {
      throw new ArgumentProblem('value: is required (any JSON value, null included)');
    }
    return {
      scope: scopeOf(o),
      key: keyOf(o),
      valueJson: JSON.stringify(o.value),
      expectedVersion: integer(o, 'expected_version', 0, Number.MAX_SAFE_INTEGER),
    };
  });
}

function parse<T>(json: string, read: (o: Record<string, unknown>) => T): Parsed<T> {
  let value: unknown;
  try {
    value = json.trim() === '' ? {} : JSON.parse(json);
  } catch {
    return { ok: false, problem: 'the arguments are not valid JSON' };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, problem: 'the arguments are not a JSON object' };
  }
  try {
    return { ok: true, args: read(value as Record<string, unknown>) };
  } catch (err) {
    if (err instanceof ArgumentProblem) return { ok: false, problem: err.message };
    throw err;
  }
}

function scopeOf(o: Record<string, unknown>): string | undefined {
  const scope = o.scope;
  if (scope === undefined || scope === null || scope === '') return undefined;
  if (typeof scope !== 'string') throw new ArgumentProblem('scope: must be a string');
  return scope;
}

function keyOf(o: Record<string, unknown>): string {
  const key = o.key;
  if (typeof key !== 'string' || key === '') throw new ArgumentProblem('key: is required (a string)');
  return key;
}

/** An optional integer argument in [min, max]; null counts as absent. */
function integer(o: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const value = o[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ArgumentProblem(`${name}: must be an integer from ${min} to ${max}`);
  }
  return value;
}
