import { randomUUID } from 'node:crypto';
import type { Logger } from '@nestjs/common';
import type { CallToolResult, Tool, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { AccessModel } from '@aos/access-control';
import {
  fromTimestamp,
  ResourcesSubjects,
  SearchMode,
  type ContextEntry,
  type SearchResponse,
  type Subject,
} from '@aos/contracts';
import type { ServiceClient } from '@aos/messaging';
import { refusedResource, resourcesOf } from '../authz/permission.guard';
import { grpcMethodOf, requiredPermission } from '../authz/permission.registry';
import type { CallContext } from '../call-context.resolver';
import { ContextController } from '../context.controller';
import { KnowledgeController } from '../knowledge.controller';
import { invalidArguments, toolError, toolFailure, toolOutput } from './tool-result';

/** One tool of the MCP endpoint: what tools/list shows, and how tools/call runs it for a caller. */
export interface McpTool {
  readonly definition: Tool;
  call(call: CallContext, args: Record<string, unknown>): Promise<CallToolResult>;
}

export interface BuiltInToolDeps {
  services: ServiceClient;
  model: AccessModel;
  logger: Logger;
}

type ControllerClass = abstract new (...args: never[]) => unknown;
type ObjectSchema = z.ZodObject;

/**
 * A built-in tool is one gRPC method under another name: the caller needs the
 * permission that method declares (@RequiresPermission), on the resource the
 * PermissionGuard derives from the same request (resourceOf), decided by the
 * same authorize(); the request goes to the method's subject with the
 * caller's request context. So MCP can neither grant nor refuse more than gRPC.
 */
interface BuiltInSpec<I extends ObjectSchema, O extends ObjectSchema, Req, Reply> {
  name: string;
  title: string;
  description: string;
  annotations: ToolAnnotations;
  input: I;
  output: O;
  /** The gateway method the tool stands for. */
  method: [controller: ControllerClass, name: string];
  subject: Subject<Req, Reply>;
  request(input: z.output<I>): Req;
  result(reply: Reply): z.input<O>;
}

function builtInTool<I extends ObjectSchema, O extends ObjectSchema, Req, Reply>(
  spec: BuiltInSpec<I, O, Req, Reply>,
  deps: BuiltInToolDeps,
): McpTool {
  const [controller, methodName] = spec.method;
  const ref = grpcMethodOf(controller, methodName);
  const permission = requiredPermission(controller, methodName);
  if (!ref || !permission) {
    throw new Error(`MCP tool ${spec.name}: ${controller.name}.${methodName} declares no permission`);
  }
  const definition: Tool = {
    name: spec.name,
    title: spec.title,
    description: spec.description,
    inputSchema: jsonSchemaOf(spec.input, 'input'),
    outputSchema: jsonSchemaOf(spec.output, 'output'),
    annotations: { title: spec.title, ...spec.annotations },
  };
  return {
    definition,
    async call({ caller, ctx }, args) {
      const parsed = spec.input.safeParse(args);
      if (!parsed.success) return invalidArguments(parsed.error);
      const request = spec.request(parsed.data);
      const refused = refusedResource(deps.model, caller, permission, resourcesOf(ref.service, request));
      if (refused !== undefined) {
        return toolError(
          'PERMISSION_DENIED',
          `${caller.identity.subject} lacks permission ${permission} on ${refused}, required by ${spec.name} (as by ${ref.service}.${ref.method})`,
        );
      }
      try {
        return toolOutput(
          spec.result(await deps.services.request(spec.subject, ctx, request)) as Record<string, unknown>,
        );
      } catch (err) {
        return toolFailure(err, deps.logger);
      }
    },
  };
}

/** Draft-07, which every MCP client validates (the SDK's client compiles output schemas with a draft-07 Ajv). */
function jsonSchemaOf(schema: ObjectSchema, io: 'input' | 'output'): Tool['inputSchema'] {
  return z.toJSONSchema(schema, { target: 'draft-7', io }) as Tool['inputSchema'];
}

const scope = z.string().min(1).describe('"tenant", "team/<label>" (e.g. "team/sales") or "task/<correlation-id>"');
const key = z.string().min(1).describe('1-128 characters of [A-Za-z0-9._:-]');

const CitationOutput = z.object({
  knowledge_base_id: z.string(),
  document_id: z.string(),
  document_version: z.number().int(),
  document_title: z.string(),
  chunk_index: z.number().int().describe('0-based index of the chunk in the document version'),
  start_offset: z.number().int().describe("The chunk's code point offsets in the document's extracted text"),
  end_offset: z.number().int(),
});

const SearchOutput = z.object({
  mode: z.string().describe('LEXICAL or HYBRID'),
  knowledge_base_ids: z.array(z.string()).describe('The knowledge bases searched'),
  results: z.array(
    z.object({
      citation: CitationOutput,
      score: z.number().describe('0-1 after fusion; higher is better'),
      snippet: z.string().describe('The part of the chunk that best matches the query'),
      snippet_start_offset: z.number().int(),
      snippet_end_offset: z.number().int(),
      lexical_rank: z.number().int().describe('1-based; 0 when not a lexical candidate'),
      dense_rank: z.number().int().describe('1-based; 0 when not a dense candidate'),
    }),
  ),
});

const ContextEntryOutput = z.object({
  scope: z.string(),
  key: z.string(),
  value: z.unknown().describe('The JSON value of this version; null when deleted'),
  version: z.number().int().describe('1 after the first put, +1 for each change'),
  deleted: z.boolean(),
  updated_by: z.string().describe('The principal that made this version, e.g. "user:alice"'),
  update_time: z.string().describe('ISO-8601'),
  log_position: z.number().int().describe("Log position of this version's event"),
});

function searchOutput(reply: SearchResponse): z.input<typeof SearchOutput> {
  return {
    mode: reply.mode,
    knowledge_base_ids: reply.knowledgeBaseIds ?? [],
    results: (reply.results ?? []).map((r) => ({
      citation: {
        knowledge_base_id: r.citation?.knowledgeBaseId ?? '',
        document_id: r.citation?.documentId ?? '',
        document_version: Number(r.citation?.documentVersion ?? 0),
        document_title: r.citation?.documentTitle ?? '',
        chunk_index: r.citation?.chunkIndex ?? 0,
        start_offset: Number(r.citation?.startOffset ?? 0),
        end_offset: Number(r.citation?.endOffset ?? 0),
      },
      score: r.score,
      snippet: r.snippet,
      snippet_start_offset: Number(r.snippetStartOffset),
      snippet_end_offset: Number(r.snippetEndOffset),
      lexical_rank: r.lexicalRank,
      dense_rank: r.denseRank,
    })),
  };
}

function contextEntryOutput(entry: ContextEntry): z.input<typeof ContextEntryOutput> {
  return {
    scope: entry.scope,
    key: entry.key,
    value: entry.deleted || entry.valueJson === '' ? null : (JSON.parse(entry.valueJson) as unknown),
    version: Number(entry.version),
    deleted: entry.deleted,
    updated_by: entry.updatedBy,
    update_time: entry.updateTime ? fromTimestamp(entry.updateTime).toISOString() : '',
    log_position: Number(entry.logPosition),
  };
}

/** knowledge_search, context_get, context_put and context_list. */
export function builtInTools(deps: BuiltInToolDeps): McpTool[] {
  return [
    builtInTool(
      {
        name: 'knowledge_search',
        title: 'Search knowledge bases',
        description:
          "Searches the tenant's knowledge bases you may read (hybrid BM25 + dense when configured) and returns the best passages with citations: knowledge base, document, version, chunk and code point offsets into the document's text.",
        annotations: { readOnlyHint: true, openWorldHint: false },
        input: z.strictObject({
          query: z.string().min(1).max(2000).describe('What to look for, as you would ask a person'),
          knowledge_base_ids: z
            .array(z.string().min(1))
            .max(100)
            .optional()
            .describe('Only these knowledge bases; default every one you may read'),
          top_k: z.number().int().min(1).max(50).optional().describe('How many results (default 5)'),
          metadata_filter: z
            .record(z.string(), z.string())
            .optional()
            .describe("Exact-match filter on the documents' metadata (all pairs must match)"),
          min_score: z
            .number()
            .min(0)
            .max(1)
            .optional()
            .describe('Drop results scoring below this (0-1, after fusion)'),
        }),
        output: SearchOutput,
        method: [KnowledgeController, 'search'],
        subject: ResourcesSubjects.search,
        request: (input) => ({
          query: input.query,
          knowledgeBaseIds: input.knowledge_base_ids ?? [],
          topK: input.top_k ?? 0,
          metadataFilter: input.metadata_filter ?? {},
          minScore: input.min_score ?? 0,
          mode: SearchMode.SEARCH_MODE_UNSPECIFIED,
          minPosition: 0,
        }),
        result: searchOutput,
      },
      deps,
    ),
    builtInTool(
      {
        name: 'context_get',
        title: 'Read shared context',
        description: 'Reads one entry of the shared context: its current JSON value, or the value at a version.',
        annotations: { readOnlyHint: true, openWorldHint: false },
        input: z.strictObject({
          scope,
          key,
          version: z.number().int().min(1).optional().describe('A past version; default the current one'),
        }),
        output: ContextEntryOutput,
        method: [ContextController, 'getContext'],
        subject: ResourcesSubjects.getContext,
        request: (input) => ({ scope: input.scope, key: input.key, version: input.version ?? 0, minPosition: 0 }),
        result: contextEntryOutput,
      },
      deps,
    ),
    builtInTool(
      {
        name: 'context_put',
        title: 'Write shared context',
        description:
          'Sets the JSON value of a shared context entry (a new version; earlier versions stay readable). Pass expected_version (the version you last read; 0: the entry must not exist) so that a concurrent writer makes your write fail with ABORTED instead of being overwritten.',
        annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
        input: z.strictObject({
          scope,
          key,
          value: z
            .unknown()
            .refine((v) => v !== undefined, 'is required')
            .describe('Any JSON value (at most 64 KiB as JSON)'),
          expected_version: z.number().int().min(0).optional(),
          request_id: z
            .string()
            .min(1)
            .max(128)
            .optional()
            .describe('Idempotency key: a retry with the same request_id is recorded once; default a new one'),
        }),
        output: ContextEntryOutput,
        method: [ContextController, 'putContext'],
        subject: ResourcesSubjects.putContext,
        request: (input) => ({
          scope: input.scope,
          key: input.key,
          valueJson: JSON.stringify(input.value),
          expectedVersion: input.expected_version,
          requestId: input.request_id ?? randomUUID(),
        }),
        result: contextEntryOutput,
      },
      deps,
    ),
    builtInTool(
      {
        name: 'context_list',
        title: 'List shared context',
        description: "Lists the scope's shared context entries you may read (not deleted), by key, with their values.",
        annotations: { readOnlyHint: true, openWorldHint: false },
        input: z.strictObject({
          scope,
          key_prefix: z.string().optional().describe('Only keys starting with this'),
          page_size: z.number().int().min(1).max(1000).optional().describe('Default 50'),
          page_token: z.string().optional().describe('next_page_token of the previous page'),
        }),
        output: z.object({
          entries: z.array(ContextEntryOutput),
          next_page_token: z.string().describe('Empty on the last page'),
        }),
        method: [ContextController, 'listContext'],
        subject: ResourcesSubjects.listContext,
        request: (input) => ({
          scope: input.scope,
          keyPrefix: input.key_prefix ?? '',
          pageSize: input.page_size ?? 0,
          pageToken: input.page_token ?? '',
          minPosition: 0,
        }),
        result: (reply) => ({
          entries: (reply.entries ?? []).map(contextEntryOutput),
          next_page_token: reply.nextPageToken ?? '',
        }),
      },
      deps,
    ),
  ];
}
