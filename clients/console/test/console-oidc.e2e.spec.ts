import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startOidcTestProvider, type OidcTestProvider, type TestStack } from '@aos/testing';
import {
  checkPage,
  chromiumMissing,
  rid,
  startConsoleBrowser,
  unique,
  type ConsoleBrowser,
} from './support/console-browser';

/**
 * OIDC sign-in in a real Chromium: the stack verifies tokens of the OIDC test
 * provider (AOS_OIDC_*, AOS_CONSOLE_OIDC_CLIENT_ID), the console walks the
 * authorization code flow with PKCE through oauth4webapi, and the token the
 * gateway verifies (here the access token: the API's audience is not the
 * console's client id) is kept in sessionStorage only.
 */
const CLIENT_ID = 'agentos-console';
const AUDIENCE = 'agentos-api';

let t: TestStack;
let provider: OidcTestProvider;
let c: ConsoleBrowser;
let consoleUrl: string;
let signInButton: string;
const aliceName = unique('alice');

const newPage = (): Promise<Page> => c.newPage();

/** Whatever the page keeps where a credential could outlive the tab or reach another site. */
async function persistentTraces(page: Page) {
  return {
    localStorage: await page.evaluate('localStorage.length'),
    cookies: await page.context().cookies(),
  };
}

describe.skipIf(chromiumMissing)('web console: OIDC sign-in in Chromium', () => {
  beforeAll(async () => {
    provider = await startOidcTestProvider({
      clientId: CLIENT_ID,
      audience: AUDIENCE,
      user: { subject: 'alice-sub', groups: ['staff'] },
    });
    c = await startConsoleBrowser({ env: { ...provider.env } });
    t = c.stack;
    consoleUrl = c.url;
    signInButton = `Sign in with ${new URL(provider.issuer).host}`;
    // The gateway maps a token's subject to the principal that names it as its OIDC subject.
    const alice = await t.client.governance.createPrincipal({
      principal: { kind: 'USER' as never, name: aliceName, oidcSubject: 'alice-sub' },
      requestId: rid(),
    });
    await t.client.governance.assignRole({ subject: alice.subject, role: 'viewer', requestId: rid() });
  });
  afterAll(async () => {
    await c?.stop();
    await provider?.stop();
  });

  it('signs in at the issuer and back, keeps the token in sessionStorage only, and signs out', async () => {
    const page = await newPage();
    await page.goto(consoleUrl);
    const button = page.getByRole('button', { name: signInButton });
    await button.waitFor();
    await checkPage(page, 'sign-in-oidc');

    await button.click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    expect(page.url()).not.toContain('code=');
    await expect.poll(() => page.getByLabel('Signed in as').textContent()).toBe(`${aliceName} (viewer)`);
    expect(provider.tokenRequests.at(-1)).toEqual({ clientId: CLIENT_ID, outcome: 'issued' });

    const token = (await page.evaluate('sessionStorage.getItem("aos.oidcToken")')) as string | null;
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = JSON.parse(Buffer.from(token!.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: provider.issuer, aud: AUDIENCE, sub: 'alice-sub' });
    expect(await page.evaluate('sessionStorage.getItem("aos.apiKey")')).toBeNull();
    // The PKCE verifier of the attempt is gone once used.
    expect(await page.evaluate('sessionStorage.getItem("aos.oidcPending")')).toBeNull();
    expect(await persistentTraces(page)).toEqual({ localStorage: 0, cookies: [] });

    // The token is what the console sends: the gateway answers WhoAmI with it as the OIDC principal.
    const who = await t.clientWithKey(token!).governance.whoAmI({});
    expect(who).toMatchObject({ authentication: 'oidc', principal: { name: aliceName } });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: signInButton }).waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    const issuerSignOut = page.getByRole('link', { name: `Sign out of ${new URL(provider.issuer).host} too` });
    await issuerSignOut.waitFor();
    await checkPage(page, 'signed-out-oidc');
    await issuerSignOut.click();
    await page.getByRole('button', { name: signInButton }).waitFor();
    expect(provider.endSessions).toBe(1);
    await page.context().close();
  });

  it('says in words why a signed-in person AgentOS does not know is refused', async () => {
    provider.signInAs({ subject: 'mallory-sub', groups: ['nobody'] });
    try {
      const page = await newPage();
      await page.goto(consoleUrl);
      await page.getByRole('button', { name: signInButton }).click();
      await expect
        .poll(() => page.getByRole('alert').textContent())
        .toContain('the token maps to no principal and none of its groups has a role (UNAUTHENTICATED)');
      expect(await page.evaluate('sessionStorage.length')).toBe(0);
      await page.context().close();
    } finally {
      provider.signInAs({ subject: 'alice-sub', groups: ['staff'] });
    }
  });

  it('refuses a callback this tab did not start, in words', async () => {
    const page = await newPage();
    await page.goto(`${consoleUrl}/auth/callback?code=forged&state=forged`);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('No sign-in with');
    expect(new URL(page.url()).search).toBe('');
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await page.context().close();
  });
});
