import { setMaxListeners } from 'node:events';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnavailableError } from '@aos/errors';

/** One tool as an MCP server lists it (`tools/list`). */
export interface DiscoveredMcpTool {
  name: string;
  description: string;
  inputSchema: unknown;
  annotations: { readOnlyHint?: boolean; destructiveHint?: boolean };
}

export interface DiscoveredMcpServer {
  serverName: string;
  serverVersion: string;
  tools: DiscoveredMcpTool[];
}

/** Lists the tools of the MCP server at a URL. */
export interface McpServerDiscovery {
  discover(url: string): Promise<DiscoveredMcpServer>;
}

export interface DiscoveryLimits {
  /** The whole discovery (connect, every page, close) ends within this. */
  timeoutMs: number;
  /** `tools/list` pages followed at most. */
  maxPages: number;
  /** Bytes of all response bodies together. */
  maxResponseBytes: number;
}

/**
 * The gateway gives a request 15 s; discovery plus the wait for the read model
 * (see tool.handler.ts) must fit in it.
 */
export const DEFAULT_DISCOVERY_LIMITS: DiscoveryLimits = {
  timeoutMs: 8_000,
  maxPages: 50,
  maxResponseBytes: 4 * 1024 * 1024,
};

/** A server listing more than this many tools is refused rather than registered by halves. */
export const MAX_MCP_TOOLS = 500;
const CLIENT_INFO = { name: 'aos-resources', version: '0.1.0' };

/** A reason written by this module: safe to show, unlike anything the server sent. */
class DiscoveryProblem extends Error {
  override name = 'DiscoveryProblem';
}

/**
 * Discovery over MCP streamable HTTP with the official SDK client: initialize,
 * `tools/list` page by page, close. Whatever goes wrong on the way (refused
 * connection, timeout, a server that does not speak MCP) is UNAVAILABLE with
 * the URL in the message, since the caller can only fix it at the server's end.
 *
 * The URL is the caller's choice, so the server may be hostile or may be an
 * internal service that is no MCP server at all: the messages never quote a
 * response (only its HTTP status), and time, pages and bytes are bounded. The
 * SDK replaces `requestInit.signal` with its own, hence the deadline goes into
 * a fetch of our own, and the whole discovery races it as well.
 */
export class StreamableHttpMcpDiscovery implements McpServerDiscovery {
  private readonly limits: DiscoveryLimits;

  constructor(limits: Partial<DiscoveryLimits> = {}) {
    this.limits = { ...DEFAULT_DISCOVERY_LIMITS, ...limits };
  }

  async discover(url: string): Promise<DiscoveredMcpServer> {
    // The MCP SDK (with ajv, zod-to-json-schema and jose: ~200 modules) loads at the first discovery, not in
    // every resources process at start; before the deadline's timer starts.
    const [{ Client }, { StreamableHTTPClientTransport }] = await Promise.all([
      import('@modelcontextprotocol/sdk/client/index.js'),
      import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
    ]);
    const { timeoutMs, maxResponseBytes } = this.limits;
    const stop = new AbortController();
    // Every page's request and fetch listen on it; maxPages bounds how many.
    setMaxListeners(4 * this.limits.maxPages + 16, stop.signal);
    const timer = setTimeout(
      () => stop.abort(new DiscoveryProblem(`it did not complete discovery within ${timeoutMs} ms`)),
      timeoutMs,
    );
    let lastStatus: number | undefined;
    let bytes = 0;
    const boundedFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const signal = init?.signal ? AbortSignal.any([init.signal, stop.signal]) : stop.signal;
      const response = await fetch(input, { ...init, signal });
      if (response.status >= 400) lastStatus = response.status;
      if (!response.body) return response;
      const counted = response.body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            bytes += chunk.byteLength;
            if (bytes > maxResponseBytes) {
              const problem = new DiscoveryProblem(`its responses exceed ${maxResponseBytes} bytes`);
              stop.abort(problem);
              controller.error(problem);
              return;
            }
            controller.enqueue(chunk);
          },
        }),
      );
      return new Response(counted, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    };
    const client = new Client(CLIENT_INFO);
    const transport = new StreamableHTTPClientTransport(new URL(url), { fetch: boundedFetch });
    const aborted = new Promise<never>((_, reject) => {
      stop.signal.addEventListener('abort', () => reject(stop.signal.reason as Error), { once: true });
    });
    aborted.catch(() => undefined);
    try {
      return await Promise.race([this.list(client, transport, stop.signal), aborted]);
    } catch (err) {
      const reason = stop.signal.aborted ? stop.signal.reason : err;
      throw new UnavailableError(`cannot list the tools of the MCP server at ${url}: ${describe(reason, lastStatus)}`, {
        cause: err,
      });
    } finally {
      clearTimeout(timer);
      stop.abort(new DiscoveryProblem('discovery ended'));
      // close() only aborts the transport's requests; bounded anyway, so nothing can hold a request open.
      await Promise.race([client.close().catch(() => undefined), delay(1_000)]);
    }
  }

  private async list(
    client: Client,
    transport: StreamableHTTPClientTransport,
    signal: AbortSignal,
  ): Promise<DiscoveredMcpServer> {
    const options = { timeout: this.limits.timeoutMs, signal };
    await client.connect(transport, options);
    const info = client.getServerVersion();
    const tools: DiscoveredMcpTool[] = [];
    const cursors = new Set<string>();
    let cursor: string | undefined;
    for (let page = 1; ; page++) {
      const result = await client.listTools(cursor === undefined ? {} : { cursor }, options);
      for (const tool of result.tools) {
        tools.push({
          name: tool.name,
          description: tool.description ?? '',
          inputSchema: tool.inputSchema,
          annotations: {
            readOnlyHint: tool.annotations?.readOnlyHint,
            destructiveHint: tool.annotations?.destructiveHint,
          },
        });
      }
      if (tools.length > MAX_MCP_TOOLS) throw new DiscoveryProblem(`it lists more than ${MAX_MCP_TOOLS} tools`);
      cursor = result.nextCursor;
      if (!cursor) break;
      if (cursors.has(cursor)) throw new DiscoveryProblem('its tools/list repeats a cursor');
      if (page >= this.limits.maxPages) {
        throw new DiscoveryProblem(`its tools/list has more than ${this.limits.maxPages} pages`);
      }
      cursors.add(cursor);
    }
    return { serverName: info?.name ?? '', serverVersion: info?.version ?? '', tools };
  }
}

/** Says what went wrong without repeating what the server sent. */
function describe(err: unknown, lastStatus: number | undefined): string {
  if (err instanceof DiscoveryProblem) return err.message;
  if (lastStatus !== undefined) return `it answered HTTP ${lastStatus}`;
  // fetch reports "fetch failed" and keeps the reason (ECONNREFUSED, …) in its cause.
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return `cannot connect (${cause.code})`;
  return 'it does not answer as an MCP server over streamable HTTP';
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
