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

  it('a read-only plan runs without asking and prints what it read as `aos agents list` does', async () => {
    const agent = await activeAgent(t.client, 'read-me');
    const run = await aos(['do', 'list agents'], '');
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^1\s+.*AgentService\.ListAgents\s+READ\s+agents\.list\s+✓$/m);
    expect(run.stdout).toMatch(/^ {4}ID\s+NAME\s+STATE\s+HEALTH\s+REV\s+CAPABILITIES\s+UPDATED$/m);
    // No run of it has ended: its health is UNKNOWN.
    expect(run.stdout).toMatch(
      new RegExp(`^ {4}${agent.id}\\s+read-me\\s+ACTIVE\\s+UNKNOWN\\s+1\\s+billing\\s+\\d{4}-`, 'm'),
    );
  });

  it('"which agents are paused?" answers with a row per paused agent: its name and state, not the reply\'s JSON', async () => {
    const agent = await activeAgent(t.client, 'paused-for-do');
    await t.client.agents.pauseAgent({ id: agent.id, requestId: `pause-${agent.id}` });
    const still = await activeAgent(t.client, 'active-for-do');

    const run = await aos(['do', 'which agents are paused?']);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^✓ 1\. /m);
    expect(run.stdout).toMatch(new RegExp(`^ {4}${agent.id}\\s+paused-for-do\\s+PAUSED\\s`, 'm'));
    expect(run.stdout).not.toContain(still.id);
    expect(run.stdout).not.toContain('"tenantId"');
    expect(run.stdout).not.toContain('{');
  });

  it('one agent is shown as `aos agents get` shows it, its creator named beside the id', async () => {
    const agent = await activeAgent(t.client, 'shown-bot', ['refunds', 'invoices']);
    const me = await t.client.governance.whoAmI({});

    const run = await aos(['do', 'show me shown-bot']);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^1\s+.*AgentService\.GetAgent\s+READ\s+agents\.get\s+✓$/m);
    expect(run.stdout).toMatch(new RegExp(`^ {4}ID\\s+${agent.id}$`, 'm'));
    expect(run.stdout).toMatch(/^ {4}STATE\s+ACTIVE$/m);
    expect(run.stdout).toMatch(/^ {4}CAPABILITIES\s+refunds, invoices$/m);
    expect(run.stdout).toMatch(/^ {4}CREATED\s+\d{4}-\d\d-\d\dT[\d:.]+Z$/m);
    expect(run.stdout).toContain(`${me.principal!.name} (${me.principal!.id.slice(0, 8)}…)`);
  });

  it('an empty answer says so, and who-am-i answers as `aos whoami` does', async () => {
    await activeAgent(t.client, 'idle-bot');

    const idle = await aos(['do', 'show me what idle-bot did']);
    expect(idle.code).toBe(0);
    expect(idle.stdout).toMatch(/^1\s+.*AuditService\.ListEvents\s+READ/m);
    expect(idle.stdout).toMatch(/^ {4}No events found\.$/m);

    const me = await aos(['do', 'who am i']);
    expect(me.code).toBe(0);
    expect(me.stdout).toMatch(/^ {4}TENANT\s+default$/m);
    expect(me.stdout).toMatch(/^ {4}ROLES\s+.*admin/m);
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
