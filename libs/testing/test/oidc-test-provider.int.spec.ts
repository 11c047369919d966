import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import { OidcVerifier } from '@aos/access-control';
import { startOidcTestProvider, type OidcTestProvider } from '../src/oidc-test-provider';

/**
 * The OIDC test provider through a kept client library (oauth4webapi, the one
 * the console uses): discovery, the authorization code with PKCE, and tokens
 * that the gateway's verifier accepts; and the refusals a real provider gives.
 */
const CLIENT_ID = 'agentos-console';
const REDIRECT = 'http://console.test/auth/callback';
let provider: OidcTestProvider;
let as: oauth.AuthorizationServer;
const client: oauth.Client = { client_id: CLIENT_ID };
const insecure = { [oauth.allowInsecureRequests]: true };

beforeAll(async () => {
  provider = await startOidcTestProvider({ clientId: CLIENT_ID, user: { subject: 'alice-sub', groups: ['ops'] } });
  const issuer = new URL(provider.issuer);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
});
afterAll(() => provider?.stop());

/** Authorizes as a browser would (the provider redirects back at once) and returns the callback's parameters. */
async function authorize(verifier: string, state: string, nonce: string, clientId = CLIENT_ID) {
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: clientId,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openid profile',
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  }).toString();
  const response = await fetch(url, { redirect: 'manual' });
  return { status: response.status, location: response.headers.get('location') };
}

async function exchange(callback: string, state: string, verifier: string) {
  const params = oauth.validateAuthResponse(as, client, new URL(callback), state);
  return oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, REDIRECT, verifier, insecure);
}

describe('OIDC test provider', () => {
  it('publishes discovery with PKCE S256 and the end-session endpoint', () => {
    expect(as).toMatchObject({
      issuer: provider.issuer,
      token_endpoint: `${provider.issuer}/token`,
      jwks_uri: provider.jwksUrl,
      code_challenge_methods_supported: ['S256'],
      end_session_endpoint: `${provider.issuer}/end-session`,
    });
  });

  it('exchanges a code with the right verifier for tokens the gateway verifier accepts', async () => {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const { status, location } = await authorize(verifier, state, nonce);
    expect(status).toBe(302);
    expect(location).toMatch(/^http:\/\/console\.test\/auth\/callback\?/);
    const result = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await exchange(location!, state, verifier),
      {
        expectedNonce: nonce,
        requireIdToken: true,
      },
    );
    expect(oauth.getValidatedIdTokenClaims(result)).toMatchObject({ sub: 'alice-sub', aud: CLIENT_ID, nonce });
    const verified = await new OidcVerifier({
      issuer: provider.issuer,
      audience: CLIENT_ID,
      jwksUrl: provider.jwksUrl,
      defaultTenant: 'default',
    }).verify(result.id_token!);
    expect(verified).toEqual({ tenantId: 'default', subject: 'alice-sub', groups: ['ops'] });
  });

  it('refuses a wrong PKCE verifier, and the code is spent', async () => {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const { location } = await authorize(verifier, state, oauth.generateRandomNonce());
    const wrong = await exchange(location!, state, oauth.generateRandomCodeVerifier());
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toEqual({ error: 'invalid_grant', error_description: 'PKCE verification failed' });
    const again = await exchange(location!, state, verifier);
    expect(await again.json()).toMatchObject({ error: 'invalid_grant', error_description: 'unknown or expired code' });
  });

  it('refuses a code exchanged by another client', async () => {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const { location } = await authorize(verifier, state, oauth.generateRandomNonce());
    const params = oauth.validateAuthResponse(as, client, new URL(location!), state);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      { client_id: 'intruder' },
      oauth.None(),
      params,
      REDIRECT,
      verifier,
      insecure,
    );
    expect(response.status).toBe(401);
    expect(provider.tokenRequests.at(-1)).toEqual({ clientId: 'intruder', outcome: 'invalid_client' });
  });

  it('does not redirect for an unknown client, and redirects an error for a request without PKCE', async () => {
    const unknown = await authorize(oauth.generateRandomCodeVerifier(), 's', 'n', 'intruder');
    expect(unknown).toEqual({ status: 400, location: null });
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'openid',
      state: 's1',
    }).toString();
    const location = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({
      error: 'invalid_request',
      error_description: 'PKCE with S256 is required',
      state: 's1',
    });
  });
});
