import { Metadata } from '@grpc/grpc-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { AccessModel, generateApiKey, hashApiKey } from '@aos/access-control';
import { UnauthenticatedError } from '@aos/errors';
import { SyntheticGovernanceLog } from '../authz/synthetic-governance-log';
import { GovernanceAuthenticator } from './governance.authenticator';

const TENANT = 't1';

function bearer(value: string): Metadata {
  const m = new Metadata();
  m.set('authorization', `Bearer ${value}`);
  return m;
}

describe('GovernanceAuthenticator (API keys, against a real AccessModel)', () => {
  const model = new AccessModel();
  const log = new SyntheticGovernanceLog(model, TENANT);
  const key = generateApiKey();
  const authenticator = new GovernanceAuthenticator(model);

  beforeAll(async () => {
    log.append('tenant', TENANT, { type: 'TenantCreated', data: { tenantId: TENANT, displayName: TENANT } });
    log.append('principal', 'p1', {
      type: 'PrincipalCreated',
      data: { principalId: 'p1', kind: 'SERVICE', name: 'ci', oidcSubject: '', systemAdmin: false },
    });
    log.append('policy', TENANT, {
      type: 'RoleAssigned',
      data: { bindingId: 'b1', subject: 'service:p1', role: 'viewer' },
    });
    log.append('principal', 'p1', {
      type: 'ApiKeyCreated',
      data: {
        keyId: 'k1',
        principalId: 'p1',
        prefix: key.prefix,
        hash: await hashApiKey(key.full),
        description: '',
        expireTime: null,
      },
    });
  });

  it('turns a key into its principal’s identity, whose own subject carries the grants', async () => {
    const caller = await authenticator.authenticate(bearer(key.full));
    expect(caller.identity).toMatchObject({
      tenantId: TENANT,
      subject: 'service:p1',
      actor: { kind: 'service', id: 'p1' },
      roles: ['viewer'],
      systemAdmin: false,
      authentication: 'api_key',
    });
    expect(caller.grantSubjects).toEqual(['service:p1']);
  });

  it('refuses a wrong secret, and a revoked key from the event on', async () => {
    await expect(authenticator.authenticate(bearer(`aos_${key.prefix}_${'x'.repeat(43)}`))).rejects.toBeInstanceOf(
      UnauthenticatedError,
    );
    log.append('principal', 'p1', { type: 'ApiKeyRevoked', data: { keyId: 'k1', principalId: 'p1' } });
    await expect(authenticator.authenticate(bearer(key.full))).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('refuses bearer JWTs when OIDC is not configured', async () => {
    await expect(authenticator.authenticate(bearer('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln'))).rejects.toThrow(
      'OIDC is not configured',
    );
  });
});
