import { existsSync, mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { expect } from 'vitest';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { startTestStack, type TestStack } from '@aos/testing';

/**
 * The harness of the console's browser tests: Debian's Chromium driven by
 * playwright-core against a real stack, axe-core on a page, and 1280×800
 * screenshots into test-results/console/.
 */
export const CHROMIUM = process.env.AOS_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumMissing = !existsSync(CHROMIUM);
if (chromiumMissing) {
  console.warn(
    `console browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set AOS_CHROMIUM)`,
  );
}

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const SHOTS = join(import.meta.dirname, '../../../../test-results/console');
const VIEWPORT = { width: 1280, height: 800 };

export const rid = () => randomUUID();
export const unique = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core on the page as it is now: no serious or critical violation. */
export async function expectAccessible(page: Page, what: string) {
  await page.addScriptTag({ path: AXE });
  const violations = (await page.evaluate('axe.run(document).then((r) => r.violations)')) as AxeViolation[];
  const bad = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(bad, `axe on ${what}`).toEqual([]);
}

/** Accessible, then photographed: every page the tests reach. */
export async function checkPage(page: Page, name: string) {
  await expectAccessible(page, name);
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

/** The API key of a new person who holds only `role` (e.g. `viewer`): what that role is offered and refused. */
export async function keyWithRole(stack: TestStack, role: string): Promise<string> {
  const g = stack.client.governance;
  const person = await g.createPrincipal({
    principal: { kind: 'USER' as never, name: unique(role) },
    requestId: rid(),
  });
  await g.assignRole({ subject: person.subject, role, requestId: rid() });
  return (await g.createApiKey({ principalId: person.id, requestId: rid() })).secret;
}

/** Opens a section through the menu (on a desktop-wide page) and waits for its heading. */
export async function openSection(page: Page, section: string, heading: string) {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: section }).click();
  await page.getByRole('heading', { name: heading, exact: true, level: 1 }).waitFor();
}

export interface ConsoleBrowser {
  stack: TestStack;
  url: string;
  /** A fresh context: 1280×800 unless `device` says otherwise (e.g. a phone's viewport with isMobile/hasTouch). */
  newPage(device?: BrowserContextOptions): Promise<Page>;
  signIn(page: Page, apiKey: string): Promise<void>;
  stop(): Promise<void>;
}

/** A real stack serving the console (with `env` added to its services' environment) and a headless Chromium to drive it. */
export async function startConsoleBrowser(options: { env?: NodeJS.ProcessEnv } = {}): Promise<ConsoleBrowser> {
  mkdirSync(SHOTS, { recursive: true });
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const [stack, browser]: [TestStack, Browser] = await Promise.all([
    startTestStack({ env: options.env }),
    chromium.launch({ executablePath: CHROMIUM, headless: true, args: isRoot ? ['--no-sandbox'] : [] }),
  ]);
  if (!stack.consoleAddr) throw new Error('the test stack serves no console (AOS_CONSOLE_ADDR off?)');
  const url = `http://${stack.consoleAddr}`;
  return {
    stack,
    url,
    async newPage(device) {
      // Reduced motion: Mantine then opens dialogs without a fade, so axe never measures a half-transparent one.
      const context = await browser.newContext({ viewport: VIEWPORT, ...device, reducedMotion: 'reduce' });
      return context.newPage();
    },
    async signIn(page, apiKey) {
      await page.goto(url);
      await page.getByLabel('API key').fill(apiKey);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
    },
    async stop() {
      await browser.close();
      await stack.stop();
    },
  };
}
