import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isCompiledEntry, serviceEntry, serviceEnv, serviceNodeArgs, serviceRunner } from '../src/service-entry';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const STAMP = join(ROOT, 'dist', 'services', '.built-at');

/** `node scripts/build-services.mjs --if-stale`: its exit code and what it said. */
function buildIfStale(): Promise<{ code: number; said: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'scripts/build-services.mjs'), '--if-stale'], (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, said: stdout + stderr }),
    );
  });
}

describe('the compiled services', () => {
  it('are built by exactly one of several launchers asking at once, and not again while fresh', async () => {
    rmSync(STAMP, { force: true }); // stale: no record of a build
    const asked = await Promise.all([buildIfStale(), buildIfStale(), buildIfStale()]);
    expect(asked.map((a) => a.code)).toEqual([0, 0, 0]);
    expect(asked.filter((a) => /built 9 services/.test(a.said))).toHaveLength(1);
    const builtAt = Number(readFileSync(STAMP, 'utf8'));
    expect(statSync(serviceEntry('gateway', 'compiled')).mtimeMs).toBeGreaterThanOrEqual(builtAt);

    const again = await buildIfStale();
    expect(again).toEqual({ code: 0, said: '' });
    expect(Number(readFileSync(STAMP, 'utf8'))).toBe(builtAt);
  });

  it('run by default, with the flags of service-node-flags; tsx runs the TypeScript main on request', () => {
    expect(serviceRunner({})).toBe('compiled');
    expect(serviceRunner({ AOS_SERVICE_RUNNER: 'tsx' })).toBe('tsx');
    expect(() => serviceRunner({ AOS_SERVICE_RUNNER: 'ts-node' })).toThrow(/compiled or tsx/);

    const compiled = serviceEntry('routing', 'compiled');
    expect(compiled).toBe(join(ROOT, 'dist', 'services', 'routing.mjs'));
    expect(isCompiledEntry(compiled)).toBe(true);
    const flags = serviceNodeArgs(compiled);
    expect(flags).toContain('--enable-source-maps');
    expect(flags.some((f) => f.startsWith('--max-semi-space-size='))).toBe(true);
    expect(flags).not.toContain('tsx');

    const ts = serviceEntry('routing', 'tsx');
    expect(ts).toBe(join(ROOT, 'services', 'routing', 'src', 'main.ts'));
    expect(isCompiledEntry(ts)).toBe(false);
    expect(serviceNodeArgs(ts).slice(0, 2)).toEqual(['--import', 'tsx']);
    expect(serviceNodeArgs(ts).slice(2)).toEqual(flags);
  });

  it('hold NestJS and the packages every service loads, as one-byte text', async () => {
    expect((await buildIfStale()).code).toBe(0);
    const dir = join(ROOT, 'dist', 'services');
    const builtAt = Number(readFileSync(STAMP, 'utf8'));
    // The files of this build (a previous build's chunks may stay an hour).
    const files = readdirSync(dir)
      .filter((name) => name.endsWith('.mjs') && statSync(join(dir, name)).mtimeMs >= builtAt)
      .map((name) => readFileSync(join(dir, name), 'utf8'));
    expect(files.length).toBeGreaterThan(9);
    const imported = new Set(files.flatMap((text) => [...text.matchAll(/\bfrom ?"([^".][^"]*)"/g)].map((m) => m[1])));
    for (const bundled of [
      '@nestjs/common',
      '@nestjs/core',
      '@nestjs/microservices',
      '@nats-io/transport-node',
      '@nats-io/jetstream',
      'rxjs',
      'zod',
      'uuid',
      'casbin',
    ]) {
      expect(imported, bundled).not.toContain(bundled);
    }
    // Nor loaded around esbuild (Nest's createRequire(import.meta.url)('<name>') is rewritten to a require()).
    const required = files.flatMap((text) => [...text.matchAll(/createRequire\d*\(import\.meta\.url\)\("([^"]+)"\)/g)]);
    expect(required.map((m) => m[1]).filter((name) => /^(@nestjs|@nats-io|rxjs|zod)/.test(name))).toEqual([]);
    // Imported, not bundled: see NEVER_BUNDLED in scripts/build-services.mjs.
    expect(imported).toContain('@grpc/grpc-js');
    expect(files.some((text) => /\bimport ?"reflect-metadata"/.test(text))).toBe(true);
    // V8 keeps a module's source as a two-byte string when one character is beyond Latin-1.
    const wide = files.flatMap((text) => text.match(/[^\0-\xff]/g) ?? []);
    expect(wide).toEqual([]);
  });

  it('name the characters beyond Latin-1 that would make V8 keep a chunk as two-byte text', async () => {
    const { beyondLatin1 } = (await import(join(ROOT, 'scripts/build-services.mjs'))) as {
      beyondLatin1(text: string): string[];
    };
    expect(beyondLatin1('const a=/caf\xe9/;')).toEqual([]);
    expect(beyondLatin1('const q=/[\u2019\u201c]/u;const r=/\u2019/;')).toEqual(['\u2019', '\u201c']);
  });

  it('get glibc to unmap large freed blocks unless the environment says otherwise', () => {
    expect(serviceEnv({ A: '1' })).toEqual({ MALLOC_MMAP_THRESHOLD_: '1048576', A: '1' });
    expect(serviceEnv({ MALLOC_MMAP_THRESHOLD_: '65536' }).MALLOC_MMAP_THRESHOLD_).toBe('65536');
  });
});
