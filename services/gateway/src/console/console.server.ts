import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Logger } from '@nestjs/common';
import type { Http2SessionManager } from '@connectrpc/connect-node';
import { localAddressOf, type ConsoleOidcSettings } from '@aos/config';
import { closeHttpServer, listenHttp } from '../http-listener';
import { consoleFiles, DEFAULT_CONSOLE_DIST } from './console.static';

/**
 * A browser's request body is at most this: the gRPC server refuses more than
 * 1 MiB less 64 KiB anyway (a request travels on over NATS), and the bridge
 * need not hold more in memory to let it say so.
 */
export const MAX_CONSOLE_REQUEST_BYTES = 1024 * 1024;

// An RPC is POSTed to /<package>.<Service>/<Method>; no file of the console has such a path.
const RPC_PATH = /^\/[A-Za-z_][\w.]*\.[A-Za-z_]\w*\/[A-Za-z_]\w*$/;

const logger = new Logger('ConsoleServer');

export interface ConsoleServerOptions {
  /** host:port of the gateway's gRPC server, which answers every call (0.0.0.0 and [::] mean this host). */
  gatewayAddress: string;
  /** The built console; default clients/console/dist of this checkout. */
  dist?: string;
  /** What the sign-in page needs to offer OIDC sign-in; null or absent, API keys only. */
  oidc?: ConsoleOidcSettings | null;
}

/** The console reads how to sign in from here before anyone is signed in: public values only. */
export const CONSOLE_CONFIG_PATH = '/console-config.json';

export interface ConsoleServer {
  /** host:port it is bound to (the real port when asked for port 0). */
  readonly address: string;
  close(): Promise<void>;
}

/**
 * The web console's server on AOS_CONSOLE_ADDR, one HTTP/1.1 listener for
 * both halves of what a browser needs:
 *  - aos.v1 over the Connect protocol and gRPC-web at `/aos.v1.<Service>/<Method>`,
 *    every call forwarded to the gateway's gRPC server with the caller's
 *    credentials (see registerForwarders): one API, one guard, one audit;
 *  - the console's files (see consoleFiles).
 * Only same-origin pages may call the API: the console is served from here,
 * so no CORS header is ever sent, a cross-origin preflight is refused, and a
 * call that names another Origin is refused before it is forwarded.
 * Credentials travel in the Authorization header only; an RPC URL with a
 * query string is refused, so no key ends up in an access log or a history.
 */
export async function startConsoleServer(address: string, options: ConsoleServerOptions): Promise<ConsoleServer> {
  const files = consoleFiles(options.dist ?? DEFAULT_CONSOLE_DIST);
  const serveFile = (request: IncomingMessage, response: ServerResponse) =>
    void files(request, response).catch((err: unknown) => failed(response, err));
  // The API half (Connect, protobuf-es and the aos.v1 descriptors, some 7 MiB) is loaded on the first call,
  // so a gateway whose console nobody opens does not carry it.
  let api: Promise<ConsoleApi> | undefined;
  const loadApi = () =>
    (api ??= consoleApi(options.gatewayAddress, serveFile).catch((err: unknown) => {
      // Tried again by the next call.
      api = undefined;
      throw err;
    }));

  const consoleConfig = JSON.stringify({ oidc: options.oidc ?? null });
  const server = createServer((request, response) => {
    try {
      const path = new URL(request.url ?? '/', 'http://console').pathname;
      if (request.method === 'GET' && path === CONSOLE_CONFIG_PATH) {
        response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
        response.end(consoleConfig);
        return;
      }
      const refusal = refusalOf(request);
      if (refusal) {
        response.writeHead(refusal.status, { 'Content-Type': 'text/plain; charset=utf-8' });
        response.end(`${refusal.reason}\n`);
        return;
      }
      // No file of the console has an RPC's path: anything else is a file (as the API's fallback would send it).
      if (!RPC_PATH.test(path)) return serveFile(request, response);
      loadApi()
        .then((loaded) => loaded.handle(request, response))
        .catch((err: unknown) => failed(response, err));
    } catch (err) {
      failed(response, err);
    }
  });
  const bound = await listenHttp(server, address);
  logger.log(`web console and Connect/gRPC-web on http://${bound}`);
  return {
    address: bound,
    close: async () => {
      await closeHttpServer(server);
      (await api?.catch(() => undefined))?.sessions.abort();
    },
  };
}

interface ConsoleApi {
  handle(request: IncomingMessage, response: ServerResponse): void;
  sessions: Http2SessionManager;
}

/** aos.v1 over Connect and gRPC-web, every call forwarded to the gateway's gRPC server (see registerForwarders). */
async function consoleApi(
  gatewayAddress: string,
  serveFile: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<ConsoleApi> {
  const [{ connectNodeAdapter, createGrpcTransport, Http2SessionManager }, { registerForwarders }, descriptors] =
    await Promise.all([
      import('@connectrpc/connect-node'),
      import('./console.bridge'),
      import('./console.descriptors'),
    ]);
  const baseUrl = `http://${localAddressOf(gatewayAddress)}`;
  // One HTTP/2 connection to the gRPC server carries every browser's calls; closed with the console.
  const sessions = new Http2SessionManager(baseUrl);
  const upstream = createGrpcTransport({ baseUrl, sessionManager: sessions });
  const { services } = descriptors.loadAosDescriptors();
  const handle = connectNodeAdapter({
    routes: (router) => registerForwarders(router, services, upstream),
    connect: true,
    grpcWeb: true,
    // Browsers speak HTTP/1.1 here; gRPC itself is served on AOS_GATEWAY_ADDR.
    grpc: false,
    readMaxBytes: MAX_CONSOLE_REQUEST_BYTES,
    // A Connect call must say Connect-Protocol-Version, a header no HTML form
    // or simple cross-site request can carry.
    requireConnectProtocolHeader: true,
    fallback: (request, response) => {
      if (RPC_PATH.test(new URL(request.url ?? '/', 'http://console').pathname)) {
        response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
        response.end('no such method\n');
        return;
      }
      serveFile(request as IncomingMessage, response as ServerResponse);
    },
  });
  return { handle: (request, response) => handle(request, response), sessions };
}

/** Why a request is refused before it reaches the API or the files, if it is. */
function refusalOf(request: IncomingMessage): { status: number; reason: string } | undefined {
  if (request.method === 'OPTIONS') {
    return { status: 403, reason: 'cross-origin requests are not accepted: open the console from this server' };
  }
  const url = new URL(request.url ?? '/', 'http://console');
  if (!RPC_PATH.test(url.pathname)) return undefined;
  if (url.search !== '') {
    return {
      status: 400,
      reason: 'an API call takes no query parameters: send the API key in the Authorization header',
    };
  }
  const origin = request.headers.origin;
  if (origin !== undefined && !sameOrigin(origin, request.headers.host)) {
    return { status: 403, reason: 'cross-origin API calls are not accepted' };
  }
  return undefined;
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

function failed(response: ServerResponse, err: unknown): void {
  logger.error(`console request failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
  response.end('internal error\n');
}
