import { createServer } from 'node:net';

/** Thrown when AOS_GATEWAY_ADDR cannot be split into host and port. */
export class ListenAddressError extends Error {
  override name = 'ListenAddressError';
}

export function splitHostPort(address: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:]+\]|[^\s:]+):(\d{1,5})$/.exec(address);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65_535) throw new ListenAddressError(`expected host:port, got ${JSON.stringify(address)}`);
  return { host: match[1], port };
}

/**
 * Nest's gRPC server binds the address it is given but drops the port grpc-js
 * reports (ServerGrpc.createClient), so for port 0 the kernel is asked for a
 * free port here and that concrete address is handed to Nest. Another process
 * could take the port in between; startGateway retries when that happens.
 */
export async function concreteListenAddress(address: string): Promise<string> {
  const { host, port } = splitHostPort(address);
  if (port !== 0) return address;
  const bindHost = host.startsWith('[') ? host.slice(1, -1) : host;
  const free = await new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, bindHost, () => {
      const bound = server.address();
      server.close(() =>
        typeof bound === 'object' && bound ? resolve(bound.port) : reject(new Error('no port bound')),
      );
    });
  });
  return `${host}:${free}`;
}
