import { describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey, parseApiKey, verifyApiKeyHash } from '../src/api-key';
import { VerifiedKeyCache } from '../src/verified-key-cache';

describe('API keys', () => {
  it('generates aos_<8 chars [a-z0-9]>_<32 random bytes, base64url>', () => {
    const keys = Array.from({ length: 50 }, () => generateApiKey());
    for (const key of keys) {
      expect(key.prefix).toMatch(/^[a-z0-9]{8}$/);
      expect(Buffer.from(key.secret, 'base64url')).toHaveLength(32);
      expect(key.full).toBe(`aos_${key.prefix}_${key.secret}`);
      expect(parseApiKey(key.full)).toEqual({ prefix: key.prefix });
    }
    expect(new Set(keys.map((k) => k.full)).size).toBe(50);
  });

  it('splits on the first underscore after the prefix, so the secret may contain _ and -', () => {
    expect(parseApiKey('aos_abcd1234_a_b-c_d')).toEqual({ prefix: 'abcd1234' });
    expect(parseApiKey('aos_abcd_x')).toEqual({ prefix: 'abcd' });
    expect(parseApiKey('aos_abcdefghijklmnop_secret')).toEqual({ prefix: 'abcdefghijklmnop' });
  });

  it.each([
    ['empty', ''],
    ['no scheme', 'abcd1234_secret'],
    ['other scheme', 'sk_abcd1234_secret'],
    ['prefix too short', 'aos_abc_secret'],
    ['prefix too long', 'aos_abcdefghijklmnopq_secret'],
    ['upper-case prefix', 'aos_ABCD1234_secret'],
    ['no secret', 'aos_abcd1234_'],
    ['no separator', 'aos_abcd1234'],
    ['secret with a space', 'aos_abcd1234_sec ret'],
    ['secret with padding', 'aos_abcd1234_secret=='],
    ['a bearer prefix left in', 'Bearer aos_abcd1234_secret'],
  ])('refuses a malformed key (%s)', (_case, presented) => {
    expect(parseApiKey(presented)).toBeUndefined();
  });

  it('stores a salted scrypt hash that verifies only the same key', async () => {
    const key = generateApiKey();
    const encoded = await hashApiKey(key.full);
    expect(encoded).toMatch(/^scrypt\$N=16384,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(encoded).not.toContain(key.secret);
    expect(await verifyApiKeyHash(key.full, encoded)).toBe(true);
    expect(await verifyApiKeyHash(`${key.full}x`, encoded)).toBe(false);
    expect(await verifyApiKeyHash(generateApiKey().full, encoded)).toBe(false);
    // Salted: the same key hashes differently each time, and both verify.
    const again = await hashApiKey(key.full);
    expect(again).not.toBe(encoded);
    expect(await verifyApiKeyHash(key.full, again)).toBe(true);
  });

  it.each([
    ['not scrypt', 'bcrypt$2b$10$abc'],
    ['missing hash', 'scrypt$N=16384,r=8,p=1$c2FsdA'],
    ['N not a power of two', 'scrypt$N=1000,r=8,p=1$c2FsdA$aGFzaA'],
    ['absurd N', 'scrypt$N=1073741824,r=8,p=1$c2FsdA$aGFzaA'],
    ['r zero', 'scrypt$N=16384,r=0,p=1$c2FsdA$aGFzaA'],
  ])('answers false, without throwing, for a malformed stored hash (%s)', async (_case, encoded) => {
    expect(await verifyApiKeyHash('aos_abcd1234_secret', encoded)).toBe(false);
  });
});

describe('VerifiedKeyCache', () => {
  it('keeps at most maxEntries, evicting the least recently used', () => {
    const cache = new VerifiedKeyCache<string>(2);
    cache.set('a', 'A');
    cache.set('b', 'B');
    expect(cache.get('a')).toBe('A'); // a is now the most recently used
    cache.set('c', 'C');
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe('A');
    expect(cache.get('c')).toBe('C');
  });

  it('keys entries by a digest that does not contain the key', () => {
    const key = generateApiKey();
    const digest = VerifiedKeyCache.digest(key.full);
    expect(digest).toHaveLength(43);
    expect(digest).not.toContain(key.secret);
    expect(VerifiedKeyCache.digest(key.full)).toBe(digest);
  });
});
