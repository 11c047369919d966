import { Metadata } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '@aos/errors';
import { bearerCredential } from './bearer-credential';

const KEY = 'aos_k3x9q2mf_Zm9vYmFyYmF6cXV4X3dpdGgtdW5kZXJzY29yZXMtYW5k';
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

function metadata(...authorization: string[]): Metadata {
  const m = new Metadata();
  for (const value of authorization) m.add('authorization', value);
  return m;
}

describe('bearerCredential', () => {
  it('reads an API key, with the scheme in any case', () => {
    expect(bearerCredential(metadata(`Bearer ${KEY}`))).toEqual({ kind: 'api_key', key: KEY });
    expect(bearerCredential(metadata(`bearer ${KEY}`))).toEqual({ kind: 'api_key', key: KEY });
  });

  it('reads a compact JWT, including one with an empty signature (alg none), which the verifier then refuses', () => {
    expect(bearerCredential(metadata(`Bearer ${JWT}`))).toEqual({ kind: 'jwt', token: JWT });
    expect(bearerCredential(metadata('Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.'))).toMatchObject({ kind: 'jwt' });
  });

  it.each([
    ['no header', []],
    ['a bare scheme', ['Bearer']],
    ['an empty bearer', ['Bearer ']],
    ['another scheme', ['Basic x']],
    ['no scheme', [KEY]],
    ['a key without prefix and secret', ['Bearer aos_x']],
    ['a key with an upper-case prefix', ['Bearer aos_ABCD_secretsecretsecret']],
    ['a token that is neither key nor JWT', ['Bearer opaque-token']],
    ['two JWT parts', ['Bearer a.b']],
    ['four JWT parts', ['Bearer a.b.c.d']],
    ['two headers', [`Bearer ${KEY}`, `Bearer ${KEY}`]],
  ])('refuses %s with UNAUTHENTICATED', (_case, values) => {
    expect(() => bearerCredential(metadata(...values))).toThrow(UnauthenticatedError);
  });

  it('never repeats the presented credential in the error', () => {
    const presented = 'aos_ab_not-a-valid-key!';
    const error = (() => {
      try {
        bearerCredential(metadata(`Bearer ${presented}`));
      } catch (err) {
        return err as Error;
      }
      throw new Error('expected a refusal');
    })();
    expect(error.message).not.toContain(presented);
  });
});
