import { HASH_SIZE } from './hash';

/**
 * Hashes of 32 bytes kept end to end in one growable Buffer (no object per
 * hash): a million of them take 32 MB. Entries are never changed once pushed.
 */
export class HashList {
  private buffer: Buffer;
  private count = 0;

  constructor(initialCapacity = 1024) {
    this.buffer = Buffer.allocUnsafe(Math.max(1, initialCapacity) * HASH_SIZE);
  }

  get length(): number {
    return this.count;
  }

  /** Bytes reserved, used or not. */
  get capacityBytes(): number {
    return this.buffer.length;
  }

  push(hash: Uint8Array): void {
    if (hash.length !== HASH_SIZE) throw new RangeError(`a hash is ${HASH_SIZE} bytes, got ${hash.length}`);
    const offset = this.count * HASH_SIZE;
    if (offset + HASH_SIZE > this.buffer.length) {
      const grown = Buffer.allocUnsafe(this.buffer.length * 2);
      this.buffer.copy(grown, 0, 0, offset);
      this.buffer = grown;
    }
    this.buffer.set(hash, offset);
    this.count += 1;
  }

  /** A view of entry i (valid for ever: entries never change); copy it before handing it out. */
  view(i: number): Buffer {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) {
      throw new RangeError(`index ${i} is outside 0..${this.count - 1}`);
    }
    return this.buffer.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
  }
}
