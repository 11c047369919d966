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
 * The Knowledge and Governance pages in a real Chromium against a real stack:
 * a knowledge base created, a markdown document uploaded and found with its
 * citation; a principal, its key (secret shown once), a role bound by name, a
 * tenant budget in currency units; and what a viewer is not offered.
 */
const REFUND_POLICY = [
  '# Refund policy',
  '',
  'Customers may ask for a refund within 30 days of the invoice date.',
  'Refunds are paid to the card that paid the invoice, within five working days.',
].join('\n');

let c: ConsoleBrowser;
let viewerKey: string;
const kbName = unique('handbook');
const personName = unique('dana');
const agentName = unique('billing-bot');

async function openTab(page: Page, tab: string) {
  await page.getByRole('tab', { name: tab }).click();
}

async function pick(page: Page, label: string, option: string) {
  await page.getByLabel(label, { exact: true }).first().click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

describe.skipIf(chromiumMissing)('console knowledge and governance pages in Chromium', () => {
  beforeAll(async () => {
    c = await startConsoleBrowser();
    viewerKey = await keyWithRole(c.stack, 'viewer');
    await c.stack.client.agents.createAgent({ agent: { name: agentName }, requestId: rid() });
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('creates a knowledge base, uploads a markdown document, finds it with a citation and removes it', async () => {
    const page = await c.newPage();
    await c.signIn(page, c.stack.apiKey);
    await openSection(page, 'Knowledge', 'Knowledge');
    await checkPage(page, 'knowledge');

    await page.getByLabel('Name').fill(kbName);
    await page.getByLabel('Description').fill('How we handle refunds');
    await page.getByRole('button', { name: 'Create knowledge base' }).click();
    await page.getByRole('heading', { name: `Documents in ${kbName}` }).waitFor();

    const fileInput = page.locator('input[type=file]');
    await fileInput.setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: Buffer.from('png') });
    await page.getByRole('button', { name: 'Upload' }).click();
    await page
      .getByRole('alert')
      .getByText(/^content_type: logo\.png is not/)
      .waitFor();

    await fileInput.setInputFiles({ name: 'refunds.md', mimeType: '', buffer: Buffer.from(REFUND_POLICY) });
    await page.getByRole('button', { name: 'Upload' }).click();
    const row = page.getByRole('row', { name: /Refund policy/ });
    await row.waitFor();
    expect(await row.innerText()).toContain('text/markdown');
    await checkPage(page, 'knowledge-base');

    const kb = await c.stack.client.knowledge.getKnowledgeBase({ name: kbName });
    const { documents } = await c.stack.client.knowledge.listDocuments({ knowledgeBaseId: kb.id });
    expect(documents.map((d) => [d.title, d.contentType, Number(d.sizeBytes)])).toEqual([
      ['Refund policy', 'text/markdown', Buffer.byteLength(REFUND_POLICY)],
    ]);

    await page.getByLabel('Search the knowledge bases').fill('refund within 30 days');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const result = page.getByRole('list', { name: 'Search results' }).getByRole('listitem').first();
    await result.waitFor();
    const citation = await result.getByTestId('citation').innerText();
    expect(citation).toMatch(
      new RegExp(
        `^Cited from ${kbName} / Refund policy \\(${documents[0].id.slice(0, 8)}…\\) version 1, section 1, characters 0–\\d+$`,
      ),
    );
    expect(await result.innerText()).toContain('30 days');
    await checkPage(page, 'knowledge-search');

    await row.getByRole('button', { name: 'Remove' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove Refund policy?' });
    await dialog.waitFor();
    await checkPage(page, 'knowledge-remove-confirmation');
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await page.getByText('No documents yet.').waitFor();
    expect((await c.stack.client.knowledge.listDocuments({ knowledgeBaseId: kb.id })).documents).toEqual([]);
    await page.context().close();
  });

  it('adds a person, shows a new key’s secret once, binds a role by name and sets a tenant budget', async () => {
    const page = await c.newPage();
    await c.signIn(page, c.stack.apiKey);
    await openSection(page, 'Governance', 'Governance');

    await page.getByLabel('Name').fill(personName);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByRole('cell', { name: personName, exact: true }).waitFor();
    await checkPage(page, 'governance-people');
    const person = await c.stack.client.governance.getPrincipal({ name: personName });

    await openTab(page, 'API keys');
    await pick(page, 'For', personName);
    await page.getByLabel('Description').fill('laptop');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByText('you will not see it again').waitFor();
    const secret = await page.getByTestId('new-api-key-secret').innerText();
    expect(secret).toMatch(/^aos_[a-z0-9]+_/);
    await page.getByRole('button', { name: 'Copy key' }).waitFor();
    const prefix = secret.split('_')[1];
    await page.getByRole('cell', { name: `aos_${prefix}_…` }).waitFor();
    await checkPage(page, 'governance-keys-new-secret');
    const keys = await c.stack.client.governance.listApiKeys({ principalId: person.id });
    expect(keys.apiKeys.map((k) => [k.prefix, k.description])).toEqual([[prefix, 'laptop']]);

    await page.reload();
    await page.getByRole('cell', { name: `aos_${prefix}_…` }).waitFor();
    expect(await page.getByTestId('new-api-key-secret').count()).toBe(0);
    expect(await page.getByText(secret.slice(prefix.length + 5)).count()).toBe(0);
    await checkPage(page, 'governance-keys');

    await openTab(page, 'Roles');
    await pick(page, 'Person or service account', personName);
    await pick(page, 'Role', 'viewer');
    await page.getByRole('button', { name: 'Assign role' }).click();
    const binding = page.getByRole('row', { name: `${personName} (${person.subject})` });
    await binding.waitFor();
    expect(await binding.innerText()).toContain('viewer');
    const bound = await c.stack.client.governance.listRoleBindings({ subject: person.subject });
    expect(bound.bindings.map((b) => b.role)).toEqual(['viewer']);
    await checkPage(page, 'governance-roles');

    await openTab(page, 'Rules');
    await pick(page, 'Who', personName);
    await page.getByLabel('Action').fill('tools.call');
    await page.getByLabel('Resource').fill('tools/weather');
    await pick(page, 'Effect', 'DENY');
    await page.getByRole('button', { name: 'Add rule' }).click();
    const rule = page.getByRole('row', { name: /tools\/weather/ });
    await rule.waitFor();
    expect(await rule.innerText()).toContain(`${personName} (${person.subject})`);
    const rules = await c.stack.client.governance.listPolicyRules({ subject: person.subject });
    expect(rules.rules.map((r) => [r.action, r.resource, r.effect])).toEqual([['tools.call', 'tools/weather', 'DENY']]);
    await checkPage(page, 'governance-rules');
    await rule.getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await expect.poll(() => rule.count()).toBe(0);
    expect((await c.stack.client.governance.listPolicyRules({ subject: person.subject })).rules).toEqual([]);

    await openTab(page, 'Budgets');
    const tenantBudget = page.getByRole('region', { name: 'Tenant budget' });
    await tenantBudget.getByText('No budget is set.').waitFor();
    await tenantBudget.getByLabel('Cost limit').fill('25.50');
    await tenantBudget.getByLabel('Token limit').fill('100000');
    await tenantBudget.getByRole('button', { name: 'Save budget' }).click();
    await tenantBudget.getByRole('cell', { name: '0.00 used of 25.50' }).waitFor();
    const budget = await c.stack.client.governance.getBudget({ scope: 'TENANT' as never });
    expect([Number(budget.costLimitMicros), Number(budget.tokenLimit)]).toEqual([25_500_000, 100_000]);

    await pick(page, 'Agent', agentName);
    const agentBudget = page.getByRole('region', { name: 'Agent budget' });
    await agentBudget.getByText('No budget is set.').waitFor();
    await agentBudget.getByLabel('Cost limit').fill('2.5');
    await agentBudget.getByRole('button', { name: 'Save budget' }).click();
    await agentBudget.getByRole('cell', { name: '0.00 used of 2.50' }).waitFor();
    const agent = await c.stack.client.agents.getAgent({ name: agentName });
    const perAgent = await c.stack.client.governance.getBudget({ scope: 'AGENT' as never, agentId: agent.id });
    expect([Number(perAgent.costLimitMicros), Number(perAgent.tokenLimit)]).toEqual([2_500_000, 0]);
    await checkPage(page, 'governance-budgets');
    await page.context().close();
  });

  it('offers a viewer none of the mutating controls on the knowledge and governance pages', async () => {
    const page = await c.newPage();
    await c.signIn(page, viewerKey);
    const nav = page.getByRole('navigation', { name: 'Sections' });
    expect(await nav.getByRole('link', { name: 'Knowledge' }).count()).toBe(1);
    expect(await nav.getByRole('link', { name: 'Governance' }).count()).toBe(0);

    await openSection(page, 'Knowledge', 'Knowledge');
    await page.getByRole('link', { name: kbName }).click();
    await page.getByRole('heading', { name: `Documents in ${kbName}` }).waitFor();
    for (const control of ['Create knowledge base', 'Upload', 'Remove']) {
      expect(await page.getByRole('button', { name: control }).count(), control).toBe(0);
    }
    expect(await page.locator('input[type=file]').count()).toBe(0);
    await checkPage(page, 'knowledge-as-viewer');

    // Not in the viewer's navigation; typed as an address, only what roles.list reads is shown.
    await page.goto(`${c.url}/governance`);
    await page.getByRole('heading', { name: 'Governance', level: 1 }).waitFor();
    expect(await page.getByRole('tab').allInnerTexts()).toEqual(['Roles']);
    await page.getByRole('heading', { name: 'Role bindings' }).waitFor();
    await page.getByRole('cell', { name: 'viewer', exact: true }).first().waitFor();
    for (const control of ['Assign role', 'Revoke', 'Add rule', 'Save budget', 'Create key', 'Add']) {
      expect(await page.getByRole('button', { name: control }).count(), control).toBe(0);
    }
    await checkPage(page, 'governance-as-viewer');
    await page.context().close();
  });
});
