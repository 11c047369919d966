import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logKeys, sealedEvents, writeBundle } from '../../../libs/merkle-log/test/bundle.fixture';
import { runAosInProcess } from './in-process-cli';

/**
 * `aos audit verify` is offline: no server is started here, and the address
 * points at a closed port, so a command that tried to call one would fail.
 */
const COUNT = 3_000;
const keys = logKeys();
const events = sealedEvents(COUNT);
let dir: string;

function aos(...args: string[]) {
  return runAosInProcess(['--addr', '127.0.0.1:1', ...args], {
    env: { AOS_CONFIG: '', AOS_API_KEY: '' },
    dir,
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aos-audit-verify-cli-'));
  const good = writeBundle(events, keys);
  await writeFile(join(dir, 'good.jsonl'), good.text);
  const deleted = good.lines.filter((_, i) => i !== 1 + 1_500); // leaf 1500: line 1502
  await writeFile(join(dir, 'deleted.jsonl'), `${deleted.join('\n')}\n`);
  await writeFile(join(dir, 'log.key'), `${keys.key}\n`);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('aos audit verify <bundle> --key', () => {
  it('verifies a good bundle: exit 0, one line saying what was checked', async () => {
    const run = await aos('audit', 'verify', 'good.jsonl', '--key', keys.key);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(
      new RegExp(
        `^verified: ${COUNT} event\\(s\\) of agentos.test/tenants/\\S+, positions ${events[0].position}-${events[COUNT - 1].position}, in the signed tree of ${COUNT} leaves`,
      ),
    );
  });

  it('takes the key from a file (@file), and prints the result as JSON with --json', async () => {
    const run = await aos('audit', 'verify', 'good.jsonl', '--key', '@log.key', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, eventsChecked: COUNT, keySource: 'trusted' });
  });

  it('a deleted line: exit 1 naming the line, the missing index and the position after the gap', async () => {
    const run = await aos('audit', 'verify', 'deleted.jsonl', '--key', keys.key);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `NOT VERIFIED: first bad line ${1_502}, index 1500, position ${events[1_501].position}\n`,
    );
    expect(run.stdout).toMatch(/index 1500 is missing before this line in a complete bundle/);
    const json = await aos('audit', 'verify', 'deleted.jsonl', '--key', keys.key, '--json');
    expect(JSON.parse(json.stdout).firstBad).toMatchObject({
      line: 1_502,
      index: 1_500,
      position: events[1_501].position,
    });
  });

  it('another key: exit 1 at the header; the bundle key only with --trust-bundle-key, with a warning', async () => {
    const wrong = await aos('audit', 'verify', 'good.jsonl', '--key', logKeys().key);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/^NOT VERIFIED: first bad line 1\n/);
    const bundleKey = await aos('audit', 'verify', 'good.jsonl', '--trust-bundle-key');
    expect(bundleKey.code).toBe(0);
    expect(bundleKey.stdout).toMatch(/warning: checked with the bundle's own verifierKey/);
  });

  it('usage errors exit 2 without calling a server', async () => {
    for (const [args, message] of [
      [['good.jsonl'], /--key is required/],
      [['good.jsonl', '--key', 'not-a-key'], /the trusted key does not parse/],
      [['missing.jsonl', '--key', keys.key], /cannot read missing.jsonl: ENOENT/],
      [['good.jsonl', '--key', '@missing.key'], /cannot read missing.key: ENOENT/],
      [['.', '--key', keys.key], /\. is not a file/],
    ] as const) {
      const run = await aos('audit', 'verify', ...args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toMatch(message);
    }
    const both = await aos('audit', 'checkpoint', '--create', '--size', '3');
    expect(both).toMatchObject({ code: 2, stderr: expect.stringMatching(/--create .* takes no --size/) });
  });

  it('--help explains --key and the exit status', async () => {
    const run = await aos('audit', 'verify', '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/here --key is the log's key, not an API key/);
    expect(run.stdout).toMatch(/Exit 0 verified, 1 not verified/);
    const audit = await aos('audit', '--help');
    for (const command of ['verify', 'key', 'checkpoint', 'verify-log', 'proof', 'export']) {
      expect(audit.stdout).toMatch(new RegExp(`\\n  ${command}\\b`));
    }
  });
});
