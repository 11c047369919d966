import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint, parseVerifierKey, signCheckpoint, verifyInclusion } from '@aos/merkle-log';
import { startTestStack, type TestStack } from '@aos/testing';
import { logKeys } from '../../../libs/merkle-log/test/bundle.fixture';
import { runAosInProcess } from './in-process-cli';

/**
 * The tamper-evidence commands against the whole stack, through the CLI's own
 * entry point (runCli, as bin/aos.mjs; in process, so no start-up per
 * command): key, checkpoint, export --format bundle then verify (offline),
 * verify-log, proof. The API key goes first as the program's --key; `audit
 * verify`'s own --key comes later and is the log's key.
 */
let t: TestStack;
const file = (name: string) => join(t.dataDir, name);

function aos(...args: string[]) {
  return runAosInProcess(['--addr', t.gatewayAddr, '--key', t.apiKey, ...args], {
    env: { AOS_CONFIG: '', AOS_API_KEY: '' },
    dir: t.dataDir,
  });
}

async function json<T>(...args: string[]): Promise<T> {
  const run = await aos(...args, '--json');
  expect(run).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(run.stdout) as T;
}

beforeAll(async () => {
  t = await startTestStack();
  for (let i = 0; i < 2; i++) {
    await t.client.agents.createAgent({
      requestId: randomUUID(),
      agent: { name: `cli-integrity-${i}-${randomUUID().slice(0, 8)}`, instructions: 'say hi' },
    });
  }
});
afterAll(async () => {
  await t?.stop();
});

describe('aos audit key, checkpoint, export --format bundle, verify, verify-log, proof', () => {
  it('key prints the verifier key alone; checkpoint --create, checkpoint and --size N print the same signed note', async () => {
    const key = await aos('audit', 'key');
    expect(key.code).toBe(0);
    expect(key.stdout).toMatch(/^[^+\s]+\+[0-9a-f]{8}\+\S+\n$/);
    expect(key.stderr).toMatch(/your tenant's origin \S+\/tenants\//);
    writeFileSync(file('log.key'), key.stdout);
    const verifier = parseVerifierKey(key.stdout.trim());

    const created = await aos('audit', 'checkpoint', '--create');
    expect(created.code).toBe(0);
    const checkpoint = openCheckpoint(created.stdout, verifier);
    expect(checkpoint.size).toBeGreaterThanOrEqual(2);
    expect(created.stderr).toContain(`tree size ${checkpoint.size}, root ${checkpoint.rootHash.toString('base64')}`);
    writeFileSync(file('cp.note'), created.stdout);

    expect((await aos('audit', 'checkpoint')).stdout).toBe(created.stdout);
    const bySize = await json<{ note: string; treeSize: number; rootHash: string }>(
      'audit',
      'checkpoint',
      '--size',
      `${checkpoint.size}`,
    );
    expect(bySize).toMatchObject({
      note: created.stdout,
      treeSize: checkpoint.size,
      rootHash: checkpoint.rootHash.toString('base64'),
    });
  });

  it('export --format bundle, then verify it offline with the key from aos audit key; a changed byte exits 1', async () => {
    const exported = await aos('audit', 'export', '--format', 'bundle', '--out', file('audit.bundle.jsonl'));
    expect(exported.code).toBe(0);
    expect(exported.stderr).toContain('aos audit verify');
    const good = await aos('audit', 'verify', file('audit.bundle.jsonl'), '--key', `@${file('log.key')}`);
    expect(good.stderr).toBe('');
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/^verified: \d+ event\(s\) of \S+\/tenants\/\S+, positions \d+-\d+.*, complete\n$/);

    const lines = readFileSync(file('audit.bundle.jsonl'), 'utf8').split('\n');
    const position = JSON.parse(lines[2]).event.position as number;
    lines[2] = lines[2].replace('"type":"', '"type":"X');
    writeFileSync(file('tampered.jsonl'), lines.join('\n'));
    const bad = await aos('audit', 'verify', file('tampered.jsonl'), '--key', `@${file('log.key')}`);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`NOT VERIFIED: first bad line 3, index 1, position ${position}\n`);
  });

  it('verify-log: ok with the kept checkpoint; a checkpoint signed by another key is not ok (exit 1)', async () => {
    const ok = await aos('audit', 'verify-log', '--trusted-checkpoint', `@${file('cp.note')}`);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ok: \d+ event\(s\) read, \d+ checkpoint\(s\) checked, verified through tree size \d+/);

    // The same tree, signed by a key of the same name that is not the log's.
    const verifier = parseVerifierKey(readFileSync(file('log.key'), 'utf8').trim());
    const kept = openCheckpoint(readFileSync(file('cp.note'), 'utf8'), verifier);
    writeFileSync(file('forged.note'), signCheckpoint(kept, logKeys(verifier.name).signer));
    const forged = await aos('audit', 'verify-log', '--trusted-checkpoint', `@${file('forged.note')}`);
    expect(forged.code).toBe(1);
    expect(forged.stdout).toMatch(
      /^NOT OK: first bad position \d+: \w+\ntrusted_checkpoint is not signed by the log's key/,
    );
  });

  it("proof --position: the event's inclusion proof, which verifies against the root", async () => {
    const { events } = await t.client.audit.listEvents({ eventTypes: ['AgentCreated'], pageSize: 1 });
    const proof = await json<{
      leafIndex: number;
      treeSize: number;
      leafHash: string;
      hashes: string[];
      rootHash: string;
    }>('audit', 'proof', '--position', `${events[0].position}`);
    const b = (s: string) => Buffer.from(s, 'base64');
    expect(
      verifyInclusion(b(proof.leafHash), proof.leafIndex, proof.treeSize, proof.hashes.map(b), b(proof.rootHash)),
    ).toBe(true);
  });
});
