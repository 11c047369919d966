import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

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
