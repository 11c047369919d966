import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm run console:build` writes the console (clients/console/dist). */
export const DEFAULT_CONSOLE_DIST = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../../clients/console/dist',
);

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.webmanifest': 'application/manifest+json',
};

// Vite names everything it emits under assets/ by a hash of its content, so a
// changed file has a new name and an old name never changes meaning.
const HASHED_ASSETS = /^\/assets\//;
const IMMUTABLE = 'public, max-age=31536000, immutable';
// index.html names the hashed files of the current build; it must be checked
// with the server on every load or a browser keeps running an old console.
const REVALIDATE = 'no-cache';

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>AgentOS console not built</title></head>
<body>
<main>
<h1>The AgentOS web console is not built</h1>
<p>The gateway serves the console from <code>clients/console/dist</code>, which does not exist yet.
Build it with <code>npm run console:build</code> (<code>npm start</code> builds it when it is missing) and reload this page.</p>
<p>The API is served here all the same: Connect and gRPC-web at <code>/aos.v1.&lt;Service&gt;/&lt;Method&gt;</code>.</p>
</main>
</body>
</html>
`;

/**
 * Serves the console's built files from `dist`: a file when the path names
 * one, index.html for any other path without a file extension (the app's own
 * routes, such as /agents/123, are resolved in the browser), 404 otherwise.
 * Only files inside `dist` are ever read. When dist has no index.html, a page
 * says how to build it. `dist` is looked at on every request, so a console
 * built while the gateway runs is served without a restart.
 */
export function consoleFiles(dist: string): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  const root = resolve(dist);
  return async (request, response) => {
    response.setHeader('X-Content-Type-Options', 'nosniff');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
      response.end('method not allowed\n');
      return;
    }
    const path = requestPath(request.url);
    const file = path === undefined ? undefined : inside(root, path);
    if (path === undefined || file === undefined) return notFound(response);
    const size = await fileSize(file);
    if (size !== undefined) return send(request, response, file, size, cacheControl(path));
    if (extname(path) !== '') return notFound(response);
    const index = join(root, 'index.html');
    const indexSize = await fileSize(index);
    if (indexSize !== undefined) return send(request, response, index, indexSize, REVALIDATE);
    response.writeHead(503, { 'Content-Type': CONTENT_TYPES['.html'], 'Cache-Control': 'no-store' });
    response.end(request.method === 'HEAD' ? undefined : NOT_BUILT_PAGE);
  };
}

/** The decoded path of a request URL, or undefined when it cannot name a file (bad escapes, NUL). */
function requestPath(url: string | undefined): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(new URL(url ?? '/', 'http://console').pathname);
  } catch {
    return undefined;
  }
  return path.includes('\0') ? undefined : path;
}

/**
 * The file `path` names under `root`, or undefined when it would leave root.
 * URL parsing already removes `..` segments of a plain path; this catches
 * what decoding brings back (`%2e%2e%2f`, encoded backslashes on Windows).
 */
function inside(root: string, path: string): string | undefined {
  const file = resolve(root, `.${path.startsWith('/') ? path : `/${path}`}`);
  return file === root || file.startsWith(root + sep) ? file : undefined;
}

function cacheControl(path: string): string {
  return HASHED_ASSETS.test(path) ? IMMUTABLE : REVALIDATE;
}

/** The size of the regular file at `path`, or undefined when there is none: one stat per request. */
async function fileSize(path: string): Promise<number | undefined> {
  try {
    const found = await stat(path);
    return found.isFile() ? found.size : undefined;
  } catch {
    return undefined;
  }
}

async function send(
  request: IncomingMessage,
  response: ServerResponse,
  file: string,
  size: number,
  cache: string,
): Promise<void> {
  response.writeHead(200, {
    'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': size,
    'Cache-Control': cache,
  });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  await new Promise<void>((done, fail) => {
    const stream = createReadStream(file);
    stream.once('error', fail);
    response.once('close', () => {
      stream.destroy();
      done();
    });
    stream.pipe(response);
  });
}

function notFound(response: ServerResponse): void {
  response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
  response.end('not found\n');
}
