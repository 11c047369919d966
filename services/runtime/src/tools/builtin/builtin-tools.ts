import type { ChatCompletionFunctionTool } from 'openai/resources/chat/completions';

/**
 * The runtime's built-in tools: every agent may search its knowledge bases
 * and read and write shared context through them, governed and recorded like
 * a registered tool (builtin-tool-call.ts). The model gets them as function
 * tools; an external agent calls them by name through RuntimeService
 * (ToolCallRequest.tool_name), the SDK through ctx.searchKnowledge,
 * ctx.getContext and ctx.putContext.
 *
 * Their names are reserved in the runtime, not in the tool registry: a tool
 * registered (or discovered on an MCP server) under one of these names is
 * never offered to an agent's model nor called by an agent — the built-in
 * wins. People and apps still call such a tool directly (RuntimeSubjects.callTool),
 * which only knows the registry.
 */
export const KNOWLEDGE_SEARCH = 'knowledge_search';
export const CONTEXT_GET = 'context_get';
export const CONTEXT_PUT = 'context_put';

export const BUILTIN_TOOL_NAMES = [KNOWLEDGE_SEARCH, CONTEXT_GET, CONTEXT_PUT] as const;
export type BuiltinToolName = (typeof BUILTIN_TOOL_NAMES)[number];

/** The `toolId` of a built-in tool's ToolCalled and ApprovalAwaited events (registered tools' ids are UUIDs). */
export const BUILTIN_TOOL_ID_PREFIX = 'builtin:';
export const builtinToolId = (name: BuiltinToolName): string => `${BUILTIN_TOOL_ID_PREFIX}${name}`;

export function isBuiltinTool(name: string): name is BuiltinToolName {
  return (BUILTIN_TOOL_NAMES as readonly string[]).includes(name);
}

const SCOPE_DESCRIPTION =
  'Where the entry lives: "task/<id>" (default: the scratchpad shared by the agents working on this request), ' +
  '"team/<label>" (a team the agent belongs to) or "tenant" (everyone in the organisation).';

const KNOWLEDGE_SEARCH_TOOL: ChatCompletionFunctionTool = {
  type: 'function',
  function: {
    name: KNOWLEDGE_SEARCH,
    description:
      "Searches the agent's knowledge bases. Returns the best matching passages, each with a citation " +
      '(knowledge base, document, version, chunk, character offsets) and a score; cite them in the answer.',
    parameters: {
      type: 'object',
      properties: {
        query: { type: 'string', description: 'What to look for, in plain words (1-2000 characters).' },
        knowledge_base_ids: {
          type: 'array',
          items: { type: 'string' },
          description: "Only these of the agent's knowledge bases (default: all of them).",
        },
        top_k: { type: 'integer', minimum: 1, maximum: 50, description: 'How many passages (default 5).' },
      },
      required: ['query'],
      additionalProperties: false,
    },
  },
};

const CONTEXT_GET_TOOL: ChatCompletionFunctionTool = {
  type: 'function',
  function: {
    name: CONTEXT_GET,
    description:
      'Reads a shared context entry (a JSON value under a key). Returns its value and version; ' +
      'fails with NOT_FOUND when there is none.',
    parameters: {
      type: 'object',
      properties: {
        scope: { type: 'string', description: SCOPE_DESCRIPTION },
        key: { type: 'string', description: 'The entry: 1-128 characters of [A-Za-z0-9._:-].' },
        version: { type: 'integer', minimum: 0, description: 'A past version (default: the current one).' },
      },
      required: ['key'],
      additionalProperties: false,
    },
  },
};

const CONTEXT_PUT_TOOL: ChatCompletionFunctionTool = {
  type: 'function',
  function: {
    name: CONTEXT_PUT,
    description:
      'Writes a shared context entry (a new version). With expected_version the write happens only if the ' +
      'entry is still at that version (0: it must not exist yet); otherwise it fails with ABORTED: read it ' +
      'again with context_get and retry.',
    parameters: {
      type: 'object',
      properties: {
        scope: { type: 'string', description: SCOPE_DESCRIPTION },
        key: { type: 'string', description: 'The entry: 1-128 characters of [A-Za-z0-9._:-].' },
        value: { description: 'Any JSON value (at most 64 KiB).' },
        expected_version: { type: 'integer', minimum: 0, description: 'The version last read.' },
      },
      required: ['key', 'value'],
      additionalProperties: false,
    },
  },
};

/**
 * The built-in function tools offered to an agent's model: knowledge_search
 * when its definition lists knowledge bases, context_get and context_put always.
 */
export function builtinFunctionTools(agent: { knowledgeBaseIds: readonly string[] }): ChatCompletionFunctionTool[] {
  return [...(agent.knowledgeBaseIds.length > 0 ? [KNOWLEDGE_SEARCH_TOOL] : []), CONTEXT_GET_TOOL, CONTEXT_PUT_TOOL];
}
