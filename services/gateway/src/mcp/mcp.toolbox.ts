import { status } from '@grpc/grpc-js';
import type { Logger } from '@nestjs/common';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
  type ListToolsResult,
} from '@modelcontextprotocol/sdk/types.js';
import { inSpan, readTraceContext, SpanKind, tracerOf } from '@aos/telemetry';
import type { CallContext } from '../call-context.resolver';
import { toGrpcError } from '../grpc-error.mapper';
import { builtInTools, type BuiltInToolDeps, type McpTool } from './built-in.tools';
import { REGISTERED_TOOL_PREFIX, RegisteredTools } from './registered.tools';

const SERVER_INFO = { name: 'agentos', version: '0.1.0' };
const INSTRUCTIONS =
  "AgentOS shares its tenant's resources under the caller's own permissions: knowledge_search searches the " +
  'knowledge bases with citations; context_get, context_put and context_list read and write shared context ' +
  '(versioned JSON values by scope and key); tool_<name> are the registered tools you may call. A refusal is ' +
  'a tool error naming the permission that is missing.';

/** Every tool of the MCP endpoint: the built-in ones, then the caller's registered tools. */
export class McpToolbox {
  private readonly builtIns: ReadonlyMap<string, McpTool>;
  private readonly registered: RegisteredTools;

  private readonly logger: Logger;

  constructor(deps: BuiltInToolDeps) {
    this.logger = deps.logger;
    this.builtIns = new Map(builtInTools(deps).map((tool) => [tool.definition.name, tool]));
    this.registered = new RegisteredTools(deps);
  }

  async list(call: CallContext): Promise<ListToolsResult> {
    const builtIns = [...this.builtIns.values()].map((tool) => tool.definition);
    try {
      return { tools: [...builtIns, ...(await this.registered.list(call))] };
    } catch (err) {
      // A list without the registered tools would hide them without a word; the client may ask again.
      const { code, message } = toGrpcError(err, this.logger);
      throw new McpError(ErrorCode.InternalError, `${status[code]}: cannot list the registered tools: ${message}`);
    }
  }

  /**
   * One tools/call, in a SERVER span `tools/call <name>` (the MCP and GenAI
   * conventions' names) continuing the caller's `traceparent` header, like a
   * gRPC call's span: the NATS requests it makes join that trace. A tool's
   * error answer is error.type `tool_error`; arguments and results stay off it.
   */
  call(call: CallContext, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
    const { ctx } = call;
    return inSpan(
      tracerOf('@aos/gateway'),
      `tools/call ${name}`,
      {
        kind: SpanKind.SERVER,
        parent: readTraceContext(ctx, (c, key) => (key === 'traceparent' ? c.traceparent : undefined)),
        attributes: {
          'mcp.method.name': 'tools/call',
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': name,
          'aos.tenant.id': ctx.tenantId,
          'aos.principal': call.caller.identity.subject,
          'aos.actor.kind': ctx.actor.kind,
          'aos.actor.id': ctx.actor.id,
        },
      },
      async (span) => {
        const result = await this.dispatch(call, name, args);
        if (result.isError) span.setAttribute('error.type', 'tool_error');
        return result;
      },
    );
  }

  private dispatch(call: CallContext, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
    const builtIn = this.builtIns.get(name);
    if (builtIn) return builtIn.call(call, args);
    if (name.startsWith(REGISTERED_TOOL_PREFIX) && name.length > REGISTERED_TOOL_PREFIX.length) {
      return this.registered.call(call, name, args);
    }
    // A name that cannot be a tool is a protocol error (the spec's "unknown tool"), not a tool's answer.
    throw new McpError(ErrorCode.InvalidParams, `unknown tool ${JSON.stringify(name)}`);
  }

  /**
   * An MCP server for one authenticated HTTP request (the endpoint is
   * stateless: each request is authenticated and served on its own). The
   * low-level Server, because the tool list is the caller's and registered
   * tools bring their own JSON Schemas, which McpServer's registerTool cannot take.
   */
  serverFor(call: CallContext): Server {
    const server = new Server(SERVER_INFO, { capabilities: { tools: {} }, instructions: INSTRUCTIONS });
    server.setRequestHandler(ListToolsRequestSchema, () => this.list(call));
    server.setRequestHandler(CallToolRequestSchema, (request) =>
      this.call(call, request.params.name, request.params.arguments ?? {}),
    );
    return server;
  }
}
