import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal, WhoAmIResponse } from '@aos/contracts';
import { startTestStack, type TestStack } from '@aos/testing';
import { GatewayCaller } from './support/gateway-caller';
import { rid, unique } from './support/governance-fixtures';

/**
 * OIDC bearer tokens through the whole stack, against a JWKS served by the
 * test (the real protocol: an HTTP JSON Web Key Set), with RS256 keys of its own.
 */
const ISSUER = 'https://issuer.example.test';
const AUDIENCE = 'agentos-e2e';
const KID = 'e2e-key';

let t: TestStack;
let gateway: GatewayCaller;
let jwks: Server;
let signingKey: CryptoKey;
let strangerKey: CryptoKey;
let alice: Principal;

interface TokenOptions {
  sub?: string;
  iss?: string;
  aud?: string;
  groups?: string[];
  /** Seconds from now. */
  exp?: number;
  key?: CryptoKey;
}

function token(o: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(o.groups ? { groups: o.groups } : {})
    .setProtectedHeader({ alg: 'RS256', kid: KID })
    .setSubject(o.sub ?? 'alice-sub')
    .setIssuer(o.iss ?? ISSUER)
    .setAudience(o.aud ?? AUDIENCE)
    .setIssuedAt(now - 60)
    .setExpirationTime(now + (o.exp ?? 300))
    .sign(o.key ?? signingKey);
}

/** An unsigned token (alg "none") with valid claims. */
function unsignedToken(): string {
  const part = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: 'alice-sub', iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 300 })}.`;
}

const call = (method: string, bearer: string, request: object = {}) =>
  gateway.call(
    method === 'ListAgents' || method === 'CreateAgent' ? 'AgentService' : 'GovernanceService',
    method,
    request,
    `Bearer ${bearer}`,
  );

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  signingKey = pair.privateKey;
  strangerKey = (await generateKeyPair('RS256')).privateKey;
  const publicJwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
  jwks = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const { port } = jwks.address() as AddressInfo;
  t = await startTestStack({
    env: { AOS_OIDC_ISSUER: ISSUER, AOS_OIDC_AUDIENCE: AUDIENCE, AOS_OIDC_JWKS_URL: `http://127.0.0.1:${port}/jwks` },
  });
  gateway = new GatewayCaller(t.gatewayAddr);
  alice = await gateway.unary<Principal>(
    'GovernanceService',
    'CreatePrincipal',
    { principal: { kind: 'USER', name: unique('alice'), oidcSubject: 'alice-sub' }, requestId: rid() },
    t.apiKey,
  );
  await gateway.unary(
    'GovernanceService',
    'AssignRole',
    { subject: alice.subject, role: 'viewer', requestId: rid() },
    t.apiKey,
  );
});
afterAll(async () => {
  gateway?.close();
  await t?.stop();
  await new Promise((r) => jwks?.close(r));
});

describe('OIDC bearer tokens through the gateway', () => {
  it('a valid token acts as the principal with its subject', async () => {
    const outcome = await call('WhoAmI', await token());
    expect(outcome.status).toBe('OK');
    expect(outcome.messages[0] as WhoAmIResponse).toMatchObject({
      tenantId: 'default',
      subject: alice.subject,
      principal: { id: alice.id, oidcSubject: 'alice-sub' },
      roles: ['viewer'],
      authentication: 'oidc',
    });
    expect((await call('ListAgents', await token())).status).toBe('OK');
    expect((await call('CreateAgent', await token(), { requestId: rid(), agent: { name: unique('x') } })).status).toBe(
      'PERMISSION_DENIED',
    );
  });

  it.each([
    ['expired', () => token({ exp: -120 })],
    ['from another issuer', () => token({ iss: 'https://evil.example.test' })],
    ['for another audience', () => token({ aud: 'someone-else' })],
    ['signed with alg none', () => Promise.resolve(unsignedToken())],
    ['signed by a key not in the JWKS', () => token({ key: strangerKey })],
    ['of an unknown subject without groups', () => token({ sub: 'mallory' })],
  ])('a token %s → UNAUTHENTICATED', async (_case, make) => {
    expect((await call('WhoAmI', await make())).status).toBe('UNAUTHENTICATED');
  });

  it('a token without a principal acts through its groups once a group has a role', async () => {
    const group = unique('ops');
    const bob = () => token({ sub: 'bob-sub', groups: [group, 'other'] });
    expect((await call('ListAgents', await bob())).status).toBe('UNAUTHENTICATED');
    await gateway.unary(
      'GovernanceService',
      'AssignRole',
      { subject: `group:${group}`, role: 'viewer', requestId: rid() },
      t.apiKey,
    );
    const who = await call('WhoAmI', await bob());
    expect(who.messages[0]).toMatchObject({ subject: 'oidc:bob-sub', roles: ['viewer'], authentication: 'oidc' });
    expect((await call('ListAgents', await bob())).status).toBe('OK');
    expect((await call('CreateAgent', await bob(), { requestId: rid(), agent: { name: unique('y') } })).status).toBe(
      'PERMISSION_DENIED',
    );
  });

  it('CheckAccess about itself, for a caller known only by its groups, answers for those groups', async () => {
    const group = unique('audit');
    const dora = () => token({ sub: 'dora-sub', groups: [group] });
    await gateway.unary(
      'GovernanceService',
      'AssignRole',
      { subject: `group:${group}`, role: 'auditor', requestId: rid() },
      t.apiKey,
    );
    const allowed = await call('CheckAccess', await dora(), { action: 'audit.list' });
    expect(allowed.status).toBe('OK');
    expect(allowed.messages[0]).toMatchObject({ allowed: true, subject: 'oidc:dora-sub' });
    const denied = await call('CheckAccess', await dora(), { action: 'agents.create' });
    expect(denied.messages[0]).toMatchObject({ allowed: false });
  });
});
