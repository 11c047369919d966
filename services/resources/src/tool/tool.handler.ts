import { encodePageToken } from '@aos/request-fields';
import {
  TOOL_CATEGORY,
  TOOL_EVENTS_SCHEMA_VERSION,
  type ListToolsResponse,
  type RegisterMcpServerResponse,
  type Tool,
  type ToolEvent,
  type ToolEventType,
  type ToolRegistered,
  type ToolRiskName,
} from '@aos/contracts';
import {
  AlreadyExistsError,
  AosError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  RevisionMismatchError,
} from '@aos/errors';
import {
  ConcurrencyError,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type Subscription,
} from '@aos/event-store';
import { CommandLog, type CommandLogWaits } from '@aos/command-log';
import { KeyedMutex } from '@aos/keyed-mutex';
import type { RequestContext } from '@aos/messaging';
import type { DiscoveredMcpServer, DiscoveredMcpTool, McpServerDiscovery } from './mcp-server.discovery';
import { decide, initialToolStreamState, type ToolCommand } from './tool.decider';
import { eventIdFor, httpToolIdFor, mcpServerIdFor, mcpToolIdFor } from './tool.ids';
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

export interface ToolHandlerDeps {
  store: Pick<EventStore, 'append' | 'headPosition'>;
  projection: ToolProjection;
  subscription: Pick<Subscription, 'waitFor' | 'position'>;
  /** False once the subscription has stopped for good: the projection would answer from stale state. */
  isFollowing: () => boolean;
  discovery: McpServerDiscovery;
  waits?: Partial<ToolHandlerWaits>;
}

export type ToolHandlerWaits = CommandLogWaits;

/**
 * The gateway gives a request 15 s. A RegisterMcpServer spends up to 8 s on
 * discovery (mcp-server.discovery.ts), then up to writeMs, and after a lost
 * race catchUpMs: 14 s at most.
 */
export const DEFAULT_WAITS: ToolHandlerWaits = { readMs: 5_000, writeMs: 4_000, catchUpMs: 2_000 };

/** A ListTools page ends early rather than reach NATS's 1 MiB message limit (AIP-158 allows short pages). */
export const MAX_LIST_REPLY_BYTES = 768 * 1024;
/** Longest MCP tool name (the name a call sends, so it is refused, not cut). */
export const MAX_MCP_TOOL_NAME = 256;
/** serverName and serverVersion are informative only: cut to this. */
export const MAX_MCP_SERVER_INFO = 256;

const FIRST_EVENT_OF: Record<'RegisterTool' | 'RegisterMcpServer' | 'DisableTool', ToolEventType> = {
  RegisterTool: 'ToolRegistered',
  RegisterMcpServer: 'McpServerRegistered',
  DisableTool: 'ToolDisabled',
};

/**
 * The tool registry's commands and queries, decided against the in-memory
 * projection. Every mutation is idempotent by request_id and replies with the
 * projection as it stands right after its own events (read-your-writes).
 */
export class ToolHandler {
  /** Serialises the requests that share a request_id, so a quick retry waits for the first attempt's reply. */
  private readonly requests = new KeyedMutex();
  /**
   * Serialises registrations per tenant, so two concurrent requests cannot both
   * find a name free. An MCP registration claims many names at once, hence one
   * key per tenant. Within one resources instance only; uniqueness across
   * several would need a name reservation stream.
   */
  private readonly names = new KeyedMutex();
  /**
   * Names appended but maybe not yet in the projection, per tenant, with the
   * position of their event. A registration whose wait for the projection
   * times out leaves the lock while the projection lacks its names; this
   * keeps the next one from taking them meanwhile. Guarded by `names`.
   */
  private readonly pendingNames = new Map<string, Map<string, { toolId: string; position: number }>>();
  private readonly log: CommandLog;

  constructor(private readonly deps: ToolHandlerDeps) {
    this.log = new CommandLog({
      store: deps.store,
      followers: [deps.subscription],
      isFollowing: deps.isFollowing,
      model: 'tool',
      schemaVersion: TOOL_EVENTS_SCHEMA_VERSION,
      eventIdFor,
      waits: { ...DEFAULT_WAITS, ...deps.waits },
    });
  }

