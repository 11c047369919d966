import { describe, expect, it } from 'vitest';
import { AosError } from '@aos/errors';
import {
  decodePageToken,
  encodePageToken,
  validateEnum,
  validateExpectedRevision,
  validateId,
  validatePageSize,
  validateRequestId,
  validateText,
} from '../src';

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof AosError && err.code === 'INVALID_ARGUMENT') return err.field;
    throw err;
  }
  return undefined;
}

describe('request fields', () => {
  it('request_id: required, at most 128 code points, no control characters', () => {
    expect(fieldOf(() => validateRequestId(''))).toBe('request_id');
    expect(fieldOf(() => validateRequestId('a\u0000b'))).toBe('request_id');
    expect(validateRequestId('é'.repeat(128))).toHaveLength(128);
    expect(fieldOf(() => validateRequestId('é'.repeat(129)))).toBe('request_id');
  });

  it('ids must be UUIDs and come back in lower case', () => {
    expect(validateId('id', '6F1C0B8E-0000-4000-8000-000000000001')).toBe('6f1c0b8e-0000-4000-8000-000000000001');
    expect(fieldOf(() => validateId('agent_id', 'nope'))).toBe('agent_id');
  });

  it('text allows line breaks unless single-line, never other control characters', () => {
    expect(validateText('description', 'a\nb', 10)).toBe('a\nb');
    expect(fieldOf(() => validateText('name', 'a\nb', 10, { multiline: false }))).toBe('name');
    expect(fieldOf(() => validateText('description', 'a\u0007', 10))).toBe('description');
    expect(fieldOf(() => validateText('description', 'x'.repeat(11), 10))).toBe('description');
  });

  it('page sizes default to 50 and are clamped to 1000; enums treat *_UNSPECIFIED as absent', () => {
    expect(validatePageSize(0)).toBe(50);
    expect(validatePageSize(5000)).toBe(1000);
    expect(fieldOf(() => validatePageSize(-1))).toBe('page_size');
    expect(validateEnum('risk', 'RISK_UNSPECIFIED', ['READ'] as const)).toBeUndefined();
    expect(fieldOf(() => validateEnum('risk', 'LOUD', ['READ'] as const))).toBe('risk');
  });

  it('page tokens round-trip for their list and filter; another list, filter, a negative position or garbage is page_token', () => {
    const token = encodePageToken('ListTasks', 42, 'a');
    expect(decodePageToken(token, 'ListTasks', 'a')).toBe(42);
    expect(decodePageToken('', 'ListTasks')).toBe(0);
    expect(fieldOf(() => decodePageToken(token, 'ListTools', 'a'))).toBe('page_token');
    expect(fieldOf(() => decodePageToken(token, 'ListTasks', 'b'))).toBe('page_token');
    const negative = Buffer.from(JSON.stringify({ list: 'ListTasks', after: -1, filter: 'a' })).toString('base64url');
    expect(fieldOf(() => decodePageToken(negative, 'ListTasks', 'a'))).toBe('page_token');
    expect(fieldOf(() => decodePageToken('%%%', 'ListTasks'))).toBe('page_token');
    expect(fieldOf(() => decodePageToken(7, 'ListTasks'))).toBe('page_token');
  });

  it('expected_revision: absent is undefined, else a non-negative integer', () => {
    expect(validateExpectedRevision(undefined)).toBeUndefined();
    expect(validateExpectedRevision(null)).toBeUndefined();
    expect(validateExpectedRevision(0)).toBe(0);
    expect(fieldOf(() => validateExpectedRevision(-1))).toBe('expected_revision');
    expect(fieldOf(() => validateExpectedRevision('3'))).toBe('expected_revision');
  });
});
