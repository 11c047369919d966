import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '@aos/testing';
import { runAosInProcess, type CliRun } from '../../../../clients/cli/test/in-process-cli';
import { activeAgent, streamEvents } from './command.fixtures';

/** `aos do` against the whole stack, through the CLI's own entry point. */
let t: TestStack;

beforeAll(async () => {
  t = await startTestStack({ env: { AOS_OPENAI_BASE_URL: '' } });
});
afterAll(async () => {
  await t?.stop();
});

function aos(args: string[], stdin?: string): Promise<CliRun> {
  return runAosInProcess(['--addr', t.gatewayAddr, '--key', t.apiKey, ...args], {
    env: {},
    dir: t.dataDir,
    ...(stdin !== undefined && { stdin }),
  });
}

describe('aos do', () => {
  it('"pause billing-helper" --yes shows the plan, runs it and the agent is PAUSED', async () => {
    const agent = await activeAgent(t.client, 'billing-helper');

    const run = await aos(['do', 'pause billing-helper', '--yes']);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^#\s+STEP\s+METHOD\s+RISK\s+PERMISSION\s+PERMITTED$/m);
    expect(run.stdout).toMatch(/^1\s+.*billing-helper.*AgentService\.PauseAgent\s+WRITE\s+agents\.pause\s+✓$/m);
    expect(run.stdout).toContain('Interpreter: PARSER');
    expect(run.stdout).toMatch(/^Digest: [0-9a-f]{64}$/m);
    expect(run.stdout).toMatch(/^✓ 1\. .*billing-helper/m);
    expect(run.stdout).toContain('1 of 1 step(s) succeeded.');
    expect((await t.client.agents.getAgent({ id: agent.id, minPosition: 0 })).state).toBe('PAUSED');
  });

  it('asks before a plan that writes, and runs nothing when the answer is not yes', async () => {
    const agent = await activeAgent(t.client, 'asked-first');
    const before = (await streamEvents(t.client, `agent-${agent.id}`)).length;

    const declined = await aos(['do', 'pause', 'asked-first'], 'n\n');

    expect(declined.stderr).toContain('Run these 1 step(s)? [y/N] ');
    expect(declined.stderr).toContain('not run: not confirmed');
    expect(declined.code).toBe(1);
    expect((await streamEvents(t.client, `agent-${agent.id}`)).length).toBe(before);

    const accepted = await aos(['do', 'pause', 'asked-first'], 'y\n');
    expect(accepted.code).toBe(0);
    expect((await t.client.agents.getAgent({ id: agent.id, minPosition: 0 })).state).toBe('PAUSED');
  });

  it('a read-only plan runs without asking and prints what it read', async () => {
    await activeAgent(t.client, 'read-me');
    const run = await aos(['do', 'list agents'], '');
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^1\s+.*AgentService\.ListAgents\s+READ\s+agents\.list\s+✓$/m);
    expect(run.stdout).toMatch(/^ {4}.*"name": "read-me"/m);
  });

  it('--json --yes prints the plan and its execution as one document', async () => {
    await activeAgent(t.client, 'json-bot');
    const run = await aos(['do', 'pause json-bot', '--yes', '--json']);
    expect(run.code).toBe(0);
    const { plan, execution } = JSON.parse(run.stdout) as {
      plan: { digest: string; steps: unknown[] };
      execution: { digest: string; succeeded: boolean };
    };
    expect(plan.steps).toHaveLength(1);
    expect(execution).toMatchObject({ digest: plan.digest, succeeded: true });
  });

  it('a sentence it cannot settle: prints the question, runs nothing, exits 2', async () => {
    const run = await aos(['do', 'pause nobody-is-called-this', '--yes']);

    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/^Questions:$/m);
    expect(run.stdout).toMatch(/^ {2}\? .*nobody-is-called-this/m);
    expect(run.stderr).toContain('not run: the plan has 1 open question(s)');
    expect(run.stdout).not.toMatch(/step\(s\) succeeded/);
  });
});
