import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  checkPage,
  chromiumMissing,
  keyWithRole,
  openSection,
  rid,
  startConsoleBrowser,
  unique,
  type ConsoleBrowser,
} from './support/console-browser';

/**
 * The Context page in a real Chromium against a real stack: a scope picked,
 * an entry put through the form and read back over gRPC, entries put over
 * gRPC (as an agent would) shown live and each change once, a stale expected
 * version refused as ABORTED naming the field, a delete after a confirmation,
 * and a viewer offered no put or delete.
 */

let c: ConsoleBrowser;
let viewerKey: string;

async function openTeamScope(page: Page, label: string) {
  await page.getByText('Team', { exact: true }).click();
  await page.getByLabel('Team label').fill(label);
  await page.getByRole('button', { name: 'Open scope' }).click();
}

const put = (scope: string, key: string, valueJson: string, expectedVersion?: number) =>
  c.stack.client.context.putContext({ scope, key, valueJson, expectedVersion, requestId: rid() });

describe.skipIf(chromiumMissing)('console context page in Chromium', () => {
  beforeAll(async () => {
    c = await startConsoleBrowser();
    viewerKey = await keyWithRole(c.stack, 'viewer');
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('puts an entry, shows changes made over gRPC live and once, refuses a stale version, deletes', async () => {
    const label = unique('sales');
    const scope = `team/${label}`;
    await put(scope, 'greeting', '"hello"');
    // A key put and deleted before the page opens: not listed, and its changes are not new (the watch
    // starts at the position the list reflects, not at the newest listed entry's).
    await put(scope, 'gone.before', '1');
    await c.stack.client.context.deleteContext({ scope, key: 'gone.before', requestId: rid() });
    const page = await c.newPage();
    await c.signIn(page, c.stack.apiKey);
    await openSection(page, 'Context', 'Context');

    // A scope of the wrong shape is refused by the service, naming the field.
    await openTeamScope(page, 'no/slash');
    await page
      .getByRole('alert')
      .getByText(/^scope: .*\(INVALID_ARGUMENT\)/)
      .waitFor();

    await openTeamScope(page, label);
    await page.getByRole('heading', { name: `Entries in ${scope}` }).waitFor();
    await page.getByRole('link', { name: 'greeting' }).waitFor();

    const form = page.getByRole('form', { name: `Put a value in ${scope}` });
    await form.getByLabel('Key').fill('release.freeze');
    await form.getByLabel('Value (JSON)').fill('{until: tomorrow}');
    await form.getByRole('button', { name: 'Put value' }).click();
    await form
      .getByRole('alert')
      .getByText(/^value_json: .*\(INVALID_ARGUMENT\)/)
      .waitFor();

    const value = '{"until":"2025-02-01","teams":["ops"],"big":12345678901234567890}';
    await form.getByLabel('Value (JSON)').fill(value);
    await form.getByRole('button', { name: 'Put value' }).click();
    const card = page.getByRole('region', { name: 'release.freeze' });
    await card.getByText(/^Version 1, made by user:/).waitFor();
    // The put is done with: key and value both cleared.
    expect([await form.getByLabel('Key').inputValue(), await form.getByLabel('Value (JSON)').inputValue()]).toEqual([
      '',
      '',
    ]);
    const stored = await c.stack.client.context.getContext({ scope, key: 'release.freeze' });
    expect(stored.valueJson).toBe(value);
    expect(stored.version).toBe(1);
    // Laid out for reading, the number exactly as stored.
    expect(await card.getByTestId('context-entry-value').innerText()).toBe(
      '{\n  "until": "2025-02-01",\n  "teams": [\n    "ops"\n  ],\n  "big": 12345678901234567890\n}',
    );
    const admin = await c.stack.client.governance.getPrincipal({ id: stored.updatedBy.split(':')[1] });
    expect(await card.getByTestId('context-entry-version').innerText()).toContain(
      `made by user:${admin.name} (${admin.id.slice(0, 8)}…)`,
    );

    // Changes made elsewhere (an agent's, over gRPC) show without a reload, each once.
    await put(scope, 'agent.note', '"from an agent"');
    await put(scope, 'release.freeze', '{"until":"2025-03-01"}');
    await page.getByRole('link', { name: 'agent.note' }).waitFor();
    await card.getByText(/^Version 2, made by/).waitFor();
    expect(await card.getByTestId('context-entry-value').innerText()).toBe('{\n  "until": "2025-03-01"\n}');
    const changes = page.getByTestId('context-changes').getByRole('listitem');
    await expect.poll(() => changes.count()).toBe(3);
    expect((await changes.allInnerTexts()).map((t) => t.split(' by ')[0])).toEqual([
      'release.freeze version 2 put',
      'agent.note version 1 put',
      'release.freeze version 1 put',
    ]);
    expect(await page.getByRole('row').count()).toBe(4);
    await checkPage(page, 'context');

    // Read version 2, someone else writes version 3, then writing back version 2 is refused.
    await card.getByRole('button', { name: 'Change this value' }).click();
    expect(await form.getByLabel('Expected version').inputValue()).toBe('2');
    // The stored text as it is (not laid out): saving it unchanged writes the same bytes.
    expect(await form.getByLabel('Value (JSON)').inputValue()).toBe('{"until":"2025-03-01"}');
    expect(await form.getByLabel('Key').inputValue()).toBe('release.freeze');
    await put(scope, 'release.freeze', '{"until":"2025-04-01"}');
    await form.getByLabel('Value (JSON)').fill('{"until":"2025-05-01"}');
    await form.getByRole('button', { name: 'Put value' }).click();
    await form
      .getByRole('alert')
      .getByText(/^expected_version 2 is stale: the entry is at version 3.*\(ABORTED\)\.$/)
      .waitFor();
    const after = await c.stack.client.context.getContext({ scope, key: 'release.freeze' });
    expect(after.version).toBe(3);
    expect(after.valueJson).toBe('{"until":"2025-04-01"}');
    await card.getByText(/^Version 3, made by/).waitFor();
    await checkPage(page, 'context-stale-write');

    await card.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete release.freeze?' });
    await dialog.waitFor();
    await checkPage(page, 'context-delete-confirmation');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => page.getByRole('link', { name: 'release.freeze' }).count()).toBe(0);
    await expect(c.stack.client.context.getContext({ scope, key: 'release.freeze' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect.poll(() => changes.first().innerText()).toMatch(/^release\.freeze version 4 deleted/);
    await page.context().close();
  });

  it("says in words when a page's code cannot be fetched, and shows the page once it can", async () => {
    const page = await c.newPage();
    await c.signIn(page, c.stack.apiKey);
    // As if the console had been rebuilt since the tab loaded it: the page's file is gone.
    const contextCode = /\/assets\/ContextPage-[\w-]+\.js$/;
    await page.route(contextCode, (route) => route.fulfill({ status: 404, body: 'no such file' }));
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Context' }).click();
    // The console reloaded itself once for the new build; the file is still missing, so the page says so.
    await page.getByRole('alert').getByText('This page could not be shown').waitFor();
    expect(await page.evaluate('sessionStorage.getItem("aos.reloadedForMissingCode")')).toMatch(/^\d+$/);
    await page.getByRole('navigation', { name: 'Sections' }).waitFor();
    await checkPage(page, 'page-code-missing');

    // Plain words first; the browser's own message only under "Technical details", closed.
    const alert = page.getByRole('alert').filter({ hasText: 'This page could not be shown' });
    await alert.getByText(/^The console was updated since this tab was opened/).waitFor();
    const details = alert.locator('details');
    expect(await details.getAttribute('open')).toBeNull();
    expect(await details.locator('summary').innerText()).toBe('Technical details');
    expect(await details.textContent()).toMatch(/dynamically imported module/);

    await page.unroute(contextCode);
    await page.getByRole('button', { name: 'Reload the console' }).click();
    await page.getByRole('heading', { name: 'Context', exact: true, level: 1 }).waitFor();

    // Within a minute of that reload the console does not reload itself again: the page fails in place,
    // and "Try again" fetches its code anew (React.lazy alone would keep the failure) without a reload.
    const knowledgeCode = /\/assets\/KnowledgePage-[\w-]+\.js$/;
    await page.route(knowledgeCode, (route) => route.fulfill({ status: 404, body: 'no such file' }));
    await page.evaluate('window.sameTab = true');
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Knowledge' }).click();
    await alert.getByText(/^The console was updated since this tab was opened/).waitFor();
    await page.unroute(knowledgeCode);
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.getByRole('heading', { name: 'Knowledge', exact: true, level: 1 }).waitFor();
    expect(await page.evaluate('window.sameTab')).toBe(true);
    await page.context().close();
  });

  it('offers a viewer the page and its live changes but no put or delete', async () => {
    const key = unique('viewer.visible');
    await put('tenant', key, '{"shown":true}');
    const page = await c.newPage();
    await c.signIn(page, viewerKey);
    await openSection(page, 'Context', 'Context');
    await page.getByRole('heading', { name: 'Entries in tenant' }).waitFor();
    await page.getByRole('link', { name: key }).click();
    const card = page.getByRole('region', { name: key });
    await card.getByText(/^Version 1, made by/).waitFor();

    await put('tenant', `${key}.2`, '1');
    await page.getByRole('link', { name: `${key}.2` }).waitFor();
    expect(await page.getByRole('form', { name: 'Put a value in tenant' }).count()).toBe(0);
    for (const action of ['Put value', 'Change this value', 'Delete']) {
      expect(await page.getByRole('button', { name: action }).count(), action).toBe(0);
    }
    await checkPage(page, 'context-as-viewer');
    await page.context().close();
  });
});
