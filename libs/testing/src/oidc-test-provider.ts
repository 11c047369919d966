import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/** Who signs in at the test provider: it asks no one, so the test says who that is. */
export interface OidcTestUser {
  subject: string;
  groups?: string[];
  /** Further claims of both tokens (e.g. `aos_tenant`). */
  claims?: Record<string, unknown>;
}

export interface OidcTestProviderOptions {
  /** The one client it knows (public: no secret, PKCE S256 required). */
  clientId: string;
  /** The access token's audience; default the client id. */
  audience?: string;
  user: OidcTestUser;
  /** Token lifetime in seconds; default 300. */
  expiresInSec?: number;
}

/** A token request the provider answered, for tests that check what a client sent. */
export interface RecordedTokenRequest {
  clientId: string;
  outcome: string;
}

export interface OidcTestProvider {
  /** http://127.0.0.1:<port>: the issuer and the base of every endpoint. */
  readonly issuer: string;
  readonly jwksUrl: string;
  /** The stack's configuration for this provider (AOS_OIDC_ISSUER, _AUDIENCE, _JWKS_URL, AOS_CONSOLE_OIDC_CLIENT_ID). */
  readonly env: Readonly<Record<string, string>>;
  /** Every token request so far, in arrival order, with the error it got or 'issued'. */
  readonly tokenRequests: RecordedTokenRequest[];
  /** How many times a browser was sent to the end-session endpoint. */
  readonly endSessions: number;
  /** Who the next sign-in is. */
  signInAs(user: OidcTestUser): void;
  stop(): Promise<void>;
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  nonce: string | undefined;
  scope: string;
  user: OidcTestUser;
}

const KID = 'oidc-test-key';
const CODE_LIFETIME_MS = 60_000;

/**
 * An OpenID Connect provider for tests, speaking the real protocol: discovery
 * (/.well-known/openid-configuration), /authorize (authorization code with
 * PKCE S256; it is a test, so consent is automatic and it redirects back at
 * once), /token (checks the code, the client id, the redirect URI and the PKCE
 * verifier; returns an ID token and an access token, RS256-signed JWTs),
 * /jwks and /end-session. Browsers call discovery, /token and /jwks from the
 * console's origin, so those answer CORS as an SPA-facing provider does.
 */
