import { createHash } from 'node:crypto';

/**
 * Remembers which key record a presented API key verified against, so the
 * slow scrypt check runs once per key rather than once per request. Entries
 * are keyed by SHA-256 of the presented key (the key itself is never held)
 * and say only which key it is: revocation, expiry and the principal are
 * read from the projection on every request, so nothing here can go stale.
 * Bounded, least recently used first out.
 */
export class VerifiedKeyCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly maxEntries = 10_000) {}

  static digest(presented: string): string {
    return createHash('sha256').update(presented).digest('base64url');
  }

  get(digest: string): V | undefined {
    const value = this.entries.get(digest);
    if (value === undefined) return undefined;
    // Re-insert so that Map order stays least-recently-used first.
    this.entries.delete(digest);
    this.entries.set(digest, value);
    return value;
  }

  set(digest: string, value: V): void {
    this.entries.delete(digest);
    this.entries.set(digest, value);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}
