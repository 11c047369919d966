import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A deliberately simple (and, as each test wants, misbehaving) MCP server on
 * 127.0.0.1: plain JSON-RPC over HTTP POST, answering `initialize` itself and
 * handing every other message to the test's `answer`.
 */
export interface RawMcpServer {
  url: string;
  stop(): Promise<void>;
}

export interface JsonRpcMessage {
  jsonrpc: '2.0';
  id?: number | string;
  method: string;
  params?: Record<string, unknown>;
}

/** Answers one message: the JSON-RPC result, 'silent' to never answer, or writes the response itself. */
export type Answer = (message: JsonRpcMessage, res: ServerResponse) => unknown | 'silent' | 'handled';

/** With `initialize: false`, `answer` gets the initialize request as well. */
export async function startRawMcpServer(answer: Answer, options = { initialize: true }): Promise<RawMcpServer> {
  const server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      if (req.method !== 'POST') {
        res.writeHead(405).end();
        return;
      }
      const message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as JsonRpcMessage;
      const result =
        message.method === 'initialize' && options.initialize
          ? {
              protocolVersion: message.params?.protocolVersion,
              capabilities: { tools: {} },
              serverInfo: { name: 'raw', version: '1' },
            }
          : answer(message, res);
      if (result === 'silent' || result === 'handled') return;
      if (message.id === undefined) {
        res.writeHead(202).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: message.id, result }));
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Answers `tools/list` with these tools on one page, and notifications with 202. */
export function listing(tools: unknown[]): Answer {
  return (message) => (message.method === 'tools/list' ? { tools } : {});
}
