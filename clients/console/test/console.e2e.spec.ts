import { existsSync, mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestStack, type TestStack } from '@aos/testing';

/**
 * The web console in a real Chromium (Debian's, driven by playwright-core)
 * against a real stack: sign-in, creating and deploying an agent through the
 * form, a task's live steps, what a viewer is offered and refused, axe-core on
 * every page, and a 1280×800 screenshot of each into test-results/console/.
 */
const CHROMIUM = process.env.AOS_CHROMIUM ?? '/usr/bin/chromium';
const chromiumMissing = !existsSync(CHROMIUM);
if (chromiumMissing) {
  console.warn(
    `console browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set AOS_CHROMIUM)`,
  );
}

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const SHOTS = join(import.meta.dirname, '../../../test-results/console');
const VIEWPORT = { width: 1280, height: 800 };
const rid = () => randomUUID();
const unique = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

let t: TestStack;
let browser: Browser;
let consoleUrl: string;
let viewerKey: string;
const agentName = unique('invoice-bot');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core on the page as it is now: no serious or critical violation. */
async function expectAccessible(page: Page, what: string) {
  await page.addScriptTag({ path: AXE });
  const violations = (await page.evaluate('axe.run(document).then((r) => r.violations)')) as AxeViolation[];
  const bad = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(bad, `axe on ${what}`).toEqual([]);
}

async function shoot(page: Page, name: string) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

/** Accessible, then photographed: every page the tests reach. */
async function checkPage(page: Page, name: string) {
  await expectAccessible(page, name);
  await shoot(page, name);
}

async function signIn(page: Page, apiKey: string) {
  await page.goto(consoleUrl);
  await page.getByLabel('API key').fill(apiKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
}

async function newPage(): Promise<Page> {
  // Reduced motion: Mantine then opens dialogs without a fade, so axe never measures a half-transparent one.
  const context = await browser.newContext({ viewport: VIEWPORT, reducedMotion: 'reduce' });
  return context.newPage();
}

describe.skipIf(chromiumMissing)('web console in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    [t, browser] = await Promise.all([
      startTestStack(),
      chromium.launch({ executablePath: CHROMIUM, headless: true, args: isRoot ? ['--no-sandbox'] : [] }),
    ]);
    if (!t.consoleAddr) throw new Error('the test stack serves no console (AOS_CONSOLE_ADDR off?)');
    consoleUrl = `http://${t.consoleAddr}`;
    const viewer = await t.client.governance.createPrincipal({
      principal: { kind: 'USER' as never, name: unique('viewer') },
      requestId: rid(),
    });
    await t.client.governance.assignRole({ subject: viewer.subject, role: 'viewer', requestId: rid() });
    viewerKey = (await t.client.governance.createApiKey({ principalId: viewer.id, requestId: rid() })).secret;
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it('refuses a wrong key in words and signs the admin in with the key kept in sessionStorage only', async () => {
    const page = await newPage();
    await page.goto(consoleUrl);
    await checkPage(page, 'sign-in');
    await page.getByLabel('API key').fill('not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByText('That key was not accepted (UNAUTHENTICATED)').count()).toBe(1);

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
    expect(await nav.getByRole('link').allInnerTexts()).toEqual(['Overview', 'Agents', 'Knowledge', 'Command bar']);

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
    await page.context().close();
  });
});
