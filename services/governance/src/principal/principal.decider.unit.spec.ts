import { describe, expect, it } from 'vitest';
import {
  decidePrincipal,
  evolvePrincipal,
  initialPrincipalState,
  type CreateApiKey,
  type PrincipalEvent,
} from './principal.decider';

const given = (events: PrincipalEvent[]) => events.reduce(evolvePrincipal, initialPrincipalState);
const created: PrincipalEvent = {
  type: 'PrincipalCreated',
  data: { principalId: 'p1', kind: 'USER', name: 'alice', oidcSubject: '', systemAdmin: false },
};
const keyCreated: PrincipalEvent = {
  type: 'ApiKeyCreated',
  data: { keyId: 'k1', principalId: 'p1', prefix: 'abcd1234', hash: 'scrypt$x', description: '', expireTime: null },
};
const createKey = (fields: Partial<CreateApiKey> = {}): CreateApiKey => ({
  type: 'CreateApiKey',
  principalId: 'p1',
  keyId: 'k2',
  prefix: 'efgh5678',
  hash: 'scrypt$y',
  description: 'ci',
  expireTime: null,
  now: '2030-01-01T00:00:00.000Z',
  ...fields,
});

describe('principal decider', () => {
  const create = {
    type: 'CreatePrincipal',
    principalId: 'p1',
    kind: 'USER',
    name: 'alice',
    oidcSubject: '',
    systemAdmin: false,
    oidcSubjectHolder: undefined,
  } as const;

  it('creates a principal whose name is free', () => {
    expect(decidePrincipal({ ...create, nameHolder: undefined }, given([]))).toEqual([created]);
  });

  it('refuses an OIDC subject another principal of the tenant signs in with', () => {
    expect(() =>
      decidePrincipal({ ...create, oidcSubject: 'sub-1', oidcSubjectHolder: 'p0', nameHolder: undefined }, given([])),
    ).toThrow(/principal.oidc_subject/);
  });

  it('refuses a name another principal of the tenant holds', () => {
    expect(() => decidePrincipal({ ...create, nameHolder: 'p0' }, given([]))).toThrow(
      expect.objectContaining({ code: 'ALREADY_EXISTS', field: 'principal.name' }),
    );
  });

  it('creates a key with an expiry in the future', () => {
    const events = decidePrincipal(createKey({ expireTime: '2030-02-01T00:00:00.000Z' }), given([created]));
    expect(events).toEqual([
      {
        type: 'ApiKeyCreated',
        data: {
          keyId: 'k2',
          principalId: 'p1',
          prefix: 'efgh5678',
          hash: 'scrypt$y',
          description: 'ci',
          expireTime: '2030-02-01T00:00:00.000Z',
        },
      },
    ]);
  });

  it('refuses an expiry that is not in the future', () => {
    expect(() => decidePrincipal(createKey({ expireTime: '2029-12-31T23:59:59.000Z' }), given([created]))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'expire_time' }),
    );
  });

  it('refuses a key for a principal that does not exist', () => {
    expect(() => decidePrincipal(createKey(), given([]))).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('revokes an active key', () => {
    expect(
      decidePrincipal({ type: 'RevokeApiKey', principalId: 'p1', keyId: 'k1' }, given([created, keyCreated])),
    ).toEqual([{ type: 'ApiKeyRevoked', data: { keyId: 'k1', principalId: 'p1' } }]);
  });

  it('refuses to revoke a revoked key with FAILED_PRECONDITION', () => {
    const state = given([created, keyCreated, { type: 'ApiKeyRevoked', data: { keyId: 'k1', principalId: 'p1' } }]);
    expect(() => decidePrincipal({ type: 'RevokeApiKey', principalId: 'p1', keyId: 'k1' }, state)).toThrow(
      expect.objectContaining({ code: 'FAILED_PRECONDITION' }),
    );
  });

  it('refuses to revoke an unknown key with NOT_FOUND', () => {
    expect(() => decidePrincipal({ type: 'RevokeApiKey', principalId: 'p1', keyId: 'nope' }, given([created]))).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
  });
});
