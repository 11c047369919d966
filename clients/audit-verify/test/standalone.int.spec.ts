import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logKeys, sealedEvents, writeBundle } from '../../../libs/merkle-log/test/bundle.fixture';

/**
 * The file an auditor gets: `npm run build` (build.mjs) makes one .mjs; it is
 * copied alone into an empty directory and run with plain `node` (no tsx, no
 * node_modules, no NATS: nothing of AgentOS is started here). Node 20's
 * permission model lets it read only that directory, and a preload turns any
 * socket, DNS lookup or fetch into exit 99, so a network access cannot pass.
 */

const BUILD = fileURLToPath(new URL('../build.mjs', import.meta.url));
const COUNT = 2_000;
const TAMPERED_INDEX = 1_234;

const NO_NETWORK = `
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
const refuse = (what) => () => {
  process.stderr.write('NETWORK ' + what + '\\n');
  process.exit(99);
};
net.Socket.prototype.connect = refuse('net.Socket.connect');
dgram.Socket.prototype.send = refuse('dgram.send');
dgram.Socket.prototype.bind = refuse('dgram.bind');
dns.lookup = refuse('dns.lookup');
dns.promises.lookup = refuse('dns.promises.lookup');
globalThis.fetch = refuse('fetch');
`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string;
const keys = logKeys();
const events = sealedEvents(COUNT);

function node(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd: dir, env: { PATH: process.env.PATH ?? '' }, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The standalone verifier, confined to the temporary directory, with the network refused. */
function verifier(...args: string[]): Promise<Run> {
  return node([
    '--experimental-permission',
    `--allow-fs-read=${dir}`,
    '--no-warnings',
    '--import',
    './no-network.mjs',
    './aos-audit-verify.mjs',
    ...args,
  ]);
}

beforeAll(async () => {
  const built = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [BUILD], (error, stdout) => (error ? reject(error) : resolve(stdout.trim())));
  });
  dir = await mkdtemp(join(tmpdir(), 'aos-audit-verify-'));
  await copyFile(built, join(dir, 'aos-audit-verify.mjs'));
  await writeFile(join(dir, 'no-network.mjs'), NO_NETWORK);
  const good = writeBundle(events, keys);
  await writeFile(join(dir, 'good.jsonl'), good.text);
  const lines = [...good.lines];
  const at = TAMPERED_INDEX + 1;
  lines[at] = lines[at].replace('"data":{"', '"data":{"x');
  await writeFile(join(dir, 'tampered.jsonl'), `${lines.join('\n')}\n`);
  await writeFile(join(dir, 'log.key'), `${keys.key}\n`);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('aos-audit-verify: one self-contained file run with plain node', () => {
  it('is built as the package @aos/audit-verify with the bin aos-audit-verify', async () => {
    const manifest = JSON.parse(await readFile(new URL('../dist/package.json', import.meta.url), 'utf8'));
    expect(manifest).toMatchObject({
      name: '@aos/audit-verify',
      bin: { 'aos-audit-verify': './aos-audit-verify.mjs' },
    });
    expect(Object.keys(manifest)).not.toContain('dependencies');
  });

  it('is alone in an empty directory: no node_modules, no package.json', async () => {
    expect((await readdir(dir)).sort()).toEqual([
      'aos-audit-verify.mjs',
      'good.jsonl',
      'log.key',
      'no-network.mjs',
      'tampered.jsonl',
    ]);
  });

  it('the network trap works: a connect attempt exits 99', async () => {
    await writeFile(join(dir, 'connect.mjs'), "import net from 'node:net'; net.connect(4222, '127.0.0.1');\n");
    const run = await node(['--import', './no-network.mjs', './connect.mjs']);
    await rm(join(dir, 'connect.mjs'));
    expect(run).toMatchObject({ code: 99, stderr: 'NETWORK net.Socket.connect\n' });
  });

  it('verifies a good bundle: exit 0', async () => {
    const run = await verifier('good.jsonl', '--key', keys.key);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^verified: ${COUNT} event\\(s\\) of agentos.test/tenants/`));
    const json = await verifier('good.jsonl', '--key', '@log.key', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, eventsChecked: COUNT, keySource: 'trusted' });
  });

  it('names the first bad line and position of a tampered bundle: exit 1', async () => {
    const run = await verifier('tampered.jsonl', '--key', keys.key);
    expect(run.code).toBe(1);
    const position = events[TAMPERED_INDEX].position;
    expect(run.stdout).toContain(
      `NOT VERIFIED: first bad line ${TAMPERED_INDEX + 2}, index ${TAMPERED_INDEX}, position ${position}\n`,
    );
    const json = JSON.parse((await verifier('tampered.jsonl', '--key', keys.key, '--json')).stdout);
    expect(json).toMatchObject({ ok: false, firstBad: { line: TAMPERED_INDEX + 2, index: TAMPERED_INDEX, position } });
  });

  it('a wrong key is a failed verification (1); usage errors are 2', async () => {
    const wrong = await verifier('good.jsonl', '--key', logKeys().key);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/first bad line 1\n.*does not verify with the trusted key/);
    const bundleKey = await verifier('good.jsonl', '--trust-bundle-key');
    expect(bundleKey.code).toBe(0);
    expect(bundleKey.stdout).toMatch(/warning: checked with the bundle's own verifierKey/);
    for (const args of [
      ['good.jsonl'],
      ['good.jsonl', '--key', 'not-a-key'],
      ['missing.jsonl', '--key', keys.key],
      ['good.jsonl', '--key', '@missing.key'],
      ['good.jsonl', 'extra.jsonl', '--key', keys.key],
      ['good.jsonl', '--key', keys.key, '--unknown'],
    ]) {
      const run = await verifier(...args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toMatch(/^error: /);
    }
    const help = await verifier('--help');
    expect(help).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^usage: aos-audit-verify <bundle.jsonl> --key/),
    });
  });
});
