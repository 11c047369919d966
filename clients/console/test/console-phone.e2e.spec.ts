import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
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
 * The console on a phone-sized screen (390×844, touch, mobile viewport): every
 * page reached through the burger menu, none wider than the screen (wide tables
 * scroll inside their own box), its main controls within the screen's width,
 * axe-core clean, and a screenshot of each as test-results/console/phone-*.png.
 */
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

let c: ConsoleBrowser;
let t: TestStack;
let agentId: string;
let taskId: string;

/**
 * The page itself never scrolls sideways. On a mobile viewport Chromium widens
 * the layout viewport to fit content that overflows, so window.innerWidth is
 * compared with the phone's width as well.
 */
async function expectNoSidewaysScroll(page: Page, what: string) {
  const { scrollWidth, innerWidth } = (await page.evaluate(
    '({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })',
  )) as { scrollWidth: number; innerWidth: number };
  const wide = `${what} is ${scrollWidth}px wide (window ${innerWidth}px) on a ${PHONE.viewport.width}px screen`;
  expect(scrollWidth, wide).toBeLessThanOrEqual(innerWidth + 1);
  expect(innerWidth, wide).toBeLessThanOrEqual(PHONE.viewport.width);
}

/** Wide tables scroll inside their own box, so the main area does not scroll sideways. */
async function expectMainFits(page: Page, what: string) {
  const { scrollWidth, clientWidth } = (await page.evaluate(
    '(() => { const m = document.querySelector("main"); return { scrollWidth: m.scrollWidth, clientWidth: m.clientWidth }; })()',
  )) as { scrollWidth: number; clientWidth: number };
  expect(scrollWidth, `the main area of ${what} is ${scrollWidth}px wide in ${clientWidth}px`).toBeLessThanOrEqual(
    clientWidth + 1,
  );
}

/** Visible and wholly inside the screen's width, so nobody has to scroll sideways to reach it. */
async function expectWithinWidth(control: Locator, what: string) {
  await control.waitFor();
  const box = await control.boundingBox();
  expect(box, `${what} has a box`).not.toBeNull();
  expect(box!.x, `${what} starts on screen`).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width, `${what} ends on screen`).toBeLessThanOrEqual(PHONE.viewport.width + 1);
}

/** Whether any of it lies on the screen (a collapsed menu is moved off to the left, not hidden). */
async function onScreen(control: Locator) {
  const box = await control.boundingBox();
  return !!box && box.width > 0 && box.x + box.width > 0 && box.x < PHONE.viewport.width;
}

/** A state badge in a list shows its whole word: the table scrolls in its box rather than squeezing it to "D…". */
async function expectWholeBadge(page: Page, state: string) {
  const label = page.getByRole('table').locator('.mantine-Badge-label', { hasText: state }).first();
  await label.waitFor();
  const { scrollWidth, clientWidth } = (await label.evaluate((el) => ({
    scrollWidth: el.scrollWidth,
    clientWidth: el.clientWidth,
  }))) as { scrollWidth: number; clientWidth: number };
  expect(scrollWidth, `the ${state} badge is cut`).toBeLessThanOrEqual(clientWidth);
}

/** Opens the menu with its labelled button and follows one of its links. */
async function openSection(page: Page, link: string, heading: string) {
  const sections = page.getByRole('navigation', { name: 'Sections' });
  const menu = page.getByRole('button', { name: 'Toggle navigation' });
  await expectWithinWidth(menu, 'the menu button');
  expect(await onScreen(sections.getByRole('link', { name: link, exact: true }))).toBe(false);
  await menu.click();
  // The menu slides in from the left.
  await expect
    .poll(async () => (await sections.getByRole('link', { name: link, exact: true }).boundingBox())?.x)
    .toBeGreaterThanOrEqual(0);
  await expectWithinWidth(sections.getByRole('link', { name: link, exact: true }), `the ${link} link`);
  await sections.getByRole('link', { name: link, exact: true }).click();
  await page.getByRole('heading', { name: heading, exact: true, level: 1 }).waitFor();
  // Following a link closes the menu again, so the page is not hidden behind it.
  await expect.poll(() => onScreen(sections.getByRole('link', { name: link, exact: true }))).toBe(false);
}

async function checkPhonePage(page: Page, name: string, controls: [Locator, string][]) {
  for (const [control, what] of controls) await expectWithinWidth(control, `${what} on ${name}`);
  await expectNoSidewaysScroll(page, name);
  if (name !== 'sign-in') await expectMainFits(page, name);
  await checkPage(page, `phone-${name}`);
}

