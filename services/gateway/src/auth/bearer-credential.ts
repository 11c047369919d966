import type { Metadata } from '@grpc/grpc-js';
import { parseApiKey } from '@aos/access-control';
import { UnauthenticatedError } from '@aos/errors';

export type BearerCredential = { kind: 'api_key'; key: string } | { kind: 'jwt'; token: string };

const BEARER = /^Bearer +(\S+) *$/i;
// A compact JWS: three base64url parts. The signature may be empty (alg "none"),
// which the verifier refuses; classifying it as a JWT gets it that refusal.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * The one credential of a call: `authorization: Bearer aos_<prefix>_<secret>`
 * (an API key) or `authorization: Bearer <jwt>`. Anything else is refused
 * before any lookup, and no error message ever repeats what was presented.
 */
export function bearerCredential(metadata: Metadata): BearerCredential {
  const values = metadata.get('authorization');
  if (values.length === 0) {
    throw new UnauthenticatedError('missing authorization metadata: send "authorization: Bearer <api key or token>"');
  }
  if (values.length > 1) throw new UnauthenticatedError('more than one authorization metadata value');
  const value = values[0];
  const match = typeof value === 'string' ? BEARER.exec(value) : null;
  if (!match) throw new UnauthenticatedError('malformed authorization metadata: expected "Bearer <api key or token>"');
  const token = match[1];
  if (token.startsWith('aos_')) {
    if (!parseApiKey(token)) throw new UnauthenticatedError('malformed api key: expected aos_<prefix>_<secret>');
    return { kind: 'api_key', key: token };
  }
  if (COMPACT_JWS.test(token)) return { kind: 'jwt', token };
  throw new UnauthenticatedError('malformed bearer credential: neither an api key nor a JWT');
}
