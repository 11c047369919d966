import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { splitHostPort } from './listen-address';

/** Listens on `address` (host:port; port 0 for a free one) and answers the host:port actually bound. */
export async function listenHttp(server: HttpServer, address: string): Promise<string> {
  const { host, port } = splitHostPort(address);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host.replace(/^\[|\]$/g, ''), () => {
      server.off('error', reject);
      resolve();
    });
  });
  return `${host}:${(server.address() as AddressInfo).port}`;
}

/** Stops listening and ends the connections still open (idle keep-alives, calls and streams in flight). */
export function closeHttpServer(server: HttpServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
