import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleFiles } from './console.static';

/** The console's files from a dist directory of the test's own, over a real HTTP server. */
let root: string;
let dist: string;
const servers: Server[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'aos-console-static-'));
  dist = join(root, 'dist');
  await mkdir(join(dist, 'assets'), { recursive: true });
  await writeFile(join(dist, 'index.html'), '<!doctype html><html><body>console</body></html>');
  await writeFile(join(dist, 'assets', 'index-B4x9Qa1z.js'), 'console.log(1)');
  await writeFile(join(dist, 'assets', 'index-C0ffee12.css'), 'body{}');
  await writeFile(join(dist, 'favicon.svg'), '<svg/>');
  // Beside dist, where a path that climbs out would land.
  await writeFile(join(root, 'secret.txt'), 'secret');
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  await rm(root, { recursive: true, force: true });
});

async function serve(directory: string): Promise<number> {
  const files = consoleFiles(directory);
  const server = createServer((req, res) => void files(req, res));
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return (server.address() as AddressInfo).port;
}

function get(port: number, path: string, method = 'GET') {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>(
    (resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, method }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.once('error', reject);
      req.end();
    },
  );
}

describe('consoleFiles', () => {
  it('serves index.html at / and for app routes, revalidated on every load', async () => {
    const port = await serve(dist);
    for (const path of ['/', '/agents', '/agents/1234/versions', '/tasks?state=RUNNING']) {
      const page = await get(port, path);
      expect(page, path).toMatchObject({ status: 200, body: expect.stringContaining('console') });
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.headers['cache-control']).toBe('no-cache');
    }
  });

  it("serves vite's hashed assets with their types, cached for good; other files revalidated", async () => {
    const port = await serve(dist);
    const js = await get(port, '/assets/index-B4x9Qa1z.js');
    expect(js).toMatchObject({ status: 200, body: 'console.log(1)' });
    expect(js.headers).toMatchObject({
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=31536000, immutable',
      'x-content-type-options': 'nosniff',
    });
    expect((await get(port, '/assets/index-C0ffee12.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    const icon = await get(port, '/favicon.svg');
    expect(icon.headers).toMatchObject({ 'content-type': 'image/svg+xml', 'cache-control': 'no-cache' });
    const head = await get(port, '/assets/index-B4x9Qa1z.js', 'HEAD');
    expect(head).toMatchObject({ status: 200, body: '' });
    expect(head.headers['content-length']).toBe(String('console.log(1)'.length));
  });

  it('a missing file is 404, not the app', async () => {
    const port = await serve(dist);
    expect((await get(port, '/assets/index-gone.js')).status).toBe(404);
    expect((await get(port, '/robots.txt')).status).toBe(404);
  });

  it.each(['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/assets/..%2f..%2fsecret.txt', '/%00'])(
    'never reads outside dist: %s → 404',
    async (path) => {
      const port = await serve(dist);
      const answer = await get(port, path);
      expect(answer.status).toBe(404);
      expect(answer.body).not.toContain('secret');
    },
  );

  it('answers only GET and HEAD', async () => {
    const port = await serve(dist);
    const post = await get(port, '/', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it('without a build, / says how to build the console', async () => {
    const port = await serve(join(root, 'not-built'));
    const page = await get(port, '/');
    expect(page.status).toBe(503);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('npm run console:build');
  });
});
