import { Metadata } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '@aos/errors';
import { BootstrapKeyAuthenticator } from './bootstrap-key.authenticator';

const KEY = 'aos_test-key-0123456789abcdef';

function metadata(...authorization: string[]): Metadata {
  const m = new Metadata();
  for (const value of authorization) m.add('authorization', value);
  return m;
}

describe('BootstrapKeyAuthenticator', () => {
  const authenticator = new BootstrapKeyAuthenticator(KEY, 'default');

  it('makes the holder of the bootstrap key the admin of the default tenant', async () => {
    await expect(authenticator.authenticate(metadata(`Bearer ${KEY}`))).resolves.toEqual({
      tenantId: 'default',
      actor: { kind: 'user', id: 'bootstrap-admin' },
      roles: ['admin'],
    });
    // The scheme is case-insensitive (RFC 7235).
    await expect(authenticator.authenticate(metadata(`bearer ${KEY}`))).resolves.toMatchObject({ tenantId: 'default' });
  });

  it.each([
    ['no header', []],
    ['another scheme', [`Basic ${KEY}`]],
    ['an empty bearer', ['Bearer ']],
    ['no scheme', [KEY]],
    ['a wrong key', ['Bearer aos_wrong']],
    ['a prefix of the key', [`Bearer ${KEY.slice(0, -1)}`]],
    ['two headers', [`Bearer ${KEY}`, `Bearer ${KEY}`]],
  ])('refuses %s', async (_case, values) => {
    await expect(authenticator.authenticate(metadata(...values))).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('never puts the presented key into the error message', async () => {
    const err = await authenticator.authenticate(metadata('Bearer aos_secret-guess')).catch((e: Error) => e);
    expect((err as Error).message).not.toContain('aos_secret-guess');
  });
});
