import { encodePageToken, fitReply, idOfIdOrName } from '@aos/request-fields';
export { MAX_LIST_REPLY_BYTES } from '@aos/request-fields';
import {
  TOOL_CATEGORY,
  TOOL_EVENTS_SCHEMA_VERSION,
  type ListToolsResponse,
  type RegisterMcpServerResponse,
  type Tool,
  type ToolEvent,
  type ToolRegistered,
  type ToolRiskName,
} from '@aos/contracts';
import { AosError, FailedPreconditionError, NotFoundError } from '@aos/errors';
import {
  type CommandPipeline,
  type NameLedger,
  type PipelineWaits,
  type RecordedStep,
  type WriterHost,
  writerPipeline,
} from '@aos/command-pipeline';
import type { RequestContext } from '@aos/messaging';
import type { DiscoveredMcpServer, DiscoveredMcpTool, McpServerDiscovery } from './mcp-server.discovery';
import { decide, initialToolStreamState, type ToolCommand, type ToolStreamState } from './tool.decider';
import { TOOL_EVENT_ID_NAMESPACE, httpToolIdFor, mcpServerIdFor, mcpToolIdFor } from './tool.ids';
import { validateInputSchema } from './tool.input-schema';
import { toProtoMcpServer, type ToolProjection, type ToolRecord } from './tool.projection';
import {
  filterKey,
  LIMITS,
  TOOL_NAME,
  type DisableToolMutation,
  type GetToolQuery,
  type ListToolsQuery,
  type RegisterMcpServerMutation,
  type RegisterToolMutation,
} from './tool.validation';

export interface ToolHandlerDeps extends WriterHost {
  /** Built from the log by `follower`; the only state commands are decided against. */
  projection: ToolProjection;
  discovery: McpServerDiscovery;
  /** Where tool names are held (unique per tenant across every resources instance). */
  names: NameLedger;
  waits?: Partial<PipelineWaits>;
}

/**
 * The gateway gives a request 15 s. A RegisterMcpServer spends up to 8 s on
 * discovery (mcp-server.discovery.ts), then up to writeMs, and after a lost
 * race catchUpMs: 14 s at most.
 */
export const DEFAULT_WAITS: PipelineWaits = { readMs: 5_000, writeMs: 4_000, catchUpMs: 2_000 };

/** Longest MCP tool name (the name a call sends, so it is refused, not cut). */
export const MAX_MCP_TOOL_NAME = 256;
/** serverName and serverVersion are informative only: cut to this. */
export const MAX_MCP_SERVER_INFO = 256;

/**
 * The tool registry's commands and queries: each command is a mapping to the
 * tool stream decider's command, handed to the command pipeline
 * (idempotency by request_id, unique names, optimistic appends, replies read
 * from the projection right after the command's own events).
 */
export class ToolHandler {
  /** The bootstrap feeds `pipeline.requests` from the tool subscription, after the projection. */
  readonly pipeline: CommandPipeline;

  constructor(private readonly deps: ToolHandlerDeps) {
    const { projection } = deps;
    this.pipeline = writerPipeline(deps, {
      model: 'tool',
      schemaVersion: TOOL_EVENTS_SCHEMA_VERSION,
      eventNamespace: TOOL_EVENT_ID_NAMESPACE,
      categories: [TOOL_CATEGORY],
      waits: { ...DEFAULT_WAITS, ...deps.waits },
      // Tool names are compared as written (they are lower case by their pattern).
      names: {
        ledger: deps.names,
        holders: {
          tool: { fold: (name) => name, holderOf: (tenantId, name) => projection.toolIdByName(tenantId, name) },
        },
      },
    });
  }

  registerTool(ctx: RequestContext, mutation: RegisterToolMutation): Promise<Tool> {
    const toolId = httpToolIdFor(ctx.tenantId, mutation.requestId);
    const tool: ToolRegistered = {
      toolId,
      name: mutation.name,
      description: mutation.description,
      kind: 'HTTP',
      risk: mutation.risk,
      http: mutation.http,
      mcp: null,
      inputSchemaJson: mutation.inputSchemaJson,
      createdBy: ctx.actor.id,
      // Only a priced tool's event says so: absent is free, as in every event before prices.
      ...(mutation.priceMicros > 0 ? { priceMicros: mutation.priceMicros } : {}),
    };
    return this.pipeline.handle(ctx, {
      ...this.registration(ctx, mutation.requestId, toolId, { type: 'RegisterHttpTool', tool }),
      replays: ['ToolRegistered'],
      reply: () => this.replyTool(ctx.tenantId, toolId),
    });
  }

