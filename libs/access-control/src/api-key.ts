import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * API keys: `aos_<prefix>_<secret>`. The prefix is public (it finds the key's
 * record); the secret is 32 random bytes, base64url, and is stored only as a
 * scrypt hash, so a leaked log or event stream cannot be replayed as a key.
 */
export interface GeneratedApiKey {
  prefix: string;
  secret: string;
  full: string;
}

const PREFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const GENERATED_PREFIX_LENGTH = 8;
const SECRET_BYTES = 32;
// Prefix [a-z0-9]{4,16} cannot contain '_', so the first '_' after it starts the
// secret, which (base64url) may itself contain '_' and '-'.
const API_KEY_PATTERN = /^aos_([a-z0-9]{4,16})_([A-Za-z0-9_-]{1,256})$/;

const SCRYPT = { N: 16384, r: 8, p: 1, saltBytes: 16, keyBytes: 32 } as const;
const ENCODED_PATTERN = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;
// Refuse absurd parameters in a stored hash rather than let them exhaust memory.
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;

export function generateApiKey(): GeneratedApiKey {
  // Rejection sampling keeps the prefix uniform over the 36-letter alphabet.
  let prefix = '';
  while (prefix.length < GENERATED_PREFIX_LENGTH) {
    for (const byte of randomBytes(GENERATED_PREFIX_LENGTH * 2)) {
      if (byte < 252 && prefix.length < GENERATED_PREFIX_LENGTH) prefix += PREFIX_ALPHABET[byte % 36];
    }
  }
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { prefix, secret, full: `aos_${prefix}_${secret}` };
}

/** The public prefix of a well-formed key; undefined when `presented` is not `aos_<prefix>_<secret>`. */
export function parseApiKey(presented: string): { prefix: string } | undefined {
  const match = API_KEY_PATTERN.exec(presented);
  return match ? { prefix: match[1]! } : undefined;
}

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, options, (error, derived) => (error ? reject(error) : resolve(derived)));
  });
}

/** The slow hash stored in ApiKeyCreated: `scrypt$N=16384,r=8,p=1$<salt>$<hash>` (base64url). */
export async function hashApiKey(full: string): Promise<string> {
  const salt = randomBytes(SCRYPT.saltBytes);
  const derived = await scryptAsync(full, salt, SCRYPT.keyBytes, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return `scrypt$N=${SCRYPT.N},r=${SCRYPT.r},p=${SCRYPT.p}$${salt.toString('base64url')}$${derived.toString('base64url')}`;
}

/** Whether `full` hashes to `encoded`; false (never a throw) for a malformed or unsupported encoding. */
export async function verifyApiKeyHash(full: string, encoded: string): Promise<boolean> {
  const match = ENCODED_PATTERN.exec(encoded);
  if (!match) return false;
  const [N, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (N < 2 || N > MAX_N || (N & (N - 1)) !== 0 || r < 1 || r > MAX_R || p < 1 || p > MAX_P) return false;
  const salt = Buffer.from(match[4]!, 'base64url');
  const expected = Buffer.from(match[5]!, 'base64url');
  if (expected.length === 0) return false;
  const derived = await scryptAsync(full, salt, expected.length, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
  return timingSafeEqual(derived, expected);
}
