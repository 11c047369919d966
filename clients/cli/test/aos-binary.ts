import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import type { TestStack } from '@aos/testing';

const AOS_BIN = fileURLToPath(new URL('../bin/aos.mjs', import.meta.url));
const run = promisify(execFile);

export interface BinaryRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The real `aos` binary against a test stack: `aos(…args)` answers its exit
 * code and output; `json(…args)` adds --json and parses a successful reply.
 */
export function aosBinary(stack: () => TestStack) {
  async function aos(...args: string[]): Promise<BinaryRun> {
    const t = stack();
    try {
      const { stdout, stderr } = await run(
        process.execPath,
        [AOS_BIN, '--addr', t.gatewayAddr, '--key', t.apiKey, ...args],
        // A home without a config file, so that only the flags count.
        { env: { ...process.env, HOME: t.dataDir, AOS_CONFIG: '', AOS_API_KEY: '' } },
      );
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as BinaryRun;
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }
  async function json<T>(...args: string[]): Promise<T> {
    const r = await aos(...args, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as T;
  }
  return { aos, json };
}