  /** Discovers the server's tools (not again for a retry: that is answered from the log), then registers them. */
  registerMcpServer(ctx: RequestContext, mutation: RegisterMcpServerMutation): Promise<RegisterMcpServerResponse> {
    const serverId = mcpServerIdFor(ctx.tenantId, mutation.requestId);
    const request = {
      requestId: mutation.requestId,
      replays: ['McpServerRegistered'],
      sameTarget: (steps: readonly RecordedStep[]) => steps.every((s) => s.streamId === serverId),
      reply: () => this.replyServer(ctx.tenantId, serverId),
    };
    return this.pipeline.handleRequest(ctx, request, async (tx) => {
      const discovered = await this.deps.discovery.discover(mutation.url);
      const tools = discovered.tools.map((tool) => toolFromMcp(ctx, mutation, serverId, tool));
      requireDistinctNames(mutation.url, discovered, tools);
      const server = {
        serverId,
        url: mutation.url,
        serverName: discovered.serverName.slice(0, MAX_MCP_SERVER_INFO),
        serverVersion: discovered.serverVersion.slice(0, MAX_MCP_SERVER_INFO),
        tools,
        createdBy: ctx.actor.id,
      };
      try {
        await tx.commit(this.registration(ctx, mutation.requestId, serverId, { type: 'RegisterMcpServer', server }));
      } catch (err) {
        throw namePrefixConflict(err, tools) ?? err;
      }
    });
  }

  disable(ctx: RequestContext, mutation: DisableToolMutation): Promise<Tool> {
    const request = {
      requestId: mutation.requestId,
      replays: ['ToolDisabled'],
      sameTarget: (steps: readonly RecordedStep[]) =>
        steps.every((s) => (s.data as { toolId?: string }).toolId === mutation.toolId),
      reply: () => this.replyTool(ctx.tenantId, mutation.toolId),
    };
    return this.pipeline.handleRequest(ctx, request, async (tx) => {
      // The tool's stream: its own, or its MCP server's.
      const { streamId } = await this.requireTool(ctx.tenantId, mutation.toolId, true);
      await tx.commit({
        stream: { category: TOOL_CATEGORY, id: streamId },
        expectedRevision: mutation.expectedRevision,
        load: () => this.deps.projection.stream(ctx.tenantId, streamId),
        initial: initialToolStreamState,
        decide: (state) => decide({ type: 'DisableTool', toolId: mutation.toolId, reason: mutation.reason }, state),
      });
    });
  }

  async get(ctx: RequestContext, query: GetToolQuery): Promise<Tool> {
    await this.pipeline.reach(query.minPosition);
    const toolId = idOfIdOrName(query.tool, 'tool', (name) => this.deps.projection.toolIdByName(ctx.tenantId, name));
    return this.deps.projection.toProtoTool(await this.requireTool(ctx.tenantId, toolId, false));
  }

  async list(ctx: RequestContext, query: ListToolsQuery): Promise<ListToolsResponse> {
    await this.pipeline.reach(query.minPosition);
    const page = this.deps.projection.list(ctx.tenantId, query.filter, query.afterSeq, query.pageSize);
    // One tool is far below the limit (its schema is at most 64 KiB), so a page is never empty.
    const fit = fitReply(page.records.map((record) => this.deps.projection.toProtoTool(record)));
    const next = fit.cutAfter === undefined ? page.nextAfterSeq : page.records[fit.cutAfter]!.createSeq;
    return {
      tools: fit.items,
      nextPageToken: next === undefined ? '' : encodePageToken('ListTools', next, filterKey(query.filter)),
      totalSize: page.totalSize,
    };
  }

  /** A new tool stream: the command decided on it, and the names of its tools reserved first. */
  private registration(ctx: RequestContext, requestId: string, streamId: string, command: ToolCommand) {
    return {
      requestId,
      stream: { category: TOOL_CATEGORY, id: streamId },
      creates: true,
      load: () => this.deps.projection.stream(ctx.tenantId, streamId),
      initial: initialToolStreamState,
      decide: (state: ToolStreamState) => decide(command, state),
      names: (events: readonly ToolEvent[]) =>
        events.flatMap((event) => {
          const tools =
            event.type === 'ToolRegistered'
              ? [event.data]
              : event.type === 'McpServerRegistered'
                ? event.data.tools
                : [];
          return tools.map((tool) => ({
            kind: 'tool' as const,
            name: tool.name,
            holderId: tool.toolId,
            action: 'reserve' as const,
          }));
        }),
    };
  }

  private replyTool(tenantId: string, toolId: string): Tool {
    const record = this.deps.projection.tool(tenantId, toolId);
    if (!record) throw new AosError('INTERNAL', `tool ${toolId} was recorded but is not in the read model`);
    return this.deps.projection.toProtoTool(record);
  }

