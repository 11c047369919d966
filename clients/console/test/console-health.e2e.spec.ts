import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent, Task } from '@aos/contracts';
import { startScriptedModelServer, type ScriptedModelServer } from '@aos/testing';
import {
  checkPage,
  chromiumMissing,
  openSection,
  rid,
  startConsoleBrowser,
  unique,
  type ConsoleBrowser,
} from './support/console-browser';

/**
 * Agents' health in the console, from their runs' outcomes: the runtime runs
 * tasks of each agent against the scripted OpenAI-compatible server (its
 * replies are this test's script), one agent's run succeeds and the other's
 * 10 all fail (UNHEALTHY); the overview
 * counts them by health and names the failing one with its last failure,
 * linked to its page; the agents list and the agent's page say the same.
 */
let cb: ConsoleBrowser;
let model: ScriptedModelServer;
let steady: Agent;
let flaky: Agent;

/** The flaky agent fails every run: UNHEALTHY takes 10 failures in a row (3 make it DEGRADED). */
const FLAKY_RUNS = 10;
const FAILURE = /^10 of 10 recent runs failed: FAILED_PRECONDITION: the model server refused the call: HTTP 400/;

async function deployed(name: string): Promise<Agent> {
  const api = cb.stack.client;
  const created = await api.agents.createAgent({ agent: { name } as Agent, requestId: rid() });
  return api.agents.deployAgent({ id: created.id, requestId: rid() });
}

/** Submits `runs` tasks to the agent and waits until lifecycle counts their runs. */
async function runTasks(agent: Agent, key: string, runs = 1): Promise<Agent> {
  const api = cb.stack.client;
  for (let i = 0; i < runs; i++) {
    await api.tasks.submitTask({ task: { text: `${key}: do it`, agentId: agent.id } as Task, requestId: rid() });
  }
  for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
    const now = await api.agents.getAgent({ id: agent.id });
    if ((now.health?.recentRuns ?? 0) >= runs) return now;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${runs} runs of ${agent.name} did not end within 20 s`);
}

describe.skipIf(chromiumMissing)("console: agents' health from their runs", () => {
  beforeAll(async () => {
    model = await startScriptedModelServer();
    cb = await startConsoleBrowser({ env: { ...model.env, AOS_ROUTER: 'lexical' } });
    [steady, flaky] = await Promise.all([deployed(unique('steady')), deployed(unique('flaky'))]);
    model.scriptFor('steady-task', { content: 'done' });
    model.scriptFor('flaky-task', ...Array.from({ length: FLAKY_RUNS }, () => ({ status: 400 })));
    const [ranSteady, ranFlaky] = await Promise.all([
      runTasks(steady, 'steady-task'),
      runTasks(flaky, 'flaky-task', FLAKY_RUNS),
    ]);
    expect(ranSteady.health?.status).toBe('HEALTHY');
    expect(ranFlaky.health?.status).toBe('UNHEALTHY');
  }, 90_000);
  afterAll(async () => {
    await cb?.stop();
    await model?.stop();
  });

  it('the overview counts agents by health and names the failing one with its last failure, linked to its page', async () => {
    const page = await cb.newPage();
    await cb.signIn(page, cb.stack.apiKey);
    const health = page.getByRole('region', { name: 'Agents by health (not retired)' });
    // The row that starts with the status: "HEALTHY" alone would match the UNHEALTHY row too.
    const count = async (status: string) => {
      const row = health.getByRole('row').filter({ hasText: new RegExp(`^\\s*${status}`) });
      expect(await row.count()).toBe(1);
      return Number((await row.getByRole('cell').last().innerText()).trim());
    };
    await expect.poll(() => count('HEALTHY'), { timeout: 20_000 }).toBe(1);
    expect(await count('UNHEALTHY')).toBe(1);
    expect(await count('DEGRADED')).toBe(0);
    expect(await count('UNKNOWN')).toBe(0);

    const failing = health.getByRole('region', { name: 'Failing agents' });
    expect(await failing.getByRole('link').allInnerTexts()).toEqual([flaky.name]);
    expect(await failing.getByText(FAILURE).isVisible()).toBe(true);
    await checkPage(page, 'overview-health');

    await failing.getByRole('link', { name: flaky.name }).click();
    await page.getByRole('heading', { name: flaky.name, level: 1 }).waitFor();
    const row = page.getByRole('row').filter({ hasText: 'Health (newest 10 runs)' });
    expect(await row.getByText('UNHEALTHY').isVisible()).toBe(true);
    expect(await row.getByText(FAILURE).isVisible()).toBe(true);
    await checkPage(page, 'agent-health');
  });

  it('the agents list shows each agent’s health', async () => {
    const page = await cb.newPage();
    await cb.signIn(page, cb.stack.apiKey);
    await openSection(page, 'Agents', 'Agents');
    const rowOf = (agent: Agent) => page.getByRole('row').filter({ hasText: agent.name });
    await rowOf(steady).waitFor();
    expect(await rowOf(steady).getByText('1 of 1 recent runs succeeded').isVisible()).toBe(true);
    expect(await rowOf(steady).getByText('HEALTHY', { exact: true }).isVisible()).toBe(true);
    expect(await rowOf(flaky).getByText('UNHEALTHY', { exact: true }).isVisible()).toBe(true);
    expect(await rowOf(flaky).getByText(FAILURE).isVisible()).toBe(true);
    await checkPage(page, 'agents-health');

    // The Health picker asks ListAgents for `health = UNHEALTHY`: only the failing agent is left.
    await page.getByRole('combobox', { name: 'Health' }).click();
    await page.getByRole('option', { name: 'UNHEALTHY', exact: true }).click();
    await expect.poll(() => rowOf(steady).count()).toBe(0);
    expect(await rowOf(flaky).count()).toBe(1);
    expect(await page.getByText('1 agent(s)').isVisible()).toBe(true);
  });
});