export async function startOidcTestProvider(options: OidcTestProviderOptions): Promise<OidcTestProvider> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
  const codes = new Map<string, PendingCode & { expires: number }>();
  const tokenRequests: RecordedTokenRequest[] = [];
  let user = options.user;
  let endSessions = 0;
  let issuer = '';

  const server = createServer((request, response) => {
    void handle(request, response).catch((err: unknown) => {
      if (!response.headersSent) json(response, 500, { error: 'server_error', error_description: String(err) });
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', issuer);
    response.setHeader('Access-Control-Allow-Origin', '*');
    if (request.method === 'OPTIONS') {
      response.writeHead(204, {
        'Access-Control-Allow-Methods': 'GET, POST',
        'Access-Control-Allow-Headers': 'accept, content-type, authorization, dpop',
      });
      response.end();
      return;
    }
    switch (url.pathname) {
      case '/.well-known/openid-configuration':
        return json(response, 200, {
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          end_session_endpoint: `${issuer}/end-session`,
          response_types_supported: ['code'],
          grant_types_supported: ['authorization_code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: ['none'],
          scopes_supported: ['openid', 'profile', 'email'],
        });
      case '/jwks':
        return json(response, 200, { keys: [jwk] });
      case '/authorize':
        return authorize(url, response);
      case '/token':
        if (request.method !== 'POST') return json(response, 405, { error: 'invalid_request' });
        return token(new URLSearchParams(await body(request)), response);
      case '/end-session': {
        endSessions += 1;
        const back = url.searchParams.get('post_logout_redirect_uri');
        if (back) return redirect(response, back);
        response.writeHead(200, { 'Content-Type': 'text/plain' });
        response.end('signed out\n');
        return;
      }
      default:
        json(response, 404, { error: 'not_found' });
    }
  }

  function authorize(url: URL, response: ServerResponse): void {
    const q = url.searchParams;
    const redirectUri = q.get('redirect_uri');
    if (q.get('client_id') !== options.clientId || !redirectUri) {
      // Never redirect for an unknown client: that is how open redirectors happen.
      response.writeHead(400, { 'Content-Type': 'text/plain' });
      response.end('unknown client_id or missing redirect_uri\n');
      return;
    }
    const back = new URL(redirectUri);
    const state = q.get('state');
    if (state !== null) back.searchParams.set('state', state);
    back.searchParams.set('iss', issuer);
    const problem =
      q.get('response_type') !== 'code'
        ? 'response_type must be code'
        : q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')
          ? 'PKCE with S256 is required'
          : !(q.get('scope') ?? '').split(' ').includes('openid')
            ? 'scope must include openid'
            : undefined;
    if (problem) {
      back.searchParams.set('error', 'invalid_request');
      back.searchParams.set('error_description', problem);
      return redirect(response, back.toString());
    }
    const code = randomBytes(24).toString('base64url');
    codes.set(code, {
      clientId: options.clientId,
      redirectUri,
      codeChallenge: q.get('code_challenge')!,
      nonce: q.get('nonce') ?? undefined,
      scope: q.get('scope')!,
      user,
      expires: Date.now() + CODE_LIFETIME_MS,
    });
    back.searchParams.set('code', code);
    redirect(response, back.toString());
  }

  async function token(form: URLSearchParams, response: ServerResponse): Promise<void> {
    const clientId = form.get('client_id') ?? '';
    const refuse = (status: number, error: string, description: string) => {
      tokenRequests.push({ clientId, outcome: error });
      json(response, status, { error, error_description: description });
    };
    if (form.get('grant_type') !== 'authorization_code')
      return refuse(400, 'unsupported_grant_type', 'only authorization_code');
    if (clientId !== options.clientId) return refuse(401, 'invalid_client', 'unknown client_id');
    const code = form.get('code') ?? '';
    const pending = codes.get(code);
    // A code is good once, whatever happens next.
    codes.delete(code);
    if (!pending || pending.expires < Date.now()) return refuse(400, 'invalid_grant', 'unknown or expired code');
    if (form.get('redirect_uri') !== pending.redirectUri)
      return refuse(400, 'invalid_grant', 'redirect_uri differs from the authorization request');
    const verifier = form.get('code_verifier') ?? '';
    if (createHash('sha256').update(verifier).digest('base64url') !== pending.codeChallenge)
      return refuse(400, 'invalid_grant', 'PKCE verification failed');
    const lifetime = options.expiresInSec ?? 300;
    const claims = { ...pending.user.claims, ...(pending.user.groups ? { groups: pending.user.groups } : {}) };
    const sign = (payload: Record<string, unknown>, audience: string) =>
      signJwt(privateKey, payload, { issuer, audience, subject: pending.user.subject, lifetime });
    tokenRequests.push({ clientId, outcome: 'issued' });
    json(response, 200, {
      token_type: 'Bearer',
      expires_in: lifetime,
      scope: pending.scope,
      id_token: await sign({ ...claims, ...(pending.nonce ? { nonce: pending.nonce } : {}) }, pending.clientId),
      access_token: await sign({ ...claims, scope: pending.scope }, options.audience ?? options.clientId),
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    env: {
      AOS_OIDC_ISSUER: issuer,
      AOS_OIDC_AUDIENCE: options.audience ?? options.clientId,
      AOS_OIDC_JWKS_URL: `${issuer}/jwks`,
      AOS_CONSOLE_OIDC_CLIENT_ID: options.clientId,
    },
    tokenRequests,
    get endSessions() {
      return endSessions;
    },
    signInAs(next) {
      user = next;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function signJwt(
  key: CryptoKey,
  payload: Record<string, unknown>,
  o: { issuer: string; audience: string; subject: string; lifetime: number },
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'JWT' })
    .setIssuer(o.issuer)
    .setAudience(o.audience)
    .setSubject(o.subject)
    .setIssuedAt(now)
    .setExpirationTime(now + o.lifetime)
    .sign(key);
}

function json(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  response.end(JSON.stringify(value));
}

function redirect(response: ServerResponse, location: string): void {
  response.writeHead(302, { Location: location });
  response.end();
}

async function body(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
