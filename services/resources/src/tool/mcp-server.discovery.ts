import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
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

/** A server listing more than this many tools is refused rather than registered by halves. */
export const MAX_MCP_TOOLS = 500;
const CLIENT_INFO = { name: 'aos-resources', version: '0.1.0' };

/**
 * Discovery over MCP streamable HTTP with the official SDK client: initialize,
 * `tools/list` page by page, close. Whatever goes wrong on the way (refused
 * connection, timeout, a server that does not speak MCP) is UNAVAILABLE with
 * the URL in the message, since the caller can only fix it at the server's end.
 */
export class StreamableHttpMcpDiscovery implements McpServerDiscovery {
  constructor(private readonly timeoutMs = 10_000) {}

  async discover(url: string): Promise<DiscoveredMcpServer> {
    const client = new Client(CLIENT_INFO);
    const signal = AbortSignal.timeout(this.timeoutMs);
    const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { signal } });
    const options = { timeout: this.timeoutMs, signal };
    try {
      await client.connect(transport, options);
      const info = client.getServerVersion();
      const tools: DiscoveredMcpTool[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor === undefined ? {} : { cursor }, options);
        for (const tool of page.tools) {
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
        if (tools.length > MAX_MCP_TOOLS) {
          throw new Error(`it lists more than ${MAX_MCP_TOOLS} tools`);
        }
        cursor = page.nextCursor;
      } while (cursor);
      return { serverName: info?.name ?? '', serverVersion: info?.version ?? '', tools };
    } catch (err) {
      throw new UnavailableError(`cannot list the tools of the MCP server at ${url}: ${describe(err)}`, {
        cause: err,
      });
    } finally {
      await client.close().catch(() => undefined);
    }
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // fetch reports "fetch failed" and keeps the reason (ECONNREFUSED, …) in its cause.
  const cause = err.cause instanceof Error ? ` (${err.cause.message})` : '';
  return `${err.message}${cause}`;
}
