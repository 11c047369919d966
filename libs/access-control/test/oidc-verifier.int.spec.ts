import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UnauthenticatedError } from '@aos/errors';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OidcVerifier } from '../src/oidc-verifier';

// A real JWKS endpoint on a loopback port, serving the public half of a
// freshly generated key pair: the verifier fetches it as it would an IdP's.
const ISSUER = 'https://idp.test/';
const AUDIENCE = 'agentos';

describe('OidcVerifier (real JWKS over HTTP)', () => {
  let server: Server;
  let jwksUrl: string;
  let rsa: { privateKey: CryptoKey; publicKey: CryptoKey };
  let ec: { privateKey: CryptoKey; publicKey: CryptoKey };
  let stranger: { privateKey: CryptoKey; publicKey: CryptoKey };
  let verifier: OidcVerifier;
  let jwksRequests = 0;

  beforeAll(async () => {
    [rsa, ec, stranger] = await Promise.all([
      generateKeyPair('RS256'),
      generateKeyPair('ES256'),
      generateKeyPair('RS256'),
    ]);
    const keys = [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ];
    server = createServer((req, res) => {
      jwksRequests++;
      if (req.url !== '/jwks') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
    verifier = new OidcVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl,
      defaultTenant: 'default',
      clockToleranceSec: 5,
    });
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const sign = (
    claims: JWTPayload,
    options: {
      key?: CryptoKey;
      alg?: string;
      kid?: string;
      issuer?: string;
      audience?: string;
      exp?: number | string;
    } = {},
  ) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.kid ?? 'rsa-1' })
      .setSubject('user-123')
      .setIssuer(options.issuer ?? ISSUER)
      .setAudience(options.audience ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(options.exp ?? '5m')
      .sign(options.key ?? rsa.privateKey);

  async function refusal(token: string): Promise<string> {
    const error = await verifier.verify(token).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnauthenticatedError);
    const message = (error as Error).message;
    if (token) expect(message).not.toContain(token);
    return message;
  }

  it('accepts a valid RS256 token: subject, groups, tenant claim', async () => {
    const token = await sign({ groups: ['sre', 'oncall', 7], aos_tenant: 'acme' });
    expect(await verifier.verify(token)).toEqual({ tenantId: 'acme', subject: 'user-123', groups: ['sre', 'oncall'] });
  });

  it('accepts a valid ES256 token and falls back to the default tenant', async () => {
    const token = await sign({}, { key: ec.privateKey, alg: 'ES256', kid: 'ec-1' });
    expect(await verifier.verify(token)).toEqual({ tenantId: 'default', subject: 'user-123', groups: [] });
  });

  it('reads the configured groups and tenant claims', async () => {
    const custom = new OidcVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl,
      defaultTenant: 'default',
      groupsClaim: 'roles',
      tenantClaim: 'org',
    });
    const token = await sign({ roles: ['admins'], org: 'globex', groups: ['ignored'] });
    expect(await custom.verify(token)).toEqual({ tenantId: 'globex', subject: 'user-123', groups: ['admins'] });
  });

  it('refuses an expired token', async () => {
    const past = Math.floor(Date.now() / 1000) - 60;
    expect(await refusal(await sign({}, { exp: past }))).toBe('token expired');
  });

  it('refuses a wrong issuer', async () => {
    expect(await refusal(await sign({}, { issuer: 'https://evil.test/' }))).toBe('wrong issuer');
  });

  it('refuses a wrong audience', async () => {
    expect(await refusal(await sign({}, { audience: 'someone-else' }))).toBe('wrong audience');
  });

  it('refuses alg none (a hand-built unsigned token)', async () => {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const token = `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: 'user-123', iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 300 })}.`;
    expect(await refusal(token)).toBe('token algorithm not allowed');
  });

  it('refuses HS256, even "signed" with a key from the JWKS', async () => {
    const token = await sign(
      {},
      { key: new TextEncoder().encode('a-shared-secret-of-32-bytes-long!!') as unknown as CryptoKey, alg: 'HS256' },
    );
    expect(await refusal(token)).toBe('token algorithm not allowed');
  });

  it('refuses a token signed by a key the issuer does not publish (unknown kid)', async () => {
    expect(await refusal(await sign({}, { key: stranger.privateKey, kid: 'rsa-2' }))).toBe('unknown token signing key');
  });

  it('refuses a token whose signature does not match (published kid, other key)', async () => {
    expect(await refusal(await sign({}, { key: stranger.privateKey, kid: 'rsa-1' }))).toBe('bad token signature');
  });

  it('refuses a tampered payload', async () => {
    const [header, , signature] = (await sign({ aos_tenant: 'acme' })).split('.');
    const payload = Buffer.from(
      JSON.stringify({
        sub: 'admin',
        iss: ISSUER,
        aud: AUDIENCE,
        exp: Math.floor(Date.now() / 1000) + 300,
        aos_tenant: 'globex',
      }),
    ).toString('base64url');
    expect(await refusal(`${header}.${payload}.${signature}`)).toBe('bad token signature');
  });

  it.each(['', 'garbage', 'a.b', 'a.b.c.d.e', 'aos_abcd1234_secret', '!!.??.**', 'bm90IGpzb24.bm90IGpzb24.c2ln'])(
    'refuses a malformed token %j',
    async (token) => {
      expect(await refusal(token)).toBe('malformed bearer token');
    },
  );

  it('refuses a token without an expiry: it would never expire', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
      .setSubject('user-123')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .sign(rsa.privateKey);
    expect(await refusal(token)).toBe('invalid token claim exp');
  });

  it('refuses a token without a subject', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(rsa.privateKey);
    expect(await refusal(token)).toBe('token has no subject');
  });

  it('refuses, as unauthenticated, when the JWKS cannot be fetched', async () => {
    const unreachable = new OidcVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: 'http://127.0.0.1:1/jwks',
      defaultTenant: 'default',
    });
    const error = await unreachable.verify(await sign({})).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect((error as Error).message).toBe("cannot fetch the issuer's signing keys");
  });

  it('fetches the JWKS once and reuses it', async () => {
    const before = jwksRequests;
    const fresh = new OidcVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl, defaultTenant: 'default' });
    for (let i = 0; i < 5; i++) await fresh.verify(await sign({}));
    expect(jwksRequests - before).toBe(1);
  });
});
