import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@aos/errors';
import { MAX_GRANT_SUBJECTS, validateRequestContext, type RequestContext } from '../src/request-context';

const base: RequestContext = { tenantId: 't1', actor: { kind: 'user', id: 'u1' }, correlationId: 'c1' };

describe('validateRequestContext: grant subjects', () => {
  it('accepts an OIDC caller with hundreds of groups and long group paths', () => {
    const groups = Array.from({ length: 300 }, (_, i) => `group:/org/division-${i}/${'team-'.repeat(40)}`);
    expect(validateRequestContext({ ...base, grantSubjects: ['user:u1', ...groups] }).grantSubjects).toHaveLength(301);
  });

  it('refuses more than the bound, an empty subject or a non-list, naming ctx.grant_subjects', () => {
    for (const grantSubjects of [
      Array.from({ length: MAX_GRANT_SUBJECTS + 1 }, (_, i) => `group:g${i}`),
      ['user:u1', ''],
      'user:u1' as unknown as string[],
    ]) {
      expect(() => validateRequestContext({ ...base, grantSubjects })).toThrow(InvalidArgumentError);
      try {
        validateRequestContext({ ...base, grantSubjects });
      } catch (err) {
        expect((err as InvalidArgumentError).field).toBe('ctx.grant_subjects');
      }
    }
  });
});
