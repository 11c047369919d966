import { foldName, type AgentDefinition, type HealthStatusName } from '@aos/domain';
import { assertNever, InvalidArgumentError } from '@aos/errors';
import type { AgentLifecycleState } from './agent.decider';

/**
 * The ListAgents `filter`: a small subset of AIP-160, a conjunction of equality
 * terms.
 *
 *   filter := term ( "AND" term )*
 *   term   := field "=" value
 *   field  := "state" | "capability" | "name" | "labels." key | "health"
 *   value  := '"' characters with \" and \\ escapes '"' | a bare word
 *
 * Anything else is refused with a message that says where and what was expected,
 * because a filter that silently matches differently from what its author meant
 * is worse than none.
 */
export type AgentFilterTerm =
  | { field: 'state'; value: AgentLifecycleState }
  | { field: 'capability'; value: string }
  | { field: 'name'; value: string }
  | { field: 'health'; value: HealthStatusName }
  | { field: 'label'; key: string; value: string };

export const MAX_FILTER_LENGTH = 2000;
export const LABEL_KEY_PATTERN = /^[a-z0-9_.-]{1,63}$/;
const LIFECYCLE_STATES: readonly AgentLifecycleState[] = ['DRAFT', 'ACTIVE', 'PAUSED', 'RETIRED'];
const HEALTH_STATUSES: readonly HealthStatusName[] = ['UNKNOWN', 'HEALTHY', 'DEGRADED', 'UNHEALTHY'];
const FIELD = 'filter';

type Token =
  | { kind: 'word'; text: string; at: number }
  | { kind: 'string'; text: string; at: number }
  | { kind: 'operator'; text: string; at: number }
  | { kind: 'end'; at: number };

export function parseAgentFilter(filter: string): AgentFilterTerm[] {
  if (filter.length > MAX_FILTER_LENGTH) throw fail(`must be at most ${MAX_FILTER_LENGTH} characters`);
  const tokens = tokenize(filter);
  if (tokens[0]?.kind === 'end') return [];
  const terms: AgentFilterTerm[] = [];
  let i = 0;
  for (;;) {
    terms.push(parseTerm(tokens, i));
    i += 3;
    const next = tokens[i];
    if (next.kind === 'end') return terms;
    if (next.kind === 'word' && next.text === 'AND') {
      i += 1;
      continue;
    }
    if (next.kind === 'word' && /^(OR|NOT|and|or)$/.test(next.text)) {
      throw fail(`only "AND" (upper case) may join terms; found "${next.text}" at character ${next.at + 1}`);
    }
    throw fail(`expected "AND" or the end of the filter at character ${next.at + 1}, found ${describe(next)}`);
  }
}

function parseTerm(tokens: Token[], i: number): AgentFilterTerm {
  const [field, op, value] = [tokens[i], tokens[i + 1], tokens[i + 2]];
  if (field.kind !== 'word') {
    throw fail(
      `expected a field (state, capability, name, labels.<key>, health) at character ${field.at + 1}, found ${describe(field)}`,
    );
  }
  if (op?.kind !== 'operator' || op.text !== '=') {
    const found = op ? describe(op) : 'the end of the filter';
    const hint = op?.kind === 'operator' ? ` (only "=" is supported)` : '';
    throw fail(`expected "=" after "${field.text}" at character ${(op ?? field).at + 1}, found ${found}${hint}`);
  }
  if (value?.kind !== 'word' && value?.kind !== 'string') {
    throw fail(
      `expected a value after "${field.text} =" at character ${(value ?? op).at + 1}, found ${describe(value ?? op)}`,
    );
  }
  return toTerm(field.text, value.text, field.at);
}

function toTerm(field: string, value: string, at: number): AgentFilterTerm {
  if (field === 'state') return { field: 'state', value: oneOf('state', LIFECYCLE_STATES, value) };
  if (field === 'health') return { field: 'health', value: oneOf('health', HEALTH_STATUSES, value) };
  if (field === 'capability') return { field: 'capability', value };
  if (field === 'name') return { field: 'name', value };
  if (field.startsWith('labels.')) {
    const key = field.slice('labels.'.length);
    if (!LABEL_KEY_PATTERN.test(key)) throw fail(`label key "${key}" must be 1-63 characters of [a-z0-9_.-]`);
    return { field: 'label', key, value };
  }
  throw fail(
    `unknown field "${field}" at character ${at + 1}; fields are state, capability, name, labels.<key>, health`,
  );
}

/** An enum field's value, upper-cased, or a refusal that lists what it may be. */
function oneOf<T extends string>(field: string, values: readonly T[], value: string): T {
  const upper = value.toUpperCase();
  if (!(values as readonly string[]).includes(upper)) {
    throw fail(`${field} must be one of ${values.join(', ')}; found "${value}"`);
  }
  return upper as T;
}

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === '"') {
      const { text, end } = readQuoted(input, i);
      tokens.push({ kind: 'string', text, at: i });
      i = end;
    } else if ('=!<>:'.includes(c)) {
      const text = /^(!=|<=|>=|[=<>:!])/.exec(input.slice(i))![0];
      tokens.push({ kind: 'operator', text, at: i });
      i += text.length;
    } else if ('()'.includes(c)) {
      throw fail(`parentheses are not supported (character ${i + 1}); join terms with AND`);
    } else {
      const text = /^[^\s"=!<>:()]+/.exec(input.slice(i))![0];
      tokens.push({ kind: 'word', text, at: i });
      i += text.length;
    }
  }
  tokens.push({ kind: 'end', at: input.length });
  return tokens;
}

function readQuoted(input: string, start: number): { text: string; end: number } {
  let text = '';
  for (let i = start + 1; i < input.length; i++) {
    const c = input[i];
    if (c === '"') return { text, end: i + 1 };
    if (c === '\\') {
      const escaped = input[i + 1];
      if (escaped !== '"' && escaped !== '\\') {
        throw fail(`unsupported escape at character ${i + 1}; only \\" and \\\\ are allowed in quoted values`);
      }
      text += escaped;
      i += 1;
    } else {
      text += c;
    }
  }
  throw fail(`unterminated quoted value starting at character ${start + 1}`);
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'the end of the filter';
    case 'string':
    case 'word':
    case 'operator':
      return `"${token.text}"`;
    default:
      return assertNever(token);
  }
}

function fail(problem: string): InvalidArgumentError {
  return new InvalidArgumentError(FIELD, problem);
}

/** What a filter looks at: an agent's lifecycle state and definition, and its health (from its runs). */
export interface FilterableAgent {
  status: AgentLifecycleState;
  definition: AgentDefinition;
  health: HealthStatusName;
}

/** True when the agent satisfies every term. Names compare case-insensitively, as they are unique that way. */
export function matchesAgentFilter(terms: readonly AgentFilterTerm[], agent: FilterableAgent): boolean {
  return terms.every((term) => {
    switch (term.field) {
      case 'state':
        return agent.status === term.value;
      case 'capability':
        return agent.definition.capabilities.includes(term.value);
      case 'name':
        return foldName(agent.definition.name) === foldName(term.value);
      case 'health':
        return agent.health === term.value;
      case 'label':
        return Object.hasOwn(agent.definition.labels, term.key) && agent.definition.labels[term.key] === term.value;
      default:
        return assertNever(term);
    }
  });
}
