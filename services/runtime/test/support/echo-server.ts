import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Tool } from '@aos/contracts';
import type { AosClient } from '@aos/grpc-client';

export interface EchoServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Every request body received, in order. */
  readonly requests: string[];
  stop(): Promise<void>;
}

/** An HTTP tool for the tests: answers every JSON request with `{"echoed": <the request>}` and keeps what it got. */
export async function startEchoServer(): Promise<EchoServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      requests.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ echoed: JSON.parse(body) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Registers `<echo>/<name>` as a READ HTTP tool named `<name>-<6 random characters>`, free unless priced. */
export function registerEchoTool(api: AosClient, echo: EchoServer, name: string, priceMicros = 0): Promise<Tool> {
  return api.tools.registerTool({
    tool: {
      name: `${name}-${randomUUID().slice(0, 6)}`,
      description: `${name} over HTTP`,
      risk: 'READ' as Tool['risk'],
      http: { endpoint: `${echo.url}/${name}`, method: 'POST' },
      inputSchemaJson: '{"type":"object"}',
      priceMicros,
    } as Tool,
    requestId: randomUUID(),
  });
}
