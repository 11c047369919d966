import * as oauth from 'oauth4webapi';

/** GET /console-config.json's `oidc`: public values the gateway hands every visitor. */
export interface ConsoleOidc {
  issuer: string;
  clientId: string;
  scopes: string[];
  /** Which of the token endpoint's tokens the gateway verifies (its audience is the client id, or the API's). */
  bearer: 'id_token' | 'access_token';
}

/** Where the issuer sends the browser back with the code; the console's own route. */
export const CALLBACK_PATH = '/auth/callback';

// What the callback must find again after the round trip through the issuer:
// the PKCE verifier, state and nonce of this one attempt, in this tab only.
const PENDING = 'aos.oidcPending';

interface PendingSignIn {
  verifier: string;
  state: string;
  nonce: string;
}

/** A sign-in failure already in words a person can act on. */
export class OidcSignInError extends Error {
  override name = 'OidcSignInError';
}

export async function fetchConsoleOidc(): Promise<ConsoleOidc | null> {
  const response = await fetch('/console-config.json', { headers: { accept: 'application/json' } });
  // A gateway without the route (or vite dev without a proxy for it) answers HTML: no OIDC then.
  if (!response.ok || !response.headers.get('content-type')?.includes('application/json')) return null;
  const { oidc } = (await response.json()) as { oidc?: ConsoleOidc | null };
  return oidc ?? null;
}

export function issuerHost(oidc: ConsoleOidc): string {
  return new URL(oidc.issuer).host;
}

const redirectUri = () => `${window.location.origin}${CALLBACK_PATH}`;

// The issuer is the operator's AOS_OIDC_ISSUER; plain http is accepted only when they configured it so.
const requestOptions = (oidc: ConsoleOidc) => ({
  [oauth.allowInsecureRequests]: new URL(oidc.issuer).protocol === 'http:',
});

/** The issuer's discovery document (RFC 8414 / OpenID Connect Discovery). */
export async function discover(oidc: ConsoleOidc): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(oidc.issuer);
  try {
    return await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, requestOptions(oidc)));
  } catch (error) {
    throw new OidcSignInError(`Could not read the sign-in settings of ${issuer.host}: ${reason(error)}.`);
  }
}

/** Sends the browser to the issuer's authorization endpoint: authorization code with PKCE S256, state and nonce. */
export async function startOidcSignIn(oidc: ConsoleOidc): Promise<void> {
  const as = await discover(oidc);
  if (!as.authorization_endpoint) throw new OidcSignInError(`${issuerHost(oidc)} publishes no authorization endpoint.`);
  const pending: PendingSignIn = {
    verifier: oauth.generateRandomCodeVerifier(),
    state: oauth.generateRandomState(),
    nonce: oauth.generateRandomNonce(),
  };
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set('client_id', oidc.clientId);
  url.searchParams.set('redirect_uri', redirectUri());
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', oidc.scopes.join(' '));
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(pending.verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', pending.state);
  url.searchParams.set('nonce', pending.nonce);
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
  window.location.assign(url);
}

// React may run the callback's effect twice; the exchange (a code is good once) must happen once.
let completing: { url: string; token: Promise<string> } | undefined;

/**
 * Finishes a sign-in on the callback URL: checks the state, exchanges the
 * code with the PKCE verifier at the token endpoint and returns the token the
 * gateway verifies. The attempt's verifier is forgotten whatever happens.
 */
export function completeOidcSignIn(oidc: ConsoleOidc, callbackUrl: string): Promise<string> {
  if (completing?.url !== callbackUrl) completing = { url: callbackUrl, token: exchangeCode(oidc, callbackUrl) };
  return completing.token;
}

async function exchangeCode(oidc: ConsoleOidc, callbackUrl: string): Promise<string> {
  const saved = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  const host = issuerHost(oidc);
  if (!saved) throw new OidcSignInError(`No sign-in with ${host} was started in this tab. Start again.`);
  const pending = JSON.parse(saved) as PendingSignIn;
  const as = await discover(oidc);
  const client: oauth.Client = { client_id: oidc.clientId };
  try {
    const params = oauth.validateAuthResponse(as, client, new URL(callbackUrl), pending.state);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.None(),
      params,
      redirectUri(),
      pending.verifier,
      requestOptions(oidc),
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
      expectedNonce: pending.nonce,
      requireIdToken: true,
    });
    const token = oidc.bearer === 'id_token' ? tokens.id_token : tokens.access_token;
    if (!token) throw new OidcSignInError(`${host} returned no ${oidc.bearer.replace('_', ' ')}.`);
    return token;
  } catch (error) {
    if (error instanceof OidcSignInError) throw error;
    throw new OidcSignInError(`Signing in with ${host} failed: ${reason(error)}.`);
  }
}

/** The issuer's end-session endpoint (RP-initiated logout), back to the console afterwards; undefined without one. */
export function issuerSignOutUrl(oidc: ConsoleOidc, as: oauth.AuthorizationServer): string | undefined {
  if (!as.end_session_endpoint) return undefined;
  const url = new URL(as.end_session_endpoint);
  url.searchParams.set('client_id', oidc.clientId);
  url.searchParams.set('post_logout_redirect_uri', `${window.location.origin}/`);
  return url.toString();
}

function reason(error: unknown): string {
  if (error instanceof oauth.AuthorizationResponseError || error instanceof oauth.ResponseBodyError) {
    if (error.error === 'access_denied') return 'access was denied';
    return error.error_description ? `${error.error_description} (${error.error})` : error.error;
  }
  if (error instanceof TypeError) return 'the issuer could not be reached';
  if (error instanceof Error) return error.message.replace(/\.$/, '');
  return String(error);
}
