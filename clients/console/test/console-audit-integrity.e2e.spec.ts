import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
 * The Audit page's Integrity panel in a real Chromium against a real stack: the newest seal, a seal made now,
 * the whole trail verified against its seals (the same counts VerifyLog gives through the API), the bundle an
 * auditor checks offline downloaded, and the buttons a person without audit.replay is not offered.
 */
let cb: ConsoleBrowser;

/** "10,104" → 10104. */
const count = (text: string) => Number(text.replace(/,/g, ''));

describe.skipIf(chromiumMissing)('console audit integrity panel', () => {
  beforeAll(async () => {
    cb = await startConsoleBrowser();
  }, 60_000);
  afterAll(async () => {
    await cb?.stop();
  });

  it('seals, verifies with the counts VerifyLog gives, and downloads a bundle that starts with its header', async () => {
    // Events to seal: the stack's own plus an agent.
    await cb.stack.client.agents.createAgent({ agent: { name: unique('sealed-bot') }, requestId: rid() });
    const page = await cb.newPage();
    await cb.signIn(page, cb.stack.apiKey);
    await page.goto(`${cb.url}/audit`);
    const panel = page.getByRole('region', { name: 'Integrity' });
    const status = panel.getByTestId('seal-status');
    await status.waitFor();
    // Test stacks sign nothing on a timer: no seal unless something asked for one.
    expect(await status.innerText()).toMatch(/^(No seal yet|Last sealed: [\d,]+ events?, (at|on) .+)$/);

    await panel.getByRole('button', { name: 'Seal now' }).click();
    await expect.poll(() => status.innerText(), { timeout: 10_000 }).toMatch(/^Last sealed: [\d,]+ events?, at /);
    const newest = await cb.stack.client.audit.getCheckpoint({ treeSize: 0 });
    const sealed = count(/Last sealed: ([\d,]+)/.exec(await status.innerText())![1]);
    expect(sealed).toBe(newest.treeSize);
    expect(sealed).toBeGreaterThan(1);

    await panel.getByRole('button', { name: 'Verify now' }).click();
    const result = panel.getByTestId('verify-result');
    await result.waitFor({ timeout: 10_000 });
    const direct = await cb.stack.client.audit.verifyLog({ afterPosition: 0, untilPosition: 0, trustedCheckpoint: '' });
    expect(direct.ok).toBe(true);
    const text = await result.innerText();
    expect(text).toContain('The audit trail is intact');
    const [, events, seals] = /([\d,]+) events? checked against ([\d,]+) signed seals?/.exec(text)!;
    expect(count(events)).toBe(direct.eventsChecked);
    expect(count(seals)).toBe(direct.checkpointsChecked);
    // The seal just made is itself an event, newer than the trail it sealed: one event not sealed yet.
    expect(direct.unverifiedEvents).toBe(1);
    expect(text).toContain('1 newer event not sealed yet');
    const key = await cb.stack.client.audit.getLogKey({});
    expect(await panel.getByTestId('verifier-key').innerText()).toBe(key.verifierKey);
    await checkPage(page, 'audit-integrity');

    // The technical details: the signed root as the API gives it, and the signed note.
    await panel.getByText('Technical details').click();
    const details = panel.getByRole('table', { name: /Technical details/ });
    const rootRow = details.getByRole('row').filter({ hasText: 'Root (SHA-256)' });
    expect(await rootRow.getByRole('cell').innerText()).toBe(Buffer.from(newest.rootHash).toString('hex'));
    expect(await details.getByText(newest.note.split('\n')[0]).count()).toBeGreaterThan(0);
    await checkPage(page, 'audit-integrity-details');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      panel.getByRole('button', { name: 'Download for offline check' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^audit-trail-\d{4}-\d{2}-\d{2}\.bundle\.jsonl$/);
    const lines = (await readFile(await download.path(), 'utf8')).trimEnd().split('\n');
    const header = JSON.parse(lines[0]) as { format: string; verifierKey: string; complete: boolean; treeSize: number };
    expect(header.format).toBe('aos-audit-bundle/1');
    expect(header.verifierKey).toBe(key.verifierKey);
    expect(header.complete).toBe(true);
    // Header, one line per event of the signed tree, trailer.
    expect(lines.length).toBe(header.treeSize + 2);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ end: true, eventCount: header.treeSize });

    // Where a failed check's link leads: the timeline from that event on, the event marked.
    await page.goto(`${cb.url}/audit?at=${newest.lastPosition}`);
    const firstRow = page.getByRole('row').nth(1);
    await expect
      .poll(() => firstRow.locator('td').first().innerText(), { timeout: 10_000 })
      .toBe(String(newest.lastPosition));
    expect(await firstRow.getAttribute('aria-current')).toBe('true');
    expect(await page.getByText(`Showing the events from #${newest.lastPosition} on.`).count()).toBe(1);
    await page.context().close();
  });

  it('a person without audit.replay sees the seal and the key, and the checks disabled with the reason', async () => {
    const page = await cb.newPage();
    // Only audit.list: what the panel reads, nothing it runs.
    await cb.stack.client.governance.defineRole({
      role: { name: 'audit-reader', permissions: ['audit.list', 'self.whoami', 'roles.list'] },
      requestId: rid(),
    });
    await cb.signIn(page, await keyWithRole(cb.stack, 'audit-reader'));
    await page.goto(`${cb.url}/audit`);
    const panel = page.getByRole('region', { name: 'Integrity' });
    await panel.getByTestId('seal-status').waitFor();
    for (const name of ['Verify now', 'Seal now', 'Download for offline check']) {
      expect(await panel.getByRole('button', { name }).isDisabled(), name).toBe(true);
    }
    expect(await panel.getByTestId('integrity-needs-permission').innerText()).toContain('audit.replay');
    await panel.getByTestId('verifier-key').waitFor();
    await page.context().close();
  });
});
