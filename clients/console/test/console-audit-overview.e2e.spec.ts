import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  checkPage,
  chromiumMissing,
  rid,
  startConsoleBrowser,
  unique,
  type ConsoleBrowser,
} from './support/console-browser';

/**
 * The audit timeline narrowed by time and followed live, and the overview's
 * throughput chart, in a real Chromium against a real stack.
 */
let cb: ConsoleBrowser;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The value a datetime-local input with seconds takes, in this machine's zone (the browser's too). */
function localDateTime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}` +
    `T${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`
  );
}

async function signedInPage(): Promise<Page> {
  const page = await cb.newPage();
  await cb.signIn(page, cb.stack.apiKey);
  return page;
}

async function createAgent(name: string): Promise<string> {
  const agent = await cb.stack.client.agents.createAgent({ agent: { name }, requestId: rid() });
  return agent.id;
}

const timelineRows = (page: Page, agentId: string) =>
  page
    .getByRole('row')
    .filter({ hasText: 'AgentCreated' })
    .filter({ hasText: `agent-${agentId}` });

describe.skipIf(chromiumMissing)('console audit time filter, live follow and overview throughput', () => {
  beforeAll(async () => {
    cb = await startConsoleBrowser();
  }, 60_000);
  afterAll(async () => {
    await cb?.stop();
  });

  it('a time filter narrows the timeline and lives in the address', async () => {
    const before = await createAgent(unique('before-bot'));
    // Whole seconds apart: the form's resolution.
    await pause(1_100);
    const from = localDateTime(new Date());
    await pause(1_100);
    const after = await createAgent(unique('after-bot'));

    const page = await signedInPage();
    await page.goto(`${cb.url}/audit?type=AgentCreated`);
    await expect.poll(() => timelineRows(page, before).count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => timelineRows(page, after).count()).toBe(1);

    await page.getByLabel('From', { exact: true }).fill(from);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => timelineRows(page, before).count(), { timeout: 10_000 }).toBe(0);
    expect(await timelineRows(page, after).count()).toBe(1);
    // The same instant: a datetime-local input drops ':00' seconds from its value (HTML's
    // normalised local date-time string), so compare times, not text.
    expect(new Date(new URL(page.url()).searchParams.get('from') ?? '').getTime()).toBe(new Date(from).getTime());
    expect(new URL(page.url()).searchParams.get('type')).toBe('AgentCreated');

    await page.getByLabel('To', { exact: true }).fill(from);
    await page.getByLabel('From', { exact: true }).fill('');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => timelineRows(page, before).count(), { timeout: 10_000 }).toBe(1);
    expect(await timelineRows(page, after).count()).toBe(0);
    await checkPage(page, 'audit-time-filter');
  });

  it('Live shows an agent created after the page opened, at the top, exactly once', async () => {
    const page = await signedInPage();
    await page.goto(`${cb.url}/audit?type=AgentCreated`);
    await page.getByRole('row').nth(1).waitFor();
    await page.getByRole('switch', { name: /Live/ }).check();
    // The stream is open before the agent exists: it must arrive through ReplayEvents, not a reload.
    await pause(500);
    const agentId = await createAgent(unique('live-bot'));
    await expect.poll(() => timelineRows(page, agentId).count(), { timeout: 5_000 }).toBe(1);
    const firstRow = page.getByRole('row').nth(1);
    await expect.poll(async () => (await firstRow.innerText()).includes(`agent-${agentId}`)).toBe(true);
    // Still once a moment later: no duplicate from a resumed stream.
    await pause(1_500);
    expect(await timelineRows(page, agentId).count()).toBe(1);
    await checkPage(page, 'audit-live');
  });

  // The stack is this file's own and no task ran before: the one cancelled here is the only finished task.
  it('the overview charts tasks finished per hour and says what it is computed from', async () => {
    const task = await cb.stack.client.tasks.submitTask({
      task: { text: 'Summarise the quarterly numbers' },
      requestId: rid(),
    });
    await cb.stack.client.tasks.cancelTask({ id: task.id, reason: 'not needed', requestId: rid() });
    const page = await signedInPage();
    const card = page.getByRole('region', { name: 'Tasks finished per hour' });
    await expect
      .poll(() => card.getByTestId('throughput-total').innerText(), { timeout: 20_000 })
      .toBe('1 task finished in the last 12 hours');
    await card.locator('.recharts-surface').first().waitFor();
    expect(await card.getByText(/Computed in this browser from ListTasks/).count()).toBe(1);
    const tasksCard = page.getByRole('region', { name: 'Tasks by state' });
    await expect
      .poll(async () => (await tasksCard.getByRole('row').filter({ hasText: 'CANCELLED' }).innerText()).trim())
      .toMatch(/1$/);
    // Today's column counts tasks submitted since this machine's (and the browser's) local midnight: the one
    // cancelled task, unless the day turned between its submission and now.
    const submittedToday =
      new Date(Number(task.createTime!.seconds) * 1000).toDateString() === new Date().toDateString();
    expect(await tasksCard.getByTestId('tasks-today-CANCELLED').innerText()).toBe(submittedToday ? '1' : '0');
    expect(await tasksCard.getByTestId('tasks-today-SUCCEEDED').innerText()).toBe('0');
    const health = page.getByRole('region', { name: 'Agents by health (not retired)' });
    await health.waitFor();
    // None of the audit tests' agents has run a task: all of them are UNKNOWN.
    const unknownRow = health.getByRole('row').filter({ hasText: 'UNKNOWN' });
    const unknown = Number((await unknownRow.getByRole('cell').last().innerText()).trim());
    expect(unknown).toBe(3);
    // Said in words, not left as a bare UNKNOWN: none of their runs has ended, and none is failing.
    expect(await unknownRow.getByText('no run ended yet').isVisible()).toBe(true);
    expect(await health.getByText('No agent is failing its runs.').isVisible()).toBe(true);
    await card.scrollIntoViewIfNeeded();
    await checkPage(page, 'overview-throughput');
  });

  // Last: it fills the log with agents, which the overview's counts above must not see.
  it("Live starts at the log's head: a new event once at the top, none of the older ones the pager holds", async () => {
    // More events than the timeline's first page (50, oldest first), so page 1 is not the whole log.
    const more = async () => (await cb.stack.client.audit.listEvents({ pageSize: 50 })).nextPageToken !== '';
    while (!(await more())) await createAgent(unique('filler-bot'));
    // The log's head before the page reads it: the page's own head is this or later.
    const head = Number((await cb.stack.client.audit.listEvents({ pageSize: 1 })).headPosition);
    const page = await signedInPage();
    await page.goto(`${cb.url}/audit`);
    const positions = async () =>
      (await page.locator('tbody tr td:first-child').allInnerTexts()).map((t) => Number(t.trim()));
    await page.getByRole('row').nth(1).waitFor();
    const listed = await positions();
    expect(listed.length).toBe(50);
    expect(Math.max(...listed)).toBeLessThan(head);

    await page.getByRole('switch', { name: /Live/ }).check();
    await pause(500);
    const agentId = await createAgent(unique('live-head-bot'));
    await expect.poll(() => timelineRows(page, agentId).count(), { timeout: 5_000 }).toBe(1);
    await pause(1_500);
    expect(await timelineRows(page, agentId).count()).toBe(1);
    const shown = await positions();
    // Page 1 as it was, below the followed events; everything followed is newer than the head it was read at.
    expect(shown.slice(shown.length - listed.length)).toEqual(listed);
    const followed = shown.slice(0, shown.length - listed.length);
    expect(followed.length).toBeGreaterThan(0);
    expect(followed.every((p) => p > head)).toBe(true);
    expect(new Set(shown).size).toBe(shown.length);
    await page.context().close();
  });
});
