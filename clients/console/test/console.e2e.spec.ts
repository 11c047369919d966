import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { TestStack } from '@aos/testing';
import {
  checkPage,
  chromiumMissing,
  rid,
  startConsoleBrowser,
  unique,
  type ConsoleBrowser,
} from './support/console-browser';

/**
 * The web console in a real Chromium (Debian's, driven by playwright-core)
 * against a real stack: sign-in, creating and deploying an agent through the
 * form, a task's live steps, what a viewer is offered and refused, axe-core on
 * every page, and a 1280×800 screenshot of each into test-results/console/.
 */

let c: ConsoleBrowser;
let t: TestStack;
let consoleUrl: string;
let viewerKey: string;
const agentName = unique('invoice-bot');
const newPage = (): Promise<Page> => c.newPage();
const signIn = (page: Page, apiKey: string) => c.signIn(page, apiKey);

describe.skipIf(chromiumMissing)('web console in Chromium', () => {
  beforeAll(async () => {
    c = await startConsoleBrowser();
    t = c.stack;
    consoleUrl = c.url;
    const viewer = await t.client.governance.createPrincipal({
      principal: { kind: 'USER' as never, name: unique('viewer') },
      requestId: rid(),
    });
    await t.client.governance.assignRole({ subject: viewer.subject, role: 'viewer', requestId: rid() });
    viewerKey = (await t.client.governance.createApiKey({ principalId: viewer.id, requestId: rid() })).secret;
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('refuses a wrong key in words and signs the admin in with the key kept in sessionStorage only', async () => {
    const page = await newPage();
    await page.goto(consoleUrl);
    await checkPage(page, 'sign-in');
    await page.getByLabel('API key').fill('not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The gateway loads its browser bridge on the first request (442 ms on an idle box): more than
    // expect.poll's default second while the other test files load the machine.
    await expect
      .poll(() => page.getByText('That key was not accepted (UNAUTHENTICATED)').count(), { timeout: 10_000 })
      .toBe(1);

    await signIn(page, t.apiKey);
    expect(await page.evaluate('sessionStorage.getItem("aos.apiKey")')).toBe(t.apiKey);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    await expect.poll(() => page.getByText('tenant-admin').count()).toBeGreaterThan(0);
    await checkPage(page, 'overview');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate('sessionStorage.getItem("aos.apiKey")')).toBeNull();
    await page.context().close();
  });

  it('creates an agent through the form and deploys it after a confirmation', async () => {
    const page = await newPage();
    await signIn(page, t.apiKey);
    await page.getByRole('link', { name: 'Agents' }).click();
    await page.getByRole('heading', { name: 'Agents', exact: true }).waitFor();
    await checkPage(page, 'agents');

    await page.getByRole('link', { name: 'Create agent' }).click();
    await page.getByRole('heading', { name: 'Create an agent' }).waitFor();
    await checkPage(page, 'agent-create');
    await page.getByLabel('Name').fill(agentName);
    await page.getByLabel('What it does').fill('Answers questions about invoices and refunds');
    const capabilities = page.getByRole('combobox', { name: 'Capabilities' });
    for (const c of ['invoices', 'refunds']) {
      await capabilities.fill(c);
      await capabilities.press('Enter');
    }
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.getByRole('heading', { name: agentName }).waitFor();
    await page.getByText('DRAFT', { exact: true }).waitFor();
    await checkPage(page, 'agent');

    await page.getByRole('button', { name: 'Deploy' }).click();
    const dialog = page.getByRole('dialog', { name: `Deploy ${agentName}?` });
    await dialog.waitFor();
    await checkPage(page, 'agent-deploy-confirmation');
    await dialog.getByRole('button', { name: 'Deploy' }).click();
    await page.getByText('ACTIVE', { exact: true }).waitFor();

    const agent = await t.client.agents.getAgent({ name: agentName });
    expect(agent.state).toBe('ACTIVE');
    expect(agent.capabilities).toEqual(['invoices', 'refunds']);
    expect(agent.description).toBe('Answers questions about invoices and refunds');
    await page.context().close();
  });

  it('submits a task in plain language and shows each of its steps once, live', async () => {
    const agent = await t.client.agents.createAgent({
      agent: { name: unique('refund-bot'), capabilities: ['refunds'], description: 'Refunds paid invoices' },
      requestId: rid(),
    });
    await t.client.agents.deployAgent({ id: agent.id, requestId: rid() });
    const page = await newPage();
    await signIn(page, t.apiKey);
    await page.getByRole('link', { name: 'Tasks' }).click();
    await page.getByRole('heading', { name: 'Tasks', exact: true }).waitFor();
    await page.getByLabel('What should be done?').fill('Refund invoice 1042 to the customer');
    await page.getByRole('button', { name: 'Submit task' }).click();
    await page.getByRole('heading', { name: 'Task', exact: true }).waitFor();
    const taskId = page.url().split('/tasks/')[1];

    // No model server is configured, so the run ends (FAILED) soon; the page follows it.
    const ended = async () => {
      const task = await t.client.tasks.getTask({ id: taskId });
      return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(String(task.state)) ? task : undefined;
    };
    await expect.poll(ended, { timeout: 20_000 }).toBeDefined();
    const task = (await ended())!;
    const shown = page.getByTestId('task-steps').getByRole('listitem');
    await expect.poll(() => shown.count(), { timeout: 10_000 }).toBe(task.steps.length);
    const texts = await shown.allInnerTexts();
    expect(texts.map((s) => s.split(' · ')[0])).toEqual(task.steps.map((s) => s.type));
    // The submitter and the agent are shown by name beside their ids, read from each step's data.
    const submitter = await t.client.governance.getPrincipal({ id: task.createdBy });
    const assigned = await t.client.agents.getAgent({ id: task.assignedAgentId });
    await expect
      .poll(() => shown.first().innerText())
      .toContain(`submitted by ${submitter.name} (${submitter.id.slice(0, 8)}…)`);
    const routed = shown.filter({ hasText: 'TaskRouted' }).first();
    await expect
      .poll(() => routed.innerText())
      .toContain(`routed to agent ${assigned.name} (${assigned.id.slice(0, 8)}…)`);
    await page.getByText('Why this agent').waitFor();
    await checkPage(page, 'task');

    await page.getByRole('link', { name: 'All tasks' }).click();
    await page.getByRole('link', { name: 'Refund invoice 1042 to the customer' }).waitFor();
    await checkPage(page, 'tasks');
    await page.context().close();
  });

  it('shows the approvals inbox and the audit timeline with an event’s full envelope', async () => {
    const page = await newPage();
    await signIn(page, t.apiKey);
    await page.getByRole('link', { name: 'Approvals', exact: true }).click();
    await page.getByRole('heading', { name: 'Approvals waiting' }).waitFor();
    await page.getByText('Nothing is waiting for approval.').waitFor();
    await checkPage(page, 'approvals');

    const agent = await t.client.agents.getAgent({ name: agentName });
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('heading', { name: 'Audit', exact: true }).waitFor();
    await page.getByLabel('Event type').fill('AgentDeployed');
    await page.getByLabel('Stream').fill(`agent-${agent.id}`);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    // Another agent was deployed too: the filters leave this one's event alone.
    await expect.poll(() => page.getByRole('button', { name: 'AgentDeployed' }).count()).toBe(1);
    await expect.poll(() => page.getByRole('row').count()).toBe(2);
    // The actor (the admin key's principal) is shown by name beside its id.
    const actor = await t.client.governance.getPrincipal({ id: agent.createdBy });
    await expect
      .poll(() => page.getByRole('row').nth(1).innerText())
      .toContain(`:${actor.name} (${actor.id.slice(0, 8)}…)`);
    await page.getByRole('button', { name: 'AgentDeployed' }).click();
    const envelope = page.getByRole('dialog');
    await envelope.getByText(`"stream": "agent-${agent.id}"`).waitFor();
    expect(await envelope.innerText()).toContain('"correlationId"');
    await checkPage(page, 'audit-event');
    await page.keyboard.press('Escape');
    await checkPage(page, 'audit');
    await page.context().close();
  });

  it("offers a viewer no mutating control, and the gateway refuses the viewer's crafted call", async () => {
    const draft = await t.client.agents.createAgent({ agent: { name: unique('draft-bot') }, requestId: rid() });
    const page = await newPage();
    await signIn(page, viewerKey);
    const nav = page.getByRole('navigation', { name: 'Sections' });
    expect(await nav.getByRole('link').allInnerTexts()).toEqual([
      'Overview',
      'Agents',
      'Knowledge',
      'Context',
      'Command bar',
    ]);

    await nav.getByRole('link', { name: 'Agents' }).click();
    await page.getByRole('link', { name: draft.name }).waitFor();
    expect(await page.getByRole('link', { name: 'Create agent' }).count()).toBe(0);
    await page.getByRole('link', { name: draft.name }).click();
    await page.getByRole('heading', { name: draft.name }).waitFor();
    for (const action of ['Deploy', 'Pause', 'Resume', 'Retire']) {
      expect(await page.getByRole('button', { name: action }).count(), action).toBe(0);
    }
    await checkPage(page, 'agent-as-viewer');

    const refusal = (await page.evaluate(
      `fetch('/aos.v1.AgentService/DeployAgent', {
         method: 'POST',
         headers: {
           'content-type': 'application/json',
           'connect-protocol-version': '1',
           authorization: 'Bearer ' + sessionStorage.getItem('aos.apiKey'),
         },
         body: JSON.stringify({ id: ${JSON.stringify(draft.id)}, requestId: ${JSON.stringify(rid())} }),
       }).then(async (r) => ({ status: r.status, body: await r.json() }))`,
    )) as { status: number; body: { code: string } };
    expect(refusal.status).toBe(403);
    expect(refusal.body.code).toBe('permission_denied');
    expect((await t.client.agents.getAgent({ id: draft.id })).state).toBe('DRAFT');

    // The create form's address typed in: a notice, not a form the gateway would refuse.
    await page.goto(`${consoleUrl}/agents/new`);
    await page.getByRole('heading', { name: 'Create an agent' }).waitFor();
    await page.getByText('You may not create agents').waitFor();
    expect(await page.getByLabel('Name').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Create agent' }).count()).toBe(0);
    await checkPage(page, 'agent-create-as-viewer');
    await page.context().close();
  });
});
