import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '@aos/testing';

/** The README walkthrough, with the real `aos` binary against the whole stack. */
const AOS_BIN = fileURLToPath(new URL('../bin/aos.mjs', import.meta.url));
const run = promisify(execFile);

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack();
});
afterAll(async () => {
  await t?.stop();
});

async function aos(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [AOS_BIN, '--addr', t.gatewayAddr, '--key', t.apiKey, ...args],
      {
        // A home without a config file, so that only the flags count.
        env: { ...process.env, HOME: t.dataDir, AOS_CONFIG: '', AOS_API_KEY: '' },
      },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('aos CLI end to end', () => {
  it('walks an agent through its lifecycle and shows it in the audit trail', async () => {
    const created = await aos(
      'agents',
      'create',
      '--name',
      'cli-walk',
      '--capability',
      'billing',
      '--label',
      'team=finance',
      '--json',
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const agent = JSON.parse(created.stdout) as { id: string; state: string; revision: number };
    expect(agent.state).toBe('DRAFT');

    for (const [verb, state, revision] of [
      ['deploy', 'ACTIVE', 1],
      ['pause', 'PAUSED', 2],
      ['resume', 'ACTIVE', 3],
      ['retire', 'RETIRED', 4],
    ] as const) {
      const r = await aos('agents', verb, agent.id, '--json');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ id: agent.id, state, revision });
    }

    const table = await aos('agents', 'list');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/cli-walk\s+RETIRED/);

    const refused = await aos('agents', 'pause', agent.id);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('FAILED_PRECONDITION');

    const audit = await aos('audit', 'list', '--stream', `agent-${agent.id}`, '--json');
    const events = JSON.parse(audit.stdout) as { events: { type: string }[] };
    expect(events.events.map((e) => e.type)).toEqual([
      'AgentCreated',
      'AgentDeployed',
      'AgentPaused',
      'AgentResumed',
      'AgentRetired',
    ]);
  });

  it('refuses a wrong key with UNAUTHENTICATED', async () => {
    const r = await run(process.execPath, [
      AOS_BIN,
      '--addr',
      t.gatewayAddr,
      '--key',
      'nope-nope-nope-nope-nope',
      'agents',
      'list',
    ]).catch((e: { code: number; stderr: string }) => e);
    expect((r as { code: number }).code).toBe(1);
    expect((r as { stderr: string }).stderr).toContain('UNAUTHENTICATED');
  });
});