  private replyServer(tenantId: string, serverId: string): RegisterMcpServerResponse {
    const server = this.deps.projection.server(tenantId, serverId);
    if (!server) throw new AosError('INTERNAL', `MCP server ${serverId} was recorded but is not in the read model`);
    const tools = server.server.tools.map(({ toolId }) => {
      const record = this.deps.projection.tool(tenantId, toolId);
      if (!record) throw new AosError('INTERNAL', `tool ${toolId} of MCP server ${server.server.serverId} is missing`);
      return this.deps.projection.toProtoTool(record);
    });
    return { server: toProtoMcpServer(server), tools };
  }

  /** The tenant's tool; with `catchUp`, an unknown id first waits for the projection to reach the head. */
  private async requireTool(tenantId: string, toolId: string, catchUp: boolean): Promise<ToolRecord> {
    const record = await this.pipeline.find(() => this.deps.projection.tool(tenantId, toolId), catchUp);
    if (!record) throw new NotFoundError('tool', toolId);
    return record;
  }
}

/** A taken name among an MCP server's tools is the request's name_prefix to change. */
function namePrefixConflict(err: unknown, tools: readonly ToolRegistered[]): AosError | undefined {
  if (!(err instanceof AosError) || err.code !== 'ALREADY_EXISTS' || err.field !== 'tool.name') return undefined;
  const tool = tools.find((t) => err.message.includes(JSON.stringify(t.name)));
  if (!tool) return undefined;
  return new AosError(
    'ALREADY_EXISTS',
    `tool name ${JSON.stringify(tool.name)} (MCP tool ${JSON.stringify(tool.mcp?.toolName)}) is already taken in the tenant; register the server with another name_prefix`,
    'name_prefix',
  );
}

/**
 * A registry name for an MCP tool: the prefix, then the MCP name lower-cased
 * with every character outside [a-z0-9_-] replaced by "_", cut to 64.
 */
export function registryNameOf(prefix: string, mcpName: string): string {
  return `${prefix}${mcpName.toLowerCase().replace(/[^a-z0-9_-]/g, '_')}`.slice(0, LIMITS.name);
}

/**
 * The annotations decide when they say something (MCP: readOnlyHint, then
 * destructiveHint); otherwise the request's default, and without one
 * DESTRUCTIVE, as the MCP specification assumes for a tool that says nothing.
 */
export function riskOf(
  annotations: DiscoveredMcpTool['annotations'],
  defaultRisk: ToolRiskName | undefined,
): ToolRiskName {
  if (annotations.readOnlyHint === true) return 'READ';
  if (annotations.destructiveHint === true) return 'DESTRUCTIVE';
  if (annotations.destructiveHint === false) return 'WRITE';
  return defaultRisk ?? 'DESTRUCTIVE';
}

function toolFromMcp(
  ctx: RequestContext,
  mutation: RegisterMcpServerMutation,
  serverId: string,
  tool: DiscoveredMcpTool,
): ToolRegistered {
  if (tool.name.length > MAX_MCP_TOOL_NAME) {
    throw new FailedPreconditionError(
      `MCP tool ${JSON.stringify(tool.name.slice(0, 64))}… at ${mutation.url} has a name longer than ${MAX_MCP_TOOL_NAME} characters`,
    );
  }
  const name = registryNameOf(mutation.namePrefix, tool.name);
  if (!TOOL_NAME.test(name)) {
    throw new FailedPreconditionError(`MCP tool ${JSON.stringify(tool.name)} at ${mutation.url} has no usable name`);
  }
  let inputSchemaJson: string;
  try {
    inputSchemaJson = validateInputSchema('input_schema', tool.inputSchema);
  } catch (err) {
    throw new FailedPreconditionError(
      `MCP tool ${JSON.stringify(tool.name)} at ${mutation.url} has an unusable input schema: ${(err as Error).message}`,
    );
  }
  return {
    toolId: mcpToolIdFor(serverId, tool.name),
    name,
    description: tool.description.slice(0, LIMITS.description),
    kind: 'MCP',
    risk: riskOf(tool.annotations, mutation.defaultRisk),
    http: null,
    mcp: { serverId, serverUrl: mutation.url, toolName: tool.name },
    inputSchemaJson,
    createdBy: ctx.actor.id,
  };
}

function requireDistinctNames(url: string, discovered: DiscoveredMcpServer, tools: ToolRegistered[]): void {
  const seen = new Map<string, string>();
  tools.forEach((tool, i) => {
    const other = seen.get(tool.name);
    if (other !== undefined) {
      throw new FailedPreconditionError(
        `MCP tools ${JSON.stringify(other)} and ${JSON.stringify(discovered.tools[i]!.name)} at ${url} both become tool name ${JSON.stringify(tool.name)}`,
      );
    }
    seen.set(tool.name, discovered.tools[i]!.name);
  });
}
