import { AosError, UnauthenticatedError } from '@aos/errors';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AccessModel } from '../src/access-model';
import { generateApiKey, hashApiKey, type GeneratedApiKey } from '../src/api-key';
import { GovernanceLog } from './governance-log.fixture';

async function expectUnauthenticated(promise: Promise<unknown>, message: string, key: GeneratedApiKey): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UnauthenticatedError);
  expect((error as AosError).code).toBe('UNAUTHENTICATED');
  expect((error as Error).message).toBe(message);
  // The key (or its secret) never travels in the error.
  expect(JSON.stringify({ message: (error as Error).message, stack: (error as Error).stack })).not.toContain(
    key.secret,
  );
}

describe('AccessModel.authenticateApiKey', () => {
  let alice: GeneratedApiKey;
  let aliceHash: string;
  let app: GeneratedApiKey;
  let appHash: string;
  beforeAll(async () => {
    alice = generateApiKey();
    app = generateApiKey();
    [aliceHash, appHash] = await Promise.all([hashApiKey(alice.full), hashApiKey(app.full)]);
  });

  let model: AccessModel;
  let log: GovernanceLog;
  beforeEach(() => {
    model = new AccessModel();
    log = new GovernanceLog(model);
    log.tenant('acme');
    log.principal('acme', 'alice', { systemAdmin: true });
    log.principal('acme', 'app', { kind: 'SERVICE' });
    log.apiKey('acme', 'alice', 'k-alice', alice.prefix, aliceHash);
    log.apiKey('acme', 'app', 'k-app', app.prefix, appHash, '2030-01-01T00:00:00.000Z');
    log.assign('acme', 'b1', 'user:alice', 'tenant-admin');
    log.assign('acme', 'b2', 'service:app', 'operator');
    log.assign('acme', 'b3', 'service:app', 'auditor');
  });

  it('answers the identity of a valid key: principal, tenant, roles, systemAdmin', async () => {
    expect(await model.authenticateApiKey(alice.full)).toEqual({
      tenantId: 'acme',
      subject: 'user:alice',
      principalId: 'alice',
      actor: { kind: 'user', id: 'alice' },
      roles: ['tenant-admin'],
      systemAdmin: true,
      authentication: 'api_key',
      keyId: 'k-alice',
    });
    expect(await model.authenticateApiKey(app.full, new Date('2029-12-31T23:59:59Z'))).toEqual({
      tenantId: 'acme',
      subject: 'service:app',
      principalId: 'app',
      actor: { kind: 'service', id: 'app' },
      roles: ['auditor', 'operator'],
      systemAdmin: false,
      authentication: 'api_key',
      keyId: 'k-app',
    });
  });

  it('refuses a wrong secret for a known prefix', async () => {
    const forged = { ...alice, secret: generateApiKey().secret };
    await expectUnauthenticated(
      model.authenticateApiKey(`aos_${alice.prefix}_${forged.secret}`),
      'invalid API key',
      forged,
    );
  });

  it('refuses a key with an unknown prefix', async () => {
    const unknown = generateApiKey();
    await expectUnauthenticated(model.authenticateApiKey(unknown.full), 'invalid API key', unknown);
  });

  it.each(['', 'Bearer x', 'aos_AB_secret', 'aos_abcd1234_', 'not-a-key-at-all'])(
    'refuses a malformed key %j',
    async (presented) => {
      await expectUnauthenticated(model.authenticateApiKey(presented), 'malformed API key', alice);
    },
  );

  it('refuses a revoked key from the moment the revocation is applied, even after it was cached', async () => {
    await model.authenticateApiKey(alice.full);
    log.revokeKey('acme', 'alice', 'k-alice');
    await expectUnauthenticated(model.authenticateApiKey(alice.full), 'API key revoked', alice);
  });

  it('refuses an expired key, checked on every call', async () => {
    await model.authenticateApiKey(app.full, new Date('2029-06-01T00:00:00Z'));
    await expectUnauthenticated(
      model.authenticateApiKey(app.full, new Date('2030-01-01T00:00:01Z')),
      'API key expired',
      app,
    );
  });

  it('refuses a key whose principal is unknown to the projection', async () => {
    const orphan = generateApiKey();
    log.apiKey('acme', 'ghost', 'k-ghost', orphan.prefix, await hashApiKey(orphan.full));
    await expectUnauthenticated(model.authenticateApiKey(orphan.full), "API key's principal does not exist", orphan);
  });

  it('tells apart two keys that share a prefix', async () => {
    const twin = generateApiKey();
    const twinFull = `aos_${alice.prefix}_${twin.secret}`;
    log.principal('acme', 'twin');
    log.apiKey('acme', 'twin', 'k-twin', alice.prefix, await hashApiKey(twinFull));
    expect((await model.authenticateApiKey(twinFull)).principalId).toBe('twin');
    expect((await model.authenticateApiKey(alice.full)).principalId).toBe('alice');
  });

  it('reads roles at every call, so a new binding shows without a new key', async () => {
    await model.authenticateApiKey(app.full, new Date('2029-01-01'));
    log.revokeRole('acme', 'b2', 'service:app', 'operator');
    expect((await model.authenticateApiKey(app.full, new Date('2029-01-01'))).roles).toEqual(['auditor']);
  });

  it('verifies concurrent first uses of a key once and answers them all', async () => {
    const identities = await Promise.all(Array.from({ length: 5 }, () => model.authenticateApiKey(alice.full)));
    expect(new Set(identities.map((i) => i.keyId))).toEqual(new Set(['k-alice']));
  });
});
