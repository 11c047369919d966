import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent, ListAgentVersionsResponse } from '@aos/contracts';
import { startTestStack, type TestStack } from '@aos/testing';
import { aosBinary } from './aos-binary';

/** `aos agents versions` and `aos agents rollback`, the real binary through the gateway. */
let t: TestStack;
beforeAll(async () => {
  t = await startTestStack();
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

const { aos, json } = aosBinary(() => t);
const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

describe('aos agents versions / rollback', () => {
  it('prints the history newest first with a field diff, and rolls back by name to a new version', async () => {
    const name = unique('history-bot');
    await json<Agent>('agents', 'create', '--name', name, '--model', 'gpt-a', '--capability', 'billing');
    await json<Agent>(
      'agents',
      'update',
      name,
      '--model',
      'gpt-b',
      '--capability',
      'billing',
      '--capability',
      'refunds',
    );
    await json<Agent>('agents', 'update', name, '--instructions', 'x'.repeat(40), '--label', 'team=support');

    const table = await aos('agents', 'versions', name);
    expect(table.code, table.stderr).toBe(0);
    const rows = table.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^VERSION\s+TIME\s+BY\s+CHANGES$/);
    expect(rows[1]).toMatch(/^\s*v3 .*instructions \(0 → 40 chars\); labels \+team=support$/);
    expect(rows[2]).toMatch(/^\s*v2 .*capabilities \+refunds; model "gpt-a" → "gpt-b"$/);
    expect(rows[3]).toMatch(/^\s*v1 .*created$/);
    expect(rows).toHaveLength(4);

    const rolled = await json<Agent>('agents', 'rollback', name, '--to', '1');
    expect(rolled).toMatchObject({ definitionVersion: 4, model: 'gpt-a', capabilities: ['billing'], instructions: '' });
    const history = await json<ListAgentVersionsResponse>('agents', 'versions', name, '--page-size', '1', '--all');
    expect(history.versions.map((v) => [v.definitionVersion, v.rolledBackTo])).toEqual([
      [4, 1],
      [3, 0],
      [2, 0],
      [1, 0],
    ]);
    const whole = await aos('agents', 'versions', name);
    expect(whole.stdout).toMatch(
      /v4 .*rollback to v1: capabilities -refunds; instructions \(40 → 0 chars\); model "gpt-b" → "gpt-a"; labels -team\n/,
    );
    // The version before is on the next page: the row names the fields only.
    const paged = await aos('agents', 'versions', name, '--page-size', '1');
    expect(paged.stdout).toMatch(/v4 .*rollback to v1: capabilities; instructions; model; labels\n/);
    expect(paged.stdout).toMatch(/more: --page-token \S+ \(or --all\)/);
  });

  it('exits 1 naming a missing version, and 2 without --to', async () => {
    const name = unique('short-bot');
    await json<Agent>('agents', 'create', '--name', name);
    const missing = await aos('agents', 'rollback', name, '--to', '5');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/NOT_FOUND.*agent version ".* v5" not found/);
    const usage = await aos('agents', 'rollback', name);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--to <version>/);
  });

  it('documents both commands in --help', async () => {
    const help = await aos('agents', '--help');
    expect(help.stdout).toMatch(/versions \[options\] <agent>\s+list an agent's definition versions/);
    expect(help.stdout).toMatch(/rollback \[options\] <agent>\s+record a new definition version/);
  });
});
