import type { Citation, ToolCallResult } from '@aos/contracts';

/**
 * The typed side of AgentOS's built-in tools for an external agent:
 * `knowledge_search`, `context_get` and `context_put` are called by name
 * through the session like any tool (so AgentOS governs and records them the
 * same way: the agent's knowledge_base_ids and context scopes are its grant,
 * governance's rules decide further), and their results, JSON, are read here.
 */

export interface SearchKnowledgeOptions {
  /** Only these of the agent's knowledge bases (default: all of them). */
  knowledgeBaseIds?: string[];
  /** How many results (default 5, at most 50). */
  topK?: number;
}

export interface KnowledgeSearchResult {
  /** Where the passage is: knowledge base, document, version, chunk, code point offsets. */
  citation: Citation;
  /** 0-1; higher is better. */
  score: number;
  /** The best matching part of the chunk, and its code point offsets in the document's text. */
  snippet: string;
  snippetStartOffset: number;
  snippetEndOffset: number;
}

export interface KnowledgeSearch {
  results: KnowledgeSearchResult[];
  /** The knowledge bases searched. */
  knowledgeBaseIds: string[];
  /** Those asked for (or granted) that were left out, and why (not granted, a DENY rule, …). */
  refused: { knowledgeBaseId: string; reason: string }[];
}

export interface ContextOptions {
  /**
   * "task/<id>" (default: the scratchpad shared by the agents working on the
   * task's request), "team/<label>" (a team of the agent's label `team`) or "tenant".
   */
  scope?: string;
}

export interface GetContextOptions extends ContextOptions {
  /** A past version (default: the current one). */
  version?: number;
}

export interface PutContextOptions extends ContextOptions {
  /** Write only if the entry is at this version (0: it must not exist yet); otherwise ABORTED. */
  expectedVersion?: number;
}

/** A version of a shared context entry. */
export interface ContextVersion {
  scope: string;
  key: string;
  version: number;
  /** Who wrote it, e.g. "agent:<id>". */
  updatedBy: string;
  /** RFC 3339. */
  updateTime: string;
}

export interface ContextValue<T = unknown> extends ContextVersion {
  value: T;
}

/**
 * Thrown by searchKnowledge, getContext and putContext when AgentOS refused
 * the call or it failed. `code` is a status name: PERMISSION_DENIED for a
 * refusal (not granted, a DENY rule, a rejected approval), ABORTED for a
 * putContext whose expectedVersion is stale (read again and retry),
 * INVALID_ARGUMENT, UNAVAILABLE, …; UNKNOWN when AgentOS did not say.
 */
export class BuiltinToolError extends Error {
  override name = 'BuiltinToolError';
  constructor(
    readonly tool: string,
    readonly code: string,
    /** Governance's decision (ALLOWED when the call ran and failed; empty when it never reached governance). */
    readonly decision: string,
    message: string,
  ) {
    super(`${tool}: ${message}`);
  }
}

export const KNOWLEDGE_SEARCH = 'knowledge_search';
export const CONTEXT_GET = 'context_get';
export const CONTEXT_PUT = 'context_put';

/** The tool's arguments as AgentOS declares them (snake_case). */
export function searchArguments(query: string, options: SearchKnowledgeOptions = {}): Record<string, unknown> {
  return {
    query,
    ...(options.knowledgeBaseIds ? { knowledge_base_ids: options.knowledgeBaseIds } : {}),
    ...(options.topK !== undefined ? { top_k: options.topK } : {}),
  };
}

export function getArguments(key: string, options: GetContextOptions = {}): Record<string, unknown> {
  return {
    key,
    ...(options.scope ? { scope: options.scope } : {}),
    ...(options.version ? { version: options.version } : {}),
  };
}

export function putArguments(key: string, value: unknown, options: PutContextOptions = {}): Record<string, unknown> {
  if (value === undefined) throw new TypeError('putContext: value is required (any JSON value, null included)');
  return {
    key,
    value,
    ...(options.scope ? { scope: options.scope } : {}),
    ...(options.expectedVersion !== undefined ? { expected_version: options.expectedVersion } : {}),
  };
}

export function readSearch(result: ToolCallResult): KnowledgeSearch {
  const body = okBody(KNOWLEDGE_SEARCH, result) as Partial<KnowledgeSearch>;
  return { results: body.results ?? [], knowledgeBaseIds: body.knowledgeBaseIds ?? [], refused: body.refused ?? [] };
}

/** The entry, or undefined when there is none (NOT_FOUND). */
export function readGet<T>(result: ToolCallResult): ContextValue<T> | undefined {
  if (failureOf(result)?.code === 'NOT_FOUND') return undefined;
  return okBody(CONTEXT_GET, result) as ContextValue<T>;
}

export function readPut(result: ToolCallResult): ContextVersion {
  return okBody(CONTEXT_PUT, result) as ContextVersion;
}

const CODED = /^([A-Z_]+): ([\s\S]*)$/;

/** What went wrong with the call, or undefined when it ran and succeeded. */
function failureOf(result: ToolCallResult): { code: string; message: string } | undefined {
  if (result.decision === 'DENIED' || result.decision === 'REJECTED') {
    return { code: 'PERMISSION_DENIED', message: result.error || `refused (${result.decision})` };
  }
  if (!result.error) return undefined;
  const coded = CODED.exec(result.error);
  return coded ? { code: coded[1]!, message: coded[2]! } : { code: 'UNKNOWN', message: result.error };
}

function okBody(tool: string, result: ToolCallResult): unknown {
  const failure = failureOf(result);
  if (failure) throw new BuiltinToolError(tool, failure.code, result.decision, failure.message);
  try {
    return JSON.parse(result.result);
  } catch {
    throw new BuiltinToolError(tool, 'UNKNOWN', result.decision, 'AgentOS answered with a result that is not JSON');
  }
}