describe.skipIf(chromiumMissing)('web console on a phone-sized screen', () => {
  beforeAll(async () => {
    c = await startConsoleBrowser();
    t = c.stack;
    const agent = await t.client.agents.createAgent({
      agent: {
        name: unique('phone-refund-bot'),
        capabilities: ['refunds', 'invoices'],
        description: 'Refunds paid invoices when the customer asks within thirty days of the purchase',
      },
      requestId: rid(),
    });
    agentId = agent.id;
    // No agent is ACTIVE, so the task stays QUEUED and its actions are offered.
    const task = await t.client.tasks.submitTask({
      task: { text: 'Refund invoice 1042 to the customer and tell them by email when it is done' },
      requestId: rid(),
    });
    taskId = task.id;
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('fits every page into 390 px, reachable through the menu, axe-clean', async () => {
    const page = await c.newPage(PHONE);
    await page.goto(c.url);
    await checkPhonePage(page, 'sign-in', [
      [page.getByLabel('API key'), 'the API key field'],
      [page.getByRole('button', { name: 'Sign in' }), 'the sign-in button'],
    ]);

    await c.signIn(page, t.apiKey);
    await checkPhonePage(page, 'overview', [
      [page.getByRole('button', { name: 'Toggle navigation' }), 'the menu button'],
      [page.getByRole('button', { name: 'Sign out' }), 'the sign-out button'],
    ]);

    await openSection(page, 'Agents', 'Agents');
    await page
      .getByRole('link', { name: /phone-refund-bot/ })
      .first()
      .waitFor();
    await expectWholeBadge(page, 'DRAFT');
    await checkPhonePage(page, 'agents', [[page.getByRole('link', { name: 'Create agent' }), 'Create agent']]);

    await page.getByRole('link', { name: 'Create agent' }).click();
    await page.getByRole('heading', { name: 'Create an agent' }).waitFor();
    await checkPhonePage(page, 'agent-create', [
      [page.getByLabel('Name'), 'the name field'],
      [page.getByRole('button', { name: 'Create agent' }), 'the create button'],
    ]);

    await page.goto(`${c.url}/agents/${agentId}`);
    await page.getByText('DRAFT', { exact: true }).waitFor();
    await checkPhonePage(page, 'agent', [[page.getByRole('button', { name: 'Deploy' }), 'the deploy button']]);

    await openSection(page, 'Tasks', 'Tasks');
    await page
      .getByRole('link', { name: /Refund invoice 1042/ })
      .first()
      .waitFor();
    await expectWholeBadge(page, 'QUEUED');
    await checkPhonePage(page, 'tasks', [
      [page.getByLabel('What should be done?'), 'the task text field'],
      [page.getByRole('button', { name: 'Submit task' }), 'the submit button'],
    ]);

    await page.goto(`${c.url}/tasks/${taskId}`);
    await page.getByText('QUEUED', { exact: true }).waitFor();
    await checkPhonePage(page, 'task', [[page.getByRole('button', { name: 'Cancel task' }), 'the cancel button']]);

    await openSection(page, 'Approvals', 'Approvals waiting');
    await page.getByText('Nothing is waiting for approval.').waitFor();
    await checkPhonePage(page, 'approvals', []);

    await openSection(page, 'Audit', 'Audit');
    await page.getByRole('button', { name: 'Apply filters' }).waitFor();
    await checkPhonePage(page, 'audit', [
      [page.getByLabel('Event type'), 'the event type filter'],
      [page.getByRole('button', { name: 'Apply filters' }), 'the apply button'],
    ]);

    await openSection(page, 'Knowledge', 'Knowledge');
    await checkPhonePage(page, 'knowledge', [
      [page.getByRole('button', { name: 'Create knowledge base' }), 'the create button'],
    ]);

    // A long key and a long value: the table scrolls in its box, the entry's value wraps or scrolls in its own.
    const longKey = unique('phone.release.freeze.window.for.the.billing.team');
    await t.client.context.putContext({
      scope: 'tenant',
      key: longKey,
      valueJson: JSON.stringify({ until: '2025-02-01', teams: ['ops', 'billing', 'support'], note: 'x'.repeat(120) }),
      requestId: rid(),
    });
    await openSection(page, 'Context', 'Context');
    await page.getByRole('heading', { name: 'Entries in tenant' }).waitFor();
    await page.getByRole('link', { name: longKey }).click();
    await page
      .getByRole('region', { name: longKey })
      .getByText(/^Version 1, made by/)
      .waitFor();
    await checkPhonePage(page, 'context', [
      [page.getByRole('button', { name: 'Open scope' }), 'the open-scope button'],
      [page.getByRole('button', { name: 'Put value' }), 'the put button'],
      [page.getByRole('button', { name: 'Change this value' }), 'the change button'],
    ]);

    await openSection(page, 'Governance', 'Governance');
    await page.getByRole('tab').first().waitFor();
    await checkPhonePage(page, 'governance', [[page.getByRole('tab').first(), 'the first tab']]);

    await openSection(page, 'Command bar', 'Command bar');
    await checkPhonePage(page, 'command-bar', [
      [page.getByLabel('Say what should be done'), 'the command field'],
      [page.getByRole('button', { name: 'Show the plan' }), 'the plan button'],
    ]);
    await page.context().close();
  });
});
