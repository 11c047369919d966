import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { ToolRegistered } from '@aos/contracts';

/** What a tool did: its result (ok) or what went wrong (error), in words fit for the model and the log. */
export interface ToolExecution {
  outcome: 'ok' | 'error';
  result: string;
  error: string;
}

export interface ToolExecutor {
  execute(tool: ToolRegistered, args: Record<string, unknown>, signal: AbortSignal): Promise<ToolExecution>;
}

export const TOOL_CALL_TIMEOUT_MS = 30_000;
/** Bytes of a tool's answer read at most; the rest is dropped (and the log keeps 8 KiB of it). */
export const MAX_TOOL_RESPONSE_BYTES = 256 * 1024;
const CLIENT_INFO = { name: 'aos-runtime', version: '0.1.0' };

/**
 * Calls HTTP tools with fetch (JSON body; query string for GET and DELETE)
 * and MCP tools with the official SDK client over streamable HTTP. Each call
 * is bounded in time and in bytes read. Error texts name what failed (status,
 * timeout, connection) but never quote the endpoint, whose query may hold a
 * credential.
 */
export class HttpAndMcpToolExecutor implements ToolExecutor {
  constructor(private readonly timeoutMs = TOOL_CALL_TIMEOUT_MS) {}

  async execute(tool: ToolRegistered, args: Record<string, unknown>, signal: AbortSignal): Promise<ToolExecution> {
    // The MCP client is loaded (once) before the call's deadline starts: loading it is not the tool's time.
    if (tool.kind === 'MCP') {
      try {
        await loadMcpClient();
      } catch (err) {
        return failed(`the MCP client could not be loaded: ${describeFailure(err)}`);
      }
    }
    const deadline = AbortSignal.timeout(this.timeoutMs);
    const bounded = AbortSignal.any([signal, deadline]);
    try {
      if (tool.kind === 'HTTP' && tool.http) return await this.http(tool.http, args, bounded);
      if (tool.kind === 'MCP' && tool.mcp) return await this.mcp(tool.mcp, args, bounded);
      return failed(`tool ${tool.name} has no ${tool.kind} endpoint`);
    } catch (err) {
      if (deadline.aborted) return failed(`the tool did not answer within ${this.timeoutMs} ms`);
      if (signal.aborted) throw signal.reason;
      return failed(describeFailure(err));
    }
  }

  private async http(
    http: NonNullable<ToolRegistered['http']>,
    args: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<ToolExecution> {
    const url = new URL(http.endpoint);
    const init: RequestInit = { method: http.method, signal, redirect: 'error', headers: { accept: '*/*' } };
    if (http.method === 'GET' || http.method === 'DELETE') {
      for (const [key, value] of Object.entries(args)) {
        url.searchParams.append(key, typeof value === 'string' ? value : JSON.stringify(value));
      }
    } else {
      init.body = JSON.stringify(args);
      init.headers = { 'content-type': 'application/json', accept: '*/*' };
    }
    const response = await fetch(url, init);
    const text = await readCapped(response);
    if (!response.ok) return failed(`HTTP ${response.status}${text ? `: ${text}` : ''}`);
    return { outcome: 'ok', result: text, error: '' };
  }

  private async mcp(
    mcp: NonNullable<ToolRegistered['mcp']>,
    args: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<ToolExecution> {
    const { Client, StreamableHTTPClientTransport } = await loadMcpClient();
    const client = new Client(CLIENT_INFO);
    const transport = new StreamableHTTPClientTransport(new URL(mcp.serverUrl), {
      // The SDK replaces requestInit.signal with its own; the deadline goes into fetch itself.
      fetch: (input, init) =>
        fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal }),
    });
    try {
      const options = { signal, timeout: this.timeoutMs };
      await client.connect(transport, options);
      const result = await client.callTool({ name: mcp.toolName, arguments: args }, undefined, options);
      const text = mcpText(result);
      if (result.isError) return failed(text || 'the MCP tool reported an error');
      return { outcome: 'ok', result: text, error: '' };
    } finally {
      await Promise.race([client.close().catch(() => undefined), delay(1_000)]);
    }
  }
}

/** The MCP SDK's client (ajv, zod-to-json-schema, jose: ~200 modules), loaded by the first MCP tool call. */
let mcpClient:
  | Promise<{
      Client: typeof import('@modelcontextprotocol/sdk/client/index.js').Client;
      StreamableHTTPClientTransport: typeof import('@modelcontextprotocol/sdk/client/streamableHttp.js').StreamableHTTPClientTransport;
    }>
  | undefined;
const loadMcpClient = () =>
  (mcpClient ??= Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
  ]).then(
    ([client, transport]) => ({
      Client: client.Client,
      StreamableHTTPClientTransport: transport.StreamableHTTPClientTransport,
    }),
    (err: unknown) => {
      // Not kept: the next call tries again.
      mcpClient = undefined;
      throw err;
    },
  ));

function failed(error: string): ToolExecution {
  return { outcome: 'error', result: '', error };
}

/** The text of an MCP tool result: its text parts, other parts as JSON, or the structured content. */
function mcpText(result: Awaited<ReturnType<Client['callTool']>>): string {
  const content = Array.isArray(result.content) ? (result.content as { type: string; text?: string }[]) : [];
  const parts = content.map((part) => (part.type === 'text' ? (part.text ?? '') : JSON.stringify(part)));
  if (parts.length === 0 && result.structuredContent !== undefined) return JSON.stringify(result.structuredContent);
  return parts.join('\n');
}

async function readCapped(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    bytes += value.byteLength;
    if (bytes >= MAX_TOOL_RESPONSE_BYTES) {
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, MAX_TOOL_RESPONSE_BYTES).toString('utf8');
}

function describeFailure(err: unknown): string {
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return `cannot connect to the tool (${cause.code})`;
  if (err instanceof Error && err.name === 'McpError') return `the MCP server refused the call: ${err.message}`;
  return `the tool call failed: ${err instanceof Error ? err.name : 'unknown error'}`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
