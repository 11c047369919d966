import { execFile } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isCompiledEntry, serviceEntry, serviceNodeArgs, serviceRunner } from '../src/service-entry';

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
});
