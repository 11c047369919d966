import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ApprovalState, BudgetScope, TaskState } from '@aos/contracts';
import { startDemo, type RunningDemo } from '../../../scripts/demo';
import { APPROVAL_TOOL, DEMO_TOOLS } from '../../../scripts/demo.seed';
import { checkPage, chromiumMissing, startConsoleBrowser, type ConsoleBrowser } from './support/console-browser';

/**
 * `npm run demo` seen through the web console in a real Chromium: within a
 * minute the overview of the demo tenant shows succeeded tasks and one
 * approval waiting; a person reads in the inbox what the agent wants to do,
 * approves it with a reason, watches the task go on to SUCCEEDED, and finds
 * the decision in the audit timeline. With AOS_UPDATE_DOCS_SCREENSHOT=1 the
 * overview is also written to docs/console-overview.png for the README.
 */
const DOCS_SHOT = join(import.meta.dirname, '../../../docs/console-overview.png');
const FIRST_MINUTE_MS = 60_000;
const DECISION = 'Photos show the damage; refund approved';

let cb: ConsoleBrowser;
let demo: RunningDemo;
let consoleUrl: string;

async function signedInPage(): Promise<Page> {
  const page = await cb.newPage();
  await cb.signIn(page, demo.seed.apiKey);
  return page;
}

/** The count the overview shows in its "Tasks by state" card for one state. */
async function shownTaskCount(page: Page, state: string): Promise<number> {
  const row = page.getByRole('region', { name: 'Tasks by state' }).getByRole('row').filter({ hasText: state });
  if ((await row.count()) !== 1) return -1;
  return Number((await row.getByRole('cell').last().innerText()).trim());
}