  async registerTool(ctx: RequestContext, mutation: RegisterToolMutation): Promise<Tool> {
    this.log.requireFollowing();
    return this.requests.run(requestKey(ctx, mutation.requestId), async () => {
      if (this.replay(ctx, mutation)) return this.replyTool(ctx.tenantId, mutation.requestId);
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
      };
      await this.register(ctx, mutation, toolId, [tool], { type: 'RegisterHttpTool', tool });
      return this.replyTool(ctx.tenantId, mutation.requestId);
    });
  }

  async registerMcpServer(
    ctx: RequestContext,
    mutation: RegisterMcpServerMutation,
  ): Promise<RegisterMcpServerResponse> {
    this.log.requireFollowing();
    return this.requests.run(requestKey(ctx, mutation.requestId), async () => {
      // A retry answers from the log, without connecting to the server again.
      if (this.replay(ctx, mutation)) return this.replyServer(ctx.tenantId, mutation.requestId);
      const discovered = await this.deps.discovery.discover(mutation.url);
      const serverId = mcpServerIdFor(ctx.tenantId, mutation.requestId);
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
      await this.register(ctx, mutation, serverId, tools, { type: 'RegisterMcpServer', server });
      return this.replyServer(ctx.tenantId, mutation.requestId);
    });
  }

  async disable(ctx: RequestContext, mutation: DisableToolMutation): Promise<Tool> {
    this.log.requireFollowing();
    return this.requests.run(requestKey(ctx, mutation.requestId), async () => {
      if (this.replay(ctx, mutation)) return this.replyTool(ctx.tenantId, mutation.requestId);
      return this.log.decideUntilAppended(
        `tool ${mutation.toolId}`,
        mutation.expectedRevision,
        () => {
          const streamId = this.deps.projection.tool(ctx.tenantId, mutation.toolId)?.streamId;
          return streamId === undefined ? -1 : (this.deps.projection.stream(ctx.tenantId, streamId)?.revision ?? -1);
        },
        async () => {
          const record = await this.requireTool(ctx.tenantId, mutation.toolId, true);
          const stream = this.deps.projection.stream(ctx.tenantId, record.streamId)!;
          if (mutation.expectedRevision !== undefined && mutation.expectedRevision !== stream.revision) {
            throw new RevisionMismatchError(mutation.expectedRevision, stream.revision);
          }
          const command: ToolCommand = { type: 'DisableTool', toolId: mutation.toolId, reason: mutation.reason };
          const events = decide(command, stream.state);
          const result = await this.append(ctx, mutation.requestId, record.streamId, events, stream.revision);
          await this.log.written(result.position);
          return this.replyTool(ctx.tenantId, mutation.requestId);
        },
      );
    });
  }

  async get(ctx: RequestContext, query: GetToolQuery): Promise<Tool> {
    this.log.requireFollowing();
    await this.log.reach(query.minPosition);
    return this.deps.projection.toProtoTool(await this.requireTool(ctx.tenantId, query.toolId, false));
  }

  async list(ctx: RequestContext, query: ListToolsQuery): Promise<ListToolsResponse> {
    this.log.requireFollowing();
    await this.log.reach(query.minPosition);
    const page = this.deps.projection.list(ctx.tenantId, query.filter, query.afterSeq, query.pageSize);
    const tools: Tool[] = [];
    let bytes = 0;
    let next = page.nextAfterSeq;
    for (const [i, record] of page.records.entries()) {
      const tool = this.deps.projection.toProtoTool(record);
      bytes += Buffer.byteLength(JSON.stringify(tool), 'utf8');
      // One tool is far below the limit (its schema is at most 64 KiB), so a page is never empty.
      if (i > 0 && bytes > MAX_LIST_REPLY_BYTES) {
        next = page.records[i - 1]!.createSeq;
        break;
      }
      tools.push(tool);
    }
    return {
      tools,
      nextPageToken: next === undefined ? '' : encodePageToken('ListTools', next, filterKey(query.filter)),
      totalSize: page.totalSize,
    };
  }

  /** Checks the names, decides and appends a new stream; waits until the projection has the result. */
  private async register(
    ctx: RequestContext,
    mutation: RegisterToolMutation | RegisterMcpServerMutation,
    streamId: string,
    tools: ToolRegistered[],
    command: ToolCommand,
  ): Promise<void> {
    await this.names.run(ctx.tenantId, async () => {
      const pending = this.pendingOf(ctx.tenantId);
      for (const tool of tools) {
        const holder = this.deps.projection.toolIdByName(ctx.tenantId, tool.name) ?? pending.get(tool.name)?.toolId;
        if (holder === undefined || holder === tool.toolId) continue;
        if (mutation.type === 'RegisterTool') throw new AlreadyExistsError('tool', 'tool.name', tool.name);
        throw new AosError(
          'ALREADY_EXISTS',
          `tool name ${JSON.stringify(tool.name)} (MCP tool ${JSON.stringify(tool.mcp?.toolName)}) is already taken in the tenant; register the server with another name_prefix`,
          'name_prefix',
        );
      }
      const state = this.deps.projection.stream(ctx.tenantId, streamId)?.state ?? initialToolStreamState;
      const events = decide(command, state);
      try {
        const result = await this.append(ctx, mutation.requestId, streamId, events, 'no_stream');
        for (const tool of tools) pending.set(tool.name, { toolId: tool.toolId, position: result.position });
        await this.log.written(result.position);
      } catch (err) {
        if (!(err instanceof ConcurrencyError)) throw err;
        // The stream exists: another instance handled this very request. Answer as it did.
        await this.log.catchUp();
        if (!this.replay(ctx, mutation)) throw new AlreadyExistsError('tool', 'id', streamId);
      }
    });
  }

  /** The tenant's pending names, without those the projection has applied by now. */
  private pendingOf(tenantId: string): Map<string, { toolId: string; position: number }> {
    let pending = this.pendingNames.get(tenantId);
    if (!pending) {
      pending = new Map();
      this.pendingNames.set(tenantId, pending);
    }
    const applied = this.deps.subscription.position;
    for (const [name, entry] of pending) if (entry.position <= applied) pending.delete(name);
    return pending;
  }

  /** Whether this request_id already caused events; refuses one reused for a different request. */
  private replay(
    ctx: RequestContext,
    mutation: RegisterToolMutation | RegisterMcpServerMutation | DisableToolMutation,
  ): boolean {
    const reply = this.deps.projection.reply(ctx.tenantId, mutation.requestId);
    if (!reply) return false;
    const sameTarget = mutation.type !== 'DisableTool' || reply.toolId === mutation.toolId;
    if (reply.eventType !== FIRST_EVENT_OF[mutation.type] || !sameTarget) {
      throw new InvalidArgumentError('request_id', 'was already used for a different request');
    }
    return true;
  }

  private replyTool(tenantId: string, requestId: string): Tool {
    const reply = this.deps.projection.reply(tenantId, requestId);
    const record = reply?.toolId === undefined ? undefined : this.deps.projection.tool(tenantId, reply.toolId);
    if (!record) throw new AosError('INTERNAL', `request ${requestId} was recorded but is not in the read model`);
    return this.deps.projection.toProtoTool(record);
  }

  private replyServer(tenantId: string, requestId: string): RegisterMcpServerResponse {
    const reply = this.deps.projection.reply(tenantId, requestId);
    const server = reply ? this.deps.projection.server(tenantId, reply.streamId) : undefined;
    if (!server) throw new AosError('INTERNAL', `request ${requestId} was recorded but is not in the read model`);
    const tools = server.server.tools.map(({ toolId }) => {
      const record = this.deps.projection.tool(tenantId, toolId);
      if (!record) throw new AosError('INTERNAL', `tool ${toolId} of MCP server ${server.server.serverId} is missing`);
      return this.deps.projection.toProtoTool(record);
    });
    return { server: toProtoMcpServer(server), tools };
  }

  /** The tenant's tool; with `catchUp`, an unknown id first waits for the projection to reach the head. */
  private async requireTool(tenantId: string, toolId: string, catchUp: boolean): Promise<ToolRecord> {
    const record = await this.log.find(() => this.deps.projection.tool(tenantId, toolId), catchUp);
    if (!record) throw new NotFoundError('tool', toolId);
    return record;
  }

  private append(
    ctx: RequestContext,
    requestId: string,
    streamId: string,
    events: ToolEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult> {
    const stream = { tenantId: ctx.tenantId, category: TOOL_CATEGORY, id: streamId };
    return this.log.append(ctx, requestId, stream, events, expectedRevision);
  }
}

function requestKey(ctx: RequestContext, requestId: string): string {
  return `${ctx.tenantId}\u0000${requestId}`;
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
