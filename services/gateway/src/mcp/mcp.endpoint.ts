import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { status } from '@grpc/grpc-js';
import { Logger } from '@nestjs/common';
import type { ServiceClient } from '@aos/messaging';
import type { AccessModelFeed } from '../access-model.feed';
import type { CallContext, CallContextResolver } from '../call-context.resolver';
import { toGrpcError } from '../grpc-error.mapper';
import { closeHttpServer, listenHttp } from '../http-listener';
import { establishHttpCall } from './http-call.context';
import type { McpToolbox } from './mcp.toolbox';

/** Where MCP is served on AOS_MCP_ADDR. */
export const MCP_PATH = '/mcp';
/** Tool arguments and context values are at most 64 KiB each; a request body needs little more. */
const MAX_REQUEST_BODY_BYTES = 1024 * 1024;
// JSON-RPC's implementation-defined server errors (-32000 to -32099) for what is refused before MCP begins.
const JSON_RPC_SERVER_ERROR = -32000;
const JSON_RPC_UNAUTHENTICATED = -32001;

const logger = new Logger('McpEndpoint');

const HTTP_STATUS_BY_GRPC: Partial<Record<status, number>> = {
  [status.UNAUTHENTICATED]: 401,
  [status.PERMISSION_DENIED]: 403,
  [status.UNAVAILABLE]: 503,
  [status.DEADLINE_EXCEEDED]: 504,
};

export interface McpEndpointDeps {
  calls: CallContextResolver;
  access: AccessModelFeed;
  services: ServiceClient;
}

export interface McpEndpoint {
  /** host:port it is bound to (the real port when asked for port 0). */
  readonly address: string;
  close(): Promise<void>;
}

/**
 * The gateway's MCP endpoint: MCP over streamable HTTP at `/mcp` on
 * `address`, for any MCP client to use the tenant's shared resources under
 * the caller's own permissions (see McpToolbox).
 *
 * Stateless (no Mcp-Session-Id): every POST is authenticated with its own
 * `Authorization: Bearer` header, exactly as a gRPC call is, and answered by
 * a server made for it. So any gateway replica can answer any request behind
 * a plain load balancer (no sticky sessions, no shared session store), a
 * revoked key is refused on its very next request, and nothing is lost when a
 * replica goes away. The endpoint sends no server-initiated messages, which is
 * all a session would add; hence GET (a standalone SSE stream) and DELETE (end
 * a session) are 405, and replies are plain JSON.
 */
export async function startMcpEndpoint(address: string, deps: McpEndpointDeps): Promise<McpEndpoint> {
  // The MCP SDK (with its own zod, some 8 MiB) is loaded on the first request, so a gateway
  // nobody reaches over MCP does not carry it.
  let loading: Promise<McpServing> | undefined;
  const load = () =>
    (loading ??= mcpServing(deps).catch((err: unknown) => {
      // Tried again by the next request.
      loading = undefined;
      throw err;
    }));
  const server = createServer((request, response) => {
    serve(request, response, deps, load).catch((err: unknown) => {
      logger.error(`MCP request failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (!response.headersSent) refuse(response, 500, JSON_RPC_SERVER_ERROR, 'internal error');
      else response.destroy();
    });
  });
  const bound = await listenHttp(server, address);
  logger.log(`MCP (streamable HTTP) on http://${bound}${MCP_PATH}`);
  return { address: bound, close: () => closeHttpServer(server) };
}

interface McpServing {
  toolbox: McpToolbox;
  Transport: typeof import('@modelcontextprotocol/sdk/server/streamableHttp.js').StreamableHTTPServerTransport;
}

async function mcpServing(deps: McpEndpointDeps): Promise<McpServing> {
  const [{ McpToolbox }, { StreamableHTTPServerTransport }] = await Promise.all([
    import('./mcp.toolbox'),
    import('@modelcontextprotocol/sdk/server/streamableHttp.js'),
  ]);
  const toolbox = new McpToolbox({ services: deps.services, model: deps.access.model, logger });
  return { toolbox, Transport: StreamableHTTPServerTransport };
}

async function serve(
  request: IncomingMessage,
  response: ServerResponse,
  deps: McpEndpointDeps,
  load: () => Promise<McpServing>,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (path !== MCP_PATH) return refuse(response, 404, JSON_RPC_SERVER_ERROR, `not found: MCP is served at ${MCP_PATH}`);
  if (request.method !== 'POST') {
    response.setHeader('Allow', 'POST');
    return refuse(response, 405, JSON_RPC_SERVER_ERROR, 'method not allowed: this endpoint is stateless, POST only');
  }
  let call: CallContext;
  try {
    // As the PermissionGuard does first: no answer from a model that stopped following the log.
    deps.access.assertLive();
    call = await establishHttpCall(request, deps.calls);
  } catch (err) {
    return refuseCredentials(request, response, err);
  }
  const { toolbox, Transport } = await load();
  const mcp = toolbox.serverFor(call);
  const transport = new Transport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
    maxRequestBodySize: MAX_REQUEST_BODY_BYTES,
  });
  response.on('close', () => {
    void transport.close();
    void mcp.close();
  });
  await mcp.connect(transport);
  await transport.handleRequest(request, response);
}

/**
 * 401 for missing, malformed, unknown, expired or revoked credentials, with
 * `WWW-Authenticate: Bearer` (RFC 6750: an error code only when credentials
 * were sent); 503 when the gateway cannot check them now. The messages are
 * the gRPC ones, which never repeat what was presented.
 */
function refuseCredentials(request: IncomingMessage, response: ServerResponse, err: unknown): void {
  const { code, message } = toGrpcError(err, logger);
  const httpStatus = HTTP_STATUS_BY_GRPC[code] ?? 500;
  if (httpStatus === 401) {
    const challenge = request.headers.authorization
      ? `Bearer realm="agentos", error="invalid_token", error_description="${message.replace(/["\\]/g, "'")}"`
      : 'Bearer realm="agentos"';
    response.setHeader('WWW-Authenticate', challenge);
  }
  refuse(
    response,
    httpStatus,
    httpStatus === 401 ? JSON_RPC_UNAUTHENTICATED : JSON_RPC_SERVER_ERROR,
    `${status[code]}: ${message}`,
  );
}

/** A JSON-RPC error body: what an MCP client reads when a request is refused before MCP begins. */
function refuse(response: ServerResponse, httpStatus: number, code: number, message: string): void {
  response.writeHead(httpStatus, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}