describe.skipIf(chromiumMissing)('the demo in the web console', () => {
  beforeAll(async () => {
    cb = await startConsoleBrowser();
    consoleUrl = cb.url;
    demo = await startDemo({
      gatewayAddr: cb.stack.gatewayAddr,
      adminKey: cb.stack.apiKey,
      dataDir: cb.stack.dataDir,
      // What the demo says is for a person at a terminal; the page is what is checked here.
      log: () => undefined,
      taskIntervalMs: 1_000,
      agentOutput: 'ignore',
    });
  }, 90_000);
  afterAll(async () => {
    await demo?.stop();
    await cb?.stop();
  });

  it('within a minute the overview shows succeeded tasks and one approval waiting', async () => {
    const page = await signedInPage();
    await expect
      .poll(
        async () => ({
          succeeded: (await shownTaskCount(page, 'SUCCEEDED')) > 0,
          waiting: await page
            .getByTestId('approvals-waiting')
            .innerText({ timeout: 1_000 })
            .catch(() => ''),
        }),
        { timeout: FIRST_MINUTE_MS, interval: 1_000 },
      )
      .toEqual({ succeeded: true, waiting: '1' });
    // The numbers on the page are the API's.
    const succeeded = (await demo.client.tasks.listTasks({ filter: 'state = SUCCEEDED', pageSize: 1 })).totalSize;
    expect(await shownTaskCount(page, 'SUCCEEDED')).toBeLessThanOrEqual(succeeded);
    expect(await shownTaskCount(page, 'FAILED')).toBe(0);
    // Health comes from the agents' runs: the ones whose tasks succeeded are HEALTHY (the card reads every 15 s).
    const healthy = page
      .getByRole('region', { name: 'Agents by health (not retired)' })
      .getByRole('row')
      .filter({ hasText: /^\s*HEALTHY/ });
    await expect
      .poll(async () => Number((await healthy.getByRole('cell').last().innerText()).trim()), { timeout: 20_000 })
      .toBeGreaterThan(0);
    await checkPage(page, 'demo-overview');
    // The README's picture, rewritten only on request so that CI never changes a committed file.
    if (process.env.AOS_UPDATE_DOCS_SCREENSHOT === '1') await page.screenshot({ path: DOCS_SHOT });
    await page.context().close();
  }, 90_000);

  it("the overview's spend card shows the tenant's spend moving: the demo's tools are priced", async () => {
    const page = await signedInPage();
    const tenantRow = page
      .getByRole('region', { name: 'Spend against budgets' })
      .getByRole('row')
      .filter({ hasText: 'Whole tenant' });
    /** The tenant's cost used as the card shows it ("$0.58 of $500.00 spent today (0.1 %)"), in dollars. */
    const shownSpend = async () => {
      const text = await tenantRow
        .getByRole('cell')
        .nth(1)
        .innerText({ timeout: 1_000 })
        .catch(() => '');
      const match = /^\$([\d,.]+) of \$500\.00 spent today/.exec(text.trim());
      return match ? Number(match[1]!.replace(/,/g, '')) : -1;
    };
    await expect.poll(shownSpend, { timeout: FIRST_MINUTE_MS, interval: 1_000 }).toBeGreaterThan(0);
    // The card's figure is the API's (read after it: the spend only grows).
    const shown = await shownSpend();
    const budget = await demo.client.governance.getBudget({ scope: BudgetScope.TENANT });
    expect(shown).toBeLessThanOrEqual(Number(budget.costUsedMicros) / 1_000_000);

    // The agent form's tools picker says what a call of each costs.
    await page.goto(`${consoleUrl}/agents/new`);
    // The placeholder says so once the tools are loaded.
    await page.getByPlaceholder('Pick tools').click();
    for (const tool of DEMO_TOOLS) {
      // In dollars, as the overview's spend above says it.
      const price = (tool.priceMicros / 1_000_000).toFixed(2);
      await page.getByRole('option', { name: `${tool.name} ($${price} per call)` }).waitFor();
    }
    // The screenshot shows the open list with its prices.
    await checkPage(page, 'demo-agent-form-prices');
    await page.keyboard.press('Escape');
    await page.context().close();
  }, 90_000);

  it('approves the refund from the inbox; the task goes on to SUCCEEDED live; the decision is in the audit', async () => {
    const [approval] = (await demo.client.governance.listApprovals({ state: ApprovalState.PENDING })).approvals;
    expect(approval, 'an approval waits').toBeDefined();
    const waitingTask = (await demo.client.tasks.listTasks({ filter: 'state = WAITING_APPROVAL' })).tasks.find(
      (x) => x.approvalId === approval!.id,
    );
    expect(waitingTask, 'the task waiting on it').toBeDefined();

    const inbox = await signedInPage();
    await inbox.getByRole('link', { name: 'Approvals', exact: true }).click();
    await inbox.getByRole('heading', { name: 'Approvals waiting' }).waitFor();
    const card = inbox.getByRole('article', { name: `Approval: call the tool ${APPROVAL_TOOL}` });
    await card.waitFor();
    expect(await card.count()).toBe(1);
    // What the agent wants: the reason the runtime recorded names the tool (its input is the approval's arguments).
    // The agent's name comes with its own read, a moment after the card.
    await expect.poll(() => card.innerText()).toContain(`demo-refunds (agent:${waitingTask!.assignedAgentId})`);
    const cardText = await card.innerText();
    expect(cardText).toContain(`wants to call tool ${APPROVAL_TOOL};`);
    // With which arguments: the call's input as the agent gave it, pretty-printed.
    expect(approval!.argumentsJson, 'the refund call has arguments').not.toBe('');
    expect(approval!.argumentsTruncated).toBe(false);
    const shown = await card.getByLabel(`Arguments of ${APPROVAL_TOOL}`).innerText();
    expect(shown).toBe(JSON.stringify(JSON.parse(approval!.argumentsJson), null, 2));
    const taskLink = card.getByRole('link', { name: 'Open the waiting task' });
    await taskLink.waitFor();
    expect(await taskLink.getAttribute('href')).toBe(`/tasks/${waitingTask!.id}`);
    await checkPage(inbox, 'demo-approvals');

    // A second tab follows the task live while the first decides.
    const follower = await signedInPage();
    await follower.goto(`${consoleUrl}/tasks/${waitingTask!.id}`);
    await follower.getByRole('heading', { name: 'Task', exact: true }).waitFor();
    await follower.getByText('WAITING APPROVAL', { exact: true }).waitFor();
    await follower.getByTestId('task-steps').getByText('ApprovalAwaited').waitFor();
    await checkPage(follower, 'demo-task-waiting');

    await card.getByRole('button', { name: 'Approve…' }).click();
    const dialog = inbox.getByRole('dialog');
    await dialog.waitFor();
    // Titled with what is decided, in words, and the arguments in sight inside it (the dialog covers the card's).
    await inbox
      .getByRole('dialog', { name: `Approve: demo-refunds wants to call the tool ${APPROVAL_TOOL}` })
      .waitFor();
    expect(await dialog.getByLabel(`Arguments of ${APPROVAL_TOOL}`).innerText()).toBe(shown);
    await dialog.getByLabel('Reason').fill(DECISION);
    await checkPage(inbox, 'demo-approve-dialog');
    await dialog.getByRole('button', { name: 'Approve', exact: true }).click();
    const notice = inbox.getByRole('alert').filter({ hasText: `The agent may now call the tool ${APPROVAL_TOOL}` });
    await notice.waitFor();
    expect(await notice.getByRole('link', { name: 'Follow the task' }).getAttribute('href')).toBe(
      `/tasks/${waitingTask!.id}`,
    );
    const auditHref = await notice.getByRole('link', { name: 'See the decision in the audit' }).getAttribute('href');
    expect(auditHref).toBe(`/audit?type=ApprovalGranted&stream=approval-${approval!.id}`);
    await checkPage(inbox, 'demo-approved');
    // The decided approval: no "expires" any more, and who decided by name.
    await inbox.getByRole('combobox', { name: 'State' }).click();
    await inbox.getByRole('option', { name: 'APPROVED', exact: true }).click();
    await inbox.getByRole('heading', { name: 'Approvals', exact: true }).waitFor();
    const decidedCard = inbox
      .getByRole('article', { name: `Approval: call the tool ${APPROVAL_TOOL}` })
      .filter({ hasText: DECISION });
    const outcome = decidedCard.getByRole('row', { name: /^Outcome/ });
    await expect.poll(() => outcome.innerText()).toMatch(/APPROVED\s+.+ by user:demo-admin \([0-9a-f]{8}…\): /);
    expect(await outcome.innerText()).toContain(DECISION);
    expect(await decidedCard.getByRole('row', { name: /^Asked/ }).innerText()).not.toContain('expires');

    // The follower was not reloaded: the stream brought the approval and the end of the run.
    await follower.getByText('SUCCEEDED', { exact: true }).waitFor({ timeout: 20_000 });
    const steps = follower.getByTestId('task-steps');
    await steps.getByText('ApprovalReceived').waitFor();
    const done = await demo.client.tasks.getTask({ id: waitingTask!.id });
    expect(done.state).toBe(TaskState.SUCCEEDED);
    await follower.getByText(done.result, { exact: true }).waitFor();
    expect(demo.toolServer.refunds).toHaveLength(1);
    await checkPage(follower, 'demo-task-succeeded');
    await follower.context().close();

    // The timeline by hand: the type (the published event types are suggested) and the stream.
    await inbox.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Audit' }).click();
    await inbox.getByRole('heading', { name: 'Audit', exact: true }).waitFor();
    const typeInput = inbox.getByLabel('Event type');
    const suggestions = inbox.locator(`datalist#${await typeInput.getAttribute('list')} option`);
    expect(await suggestions.evaluateAll((os) => os.map((o) => o.getAttribute('value')))).toEqual(
      expect.arrayContaining(['ApprovalGranted', 'ApprovalRejected', 'ApprovalRequested', 'ToolCalled']),
    );
    await typeInput.fill('ApprovalGranted');
    await inbox.getByLabel('Stream').fill(`approval-${approval!.id}`);
    await inbox.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => inbox.getByRole('button', { name: 'ApprovalGranted' }).count()).toBe(1);
    await expect.poll(() => inbox.getByRole('row').count()).toBe(2);
    // The filters are in the address: the inbox's link lands on the same timeline.
    expect(inbox.url()).toBe(`${consoleUrl}${auditHref}`);
    await inbox.getByRole('button', { name: 'ApprovalGranted' }).click();
    const envelope = inbox.getByRole('dialog');
    await envelope.getByText(`"reason": "${DECISION}"`).waitFor();
    expect(await envelope.innerText()).toContain(`"approvalId": "${approval!.id}"`);
    await checkPage(inbox, 'demo-audit-approval');
    await inbox.keyboard.press('Escape');

    await inbox.goto(`${consoleUrl}${auditHref}`);
    await inbox.getByRole('heading', { name: 'Audit', exact: true }).waitFor();
    expect(await inbox.getByLabel('Event type').inputValue()).toBe('ApprovalGranted');
    expect(await inbox.getByLabel('Stream').inputValue()).toBe(`approval-${approval!.id}`);
    await expect.poll(() => inbox.getByRole('button', { name: 'ApprovalGranted' }).count()).toBe(1);
    await checkPage(inbox, 'demo-audit-filtered');
    await inbox.context().close();
  }, 90_000);
});
