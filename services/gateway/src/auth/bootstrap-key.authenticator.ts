import { createHash, timingSafeEqual } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import { UnauthenticatedError } from '@aos/errors';
import type { Authenticator, Principal } from './authenticator';

export const BOOTSTRAP_ADMIN_ID = 'bootstrap-admin';

const BEARER = /^Bearer +(\S+) *$/i;

/**
 * Accepts exactly one credential, the bootstrap admin key, as
 * `authorization: Bearer <key>`, and makes its holder the admin of the default
 * tenant. Keys are compared as SHA-256 digests with timingSafeEqual: equal
 * lengths whatever the input, and no early exit on the first differing byte.
 */
export class BootstrapKeyAuthenticator implements Authenticator {
  private readonly keyDigest: Buffer;

  constructor(
    key: string,
    private readonly tenantId: string,
  ) {
    if (!key) throw new Error('the bootstrap key must not be empty');
    this.keyDigest = sha256(key);
  }

  async authenticate(metadata: Metadata): Promise<Principal> {
    const values = metadata.get('authorization');
    if (values.length === 0) {
      throw new UnauthenticatedError('missing authorization metadata: send "authorization: Bearer <api key>"');
    }
    if (values.length > 1) throw new UnauthenticatedError('more than one authorization metadata value');
    const value = values[0];
    const match = typeof value === 'string' ? BEARER.exec(value) : null;
    if (!match) throw new UnauthenticatedError('malformed authorization metadata: expected "Bearer <api key>"');
    if (!timingSafeEqual(sha256(match[1]), this.keyDigest)) throw new UnauthenticatedError('invalid api key');
    return { tenantId: this.tenantId, actor: { kind: 'user', id: BOOTSTRAP_ADMIN_ID }, roles: ['admin'] };
  }
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
