import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { TestStack } from '@aos/testing';
import {
  checkPage,
  chromiumMissing,
  keyWithRole,
  rid,
  startConsoleBrowser,
  unique,
  type ConsoleBrowser,
} from './support/console-browser';

/**
 * The console's agent history, task actions, command bar and budgets in a real
 * Chromium against a real stack: an agent's definition history with a diff and
 * a rollback, cancelling a task, a sentence run as a plan, what a viewer may
 * not run, the overview's spend against budgets; axe-core and a 1280×800
 * screenshot of each view into test-results/console/.
 */

let c: ConsoleBrowser;
let t: TestStack;
let consoleUrl: string;
let viewerKey: string;
const newPage = (): Promise<Page> => c.newPage();
const signIn = (page: Page, apiKey: string) => c.signIn(page, apiKey);

describe.skipIf(chromiumMissing)('web console: history, task actions, command bar, budgets', () => {
  beforeAll(async () => {
    c = await startConsoleBrowser();
    t = c.stack;
    consoleUrl = c.url;
    viewerKey = await keyWithRole(t, 'viewer');
  });
  afterAll(async () => {
    await c?.stop();
  });

  // First, while no agent is ACTIVE: the task stays QUEUED until the person cancels it.
  it('cancels a queued task after a confirmation', async () => {
    const task = await t.client.tasks.submitTask({
      task: { text: 'Translate the spring brochure to Portuguese' },
      requestId: rid(),
    });
    const page = await newPage();
    await signIn(page, t.apiKey);
    await page.goto(`${consoleUrl}/tasks/${task.id}`);
    await page.getByText('QUEUED', { exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'Reassign' }).count()).toBe(1);
    await checkPage(page, 'task-actions');
    await page.getByRole('button', { name: 'Cancel task' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this task?' });
    await dialog.waitFor();
    await checkPage(page, 'task-cancel-confirmation');
    await dialog.getByRole('button', { name: 'Cancel task' }).click();
    await page.getByText('CANCELLED', { exact: true }).waitFor();
    expect((await t.client.tasks.getTask({ id: task.id })).state).toBe('CANCELLED');
    // A finished task offers neither action.
    expect(await page.getByRole('button', { name: 'Cancel task' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Reassign' }).count()).toBe(0);
    await page.context().close();
  });

  it('shows the definition history with a diff and rolls back to version 1 after a confirmation', async () => {
    const api = t.client.agents;
    const created = await api.createAgent({
      agent: { name: unique('history-bot'), description: 'Answers billing questions', capabilities: ['billing'] },
      requestId: rid(),
    });
    await api.updateAgent({
      id: created.id,
      agent: { description: 'Answers billing and refund questions', capabilities: ['billing', 'refunds'] },
      updateMask: ['description', 'capabilities'],
      requestId: rid(),
    });
    await api.updateAgent({ id: created.id, agent: { model: 'gpt-large' }, updateMask: ['model'], requestId: rid() });

    const page = await newPage();
    await signIn(page, t.apiKey);
    await page.goto(`${consoleUrl}/agents/${created.id}`);
    const history = page.getByRole('region', { name: 'Definition history' });
    await history.getByTestId('version-3').waitFor();
    expect(await history.getByTestId(/^version-/).count()).toBe(3);
    expect(await history.getByTestId('version-2').innerText()).toContain('Changed: What it does, Capabilities');
    expect(await history.getByTestId('version-3').innerText()).toContain('Changed: Model');
    // "By" names the principal beside its id.
    const author = await api
      .getAgent({ id: created.id })
      .then((a) => t.client.governance.getPrincipal({ id: a.createdBy }));
    await expect
      .poll(() => history.getByTestId('version-1').innerText())
      .toContain(`${author.name} (${author.id.slice(0, 8)}…)`);

    // Compare version 1 with version 3: every changed field side by side, in plain words.
    await history.getByRole('combobox', { name: 'Older version' }).click();
    await page.getByRole('option', { name: 'Version 1' }).click();
    const diff = history.getByRole('table', { name: 'Differences between the two versions' });
    await expect.poll(() => diff.getByRole('row').count()).toBe(4);
    const rows = await diff.getByRole('row').allInnerTexts();
    expect(rows[1]).toMatch(/What it does\s+Answers billing questions\s+Answers billing and refund questions/);
    expect(rows[2]).toMatch(/Capabilities[\s\S]*billing[\s\S]*refunds/);
    expect(rows[3]).toMatch(/Model\s+the default model\s+gpt-large/);
    await checkPage(page, 'agent-history');

    await history.getByRole('button', { name: 'Roll back to version 1' }).click();
    const dialog = page.getByRole('dialog', { name: `Roll ${created.name} back to version 1?` });
    await dialog.waitFor();
    await checkPage(page, 'agent-rollback-confirmation');
    await dialog.getByRole('button', { name: 'Roll back to version 1' }).click();
    await history.getByTestId('version-4').waitFor();
    expect(await history.getByTestId('version-4').innerText()).toContain('Rolled back to version 1');

    const agent = await api.getAgent({ id: created.id });
    expect(agent.definitionVersion).toBe(4);
    const { versions } = await api.listAgentVersions({ id: created.id, minPosition: agent.logPosition });
    const definition = (v: (typeof versions)[number]) => [
      v.name,
      v.description,
      v.capabilities,
      v.model,
      v.instructions,
    ];
    expect(definition(versions[0])).toEqual(definition(versions.find((v) => v.definitionVersion === 1)!));
    await page.context().close();
  });

  it('turns a sentence into a plan with its risks and runs it on confirmation', async () => {
    const page = await newPage();
    await signIn(page, t.apiKey);
    await page.getByRole('link', { name: 'Tell AgentOS what to do…' }).click();
    await page.getByRole('heading', { name: 'Command bar' }).waitFor();
    await page
      .getByLabel('Say what should be done')
      .fill('create an agent called cmd-bot that handles billing and deploy it');
    await page.getByRole('button', { name: 'Show the plan' }).click();
    const steps = page.getByRole('table', { name: 'Plan steps' });
    await steps.waitFor();
    expect(await steps.getByRole('row').count()).toBe(3);
    expect(await page.getByTestId('plan-step-0').innerText()).toMatch(
      /cmd-bot[\s\S]*AgentService\.CreateAgent[\s\S]*WRITE[\s\S]*agents\.create[\s\S]*✓ permitted/,
    );
    expect(await page.getByTestId('plan-step-1').innerText()).toMatch(
      /AgentService\.DeployAgent[\s\S]*WRITE[\s\S]*agents\.deploy[\s\S]*✓ permitted/,
    );
    await page.getByText('the command grammar’s parser (no model)', { exact: false }).waitFor();
    await checkPage(page, 'command-bar-plan');

    await page.getByRole('button', { name: 'Run plan' }).click();
    const dialog = page.getByRole('dialog', { name: 'Run this plan (2 steps)?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Run plan' }).click();
    await page.getByText('Every step succeeded').waitFor();
    expect(await page.getByTestId('step-outcome-0').innerText()).toContain('✓ Done');
    expect(await page.getByTestId('step-outcome-1').innerText()).toContain('✓ Done');
    await checkPage(page, 'command-bar-executed');
    expect((await t.client.agents.getAgent({ name: 'cmd-bot' })).state).toBe('ACTIVE');
    await page.context().close();
  });

  // After the command bar test: cmd-bot is ACTIVE; no agent has the capability, so the task waits QUEUED.
  it('reassigns a queued task to an agent picked by name', async () => {
    const cmdBot = await t.client.agents.getAgent({ name: 'cmd-bot' });
    const task = await t.client.tasks.submitTask({
      task: { text: 'Chart the orbit of comet 67P', requiredCapabilities: ['astronomy'] },
      requestId: rid(),
    });
    const page = await newPage();
    await signIn(page, t.apiKey);
    await page.goto(`${consoleUrl}/tasks/${task.id}`);
    await page.getByText('QUEUED', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Reassign' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reassign this task' });
    await dialog.getByRole('combobox', { name: 'Agent' }).click();
    await page.getByRole('option', { name: 'cmd-bot' }).click();
    await dialog.getByLabel('Why (optional)').fill('cmd-bot can look this up');
    await checkPage(page, 'task-reassign');
    await dialog.getByRole('button', { name: 'Reassign' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(async () => (await t.client.tasks.getTask({ id: task.id })).assignedAgentId).toBe(cmdBot.id);
    await page.context().close();
  });

  it('names the destructive steps in a checkbox that must be ticked before a plan runs', async () => {
    const doomed = await t.client.agents.createAgent({ agent: { name: unique('doomed-bot') }, requestId: rid() });
    const page = await newPage();
    await signIn(page, t.apiKey);
    await page.goto(`${consoleUrl}/commands`);
    await page.getByLabel('Say what should be done').fill(`retire ${doomed.name}`);
    await page.getByRole('button', { name: 'Show the plan' }).click();
    await page.getByTestId('plan-step-0').getByText('DESTRUCTIVE').waitFor();
    const run = page.getByRole('button', { name: 'Run plan' });
    expect(await run.isDisabled()).toBe(true);
    const understood = page.getByRole('checkbox', {
      name: /I understand these steps cannot be undone: 1\. .*doomed-bot/,
    });
    await understood.check();
    await checkPage(page, 'command-bar-destructive');
    await run.click();
    await page.getByRole('dialog').getByRole('button', { name: 'Run plan' }).click();
    await page.getByText('Every step succeeded').waitFor();
    expect((await t.client.agents.getAgent({ id: doomed.id })).state).toBe('RETIRED');
    await page.context().close();
  });

  it('shows the questions of a plan that cannot run, and no Run button', async () => {
    const page = await newPage();
    await signIn(page, t.apiKey);
    await page.goto(`${consoleUrl}/commands`);
    await page.getByLabel('Say what should be done').fill('deploy it');
    await page.getByRole('button', { name: 'Show the plan' }).click();
    await page.getByText('Questions to settle before this can run').waitFor();
    expect(await page.getByRole('button', { name: 'Run plan' }).count()).toBe(0);
    await checkPage(page, 'command-bar-questions');
    await page.context().close();
  });

  it('shows a viewer the plan with ✗ on what the viewer may not do, and no Run button', async () => {
    const page = await newPage();
    await signIn(page, viewerKey);
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Command bar' }).click();
    await page.getByLabel('Say what should be done').fill('create an agent called viewer-made-bot');
    await page.getByRole('button', { name: 'Show the plan' }).click();
    await page.getByTestId('plan-step-0').getByText('✗ not permitted').waitFor();
    await page.getByText('You may not run this plan').waitFor();
    expect(await page.getByRole('button', { name: 'Run plan' }).count()).toBe(0);
    await checkPage(page, 'command-bar-viewer');
    await page.context().close();
  });

  it('shows spend against budgets in words, saying when no budget is set (never $0)', async () => {
    const page = await newPage();
    await signIn(page, t.apiKey);
    const card = page.getByRole('region', { name: 'Spend against budgets' });
    await card.getByText('No budget is set for the tenant').waitFor();
    expect(await card.innerText()).not.toContain('$0');

    await t.client.governance.setBudget({
      scope: 'TENANT' as never,
      period: 'MONTHLY' as never,
      costLimitMicros: 250_000_000,
      tokenLimit: 1_000_000,
      requestId: rid(),
    });
    // A fresh load rather than the card's 5 s refresh: the test stays short.
    await page.reload();
    await card.getByText('of $250.00 spent this month').waitFor();
    await card.getByText('of 1,000,000 tokens used this month').waitFor();
    await card.getByRole('img', { name: /Share of each budget used/ }).waitFor();
    await checkPage(page, 'overview-budgets');
    await page.context().close();
  });
});
