import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export interface McpTestServer {
  /** The streamable HTTP endpoint, http://127.0.0.1:<port>/mcp. */
  url: string;
  /** How many HTTP requests reached the server (to prove a retry does not connect again). */
  requests(): number;
  stop(): Promise<void>;
}

export const MCP_SERVER_INFO = { name: 'weather-mcp', version: '1.2.3' };

/**
 * A real MCP server over streamable HTTP (the official SDK, stateless mode: a
 * fresh server and transport per request) with two tools: `get_forecast`,
 * annotated read-only, and `Send.Alert`, annotated with nothing.
 */
export async function startMcpTestServer(): Promise<McpTestServer> {
  let count = 0;
  const http: Server = createServer((req, res) => {
    count += 1;
    void (async () => {
      if (req.url !== '/mcp' || req.method !== 'POST') {
        res.writeHead(405).end();
        return;
      }
      const mcp = buildServer();
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => void transport.close().then(() => mcp.close()));
      await mcp.connect(transport);
      await transport.handleRequest(req, res, await readJson(req));
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    requests: () => count,
    stop: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

function buildServer(): McpServer {
  const server = new McpServer(MCP_SERVER_INFO);
  server.registerTool(
    'get_forecast',
    {
      description: 'Forecast for a city',
      inputSchema: { city: z.string().describe('City name'), days: z.number().int().min(1).max(7).optional() },
      annotations: { readOnlyHint: true },
    },
    async ({ city }) => ({ content: [{ type: 'text', text: `sunny in ${city}` }] }),
  );
  server.registerTool(
    'Send.Alert',
    { description: 'Sends a weather alert', inputSchema: { message: z.string() } },
    async () => ({ content: [{ type: 'text', text: 'sent' }] }),
  );
  return server;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}
