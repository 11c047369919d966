/**
 * Runs async sections one at a time per key, in arrival order. In-process
 * only: it orders the work of this process, not of several instances.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, section: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => done);
    this.tails.set(key, tail);
    await previous;
    try {
      return await section();
    } finally {
      release();
      // The last holder leaves no entry behind, so keys do not accumulate.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Number of keys with a section running or waiting. */
  get size(): number {
    return this.tails.size;
  }
}
