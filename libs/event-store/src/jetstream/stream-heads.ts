/** What an append needs to know about a stream's last event. */
export interface StreamHead {
  /** Revision of the last event; -1 when the stream does not exist. */
  revision: number;
  /** Stream sequence (global position) of the last event; 0 when the stream does not exist. */
  seq: number;
}

export const NO_STREAM_HEAD: StreamHead = { revision: -1, seq: 0 };

/**
 * Last known head per subject, so an append usually needs no read before its publish. It may
 * be stale (another process wrote since): the server checks the expected sequence anyway and a
 * rejection makes the appender reload. Bounded, least recently used entries go first.
 */
export class StreamHeadCache {
  private readonly heads = new Map<string, StreamHead>();

  constructor(private readonly capacity = 100_000) {}

  get(subject: string): StreamHead | undefined {
    const head = this.heads.get(subject);
    if (head) {
      this.heads.delete(subject);
      this.heads.set(subject, head);
    }
    return head;
  }

  /** Ignores a head older than the one known, which concurrent appends can report out of order. */
  remember(subject: string, head: StreamHead): void {
    const known = this.heads.get(subject);
    if (known && known.seq >= head.seq) return;
    this.heads.delete(subject);
    this.heads.set(subject, head);
    if (this.heads.size > this.capacity) {
      const oldest = this.heads.keys().next().value;
      if (oldest !== undefined) this.heads.delete(oldest);
    }
  }
}
