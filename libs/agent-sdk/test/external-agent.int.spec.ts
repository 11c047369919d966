import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '@aos/testing';

const fixture = fileURLToPath(new URL('./fixtures/reconnecting-agent.ts', import.meta.url));

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('runExternalAgent', () => {
  it(
    'keeps its process alive while it waits to reconnect (the backoff timer holds the event loop)',
    { timeout: 90_000 },
    async () => {
      // Nothing listens there: every attempt ends UNAVAILABLE, which is retried.
      const address = `127.0.0.1:${await freePort()}`;
      const child = spawn(process.execPath, ['--import', 'tsx', fixture, address], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      // Timed from its first failed attempt, not from spawn: on a loaded machine starting tsx alone can take seconds.
      const firstError = new Promise<void>((resolve) => {
        const check = () => (/^error: /m.test(output) ? resolve() : setTimeout(check, 50));
        check();
      });
      const started = await Promise.race([firstError.then(() => 'failed once' as const), exited, sleep(60_000)]);
      expect(started, output).toBe('failed once');
      const outcome = await Promise.race([exited, sleep(4_000).then(() => 'alive' as const)]);
      child.kill('SIGKILL');
      expect(outcome, output).toBe('alive');
      // It did fail and retry meanwhile (0.5 s, then 1 s, ...), and it never gave up.
      expect(output.match(/^error: /gm)?.length ?? 0).toBeGreaterThanOrEqual(2);
      expect(output).not.toContain('stopped:');
    },
  );
});
