import type { NatsConnection } from '@nats-io/transport-node';

/**
 * Fails requests fast while a NATS connection is lost. nats.js keeps
 * reconnecting on its own, but what was sent just before the connection
 * dropped, or while it is re-dialling, is discarded (each dial starts with an
 * empty outbound buffer): such a request would only end at its timeout,
 * seconds later. Through `guard`, it ends as soon as the connection is lost,
 * and one started while it is down ends at once; both with `lost()`, which
 * the caller makes its "unavailable, retry" error.
 */
export class ConnectionWatch {
  private connected = true;
  private readonly reconnected = new Set<() => void>();
  private lost!: Promise<never>;
  private reject!: (reason: unknown) => void;

  constructor(nc: NatsConnection) {
    this.arm();
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect') {
          this.connected = false;
          this.reject(new Error(`the connection to NATS (${String(status.server)}) was lost`));
          this.arm();
        } else if (status.type === 'reconnect') {
          this.connected = true;
          for (const listener of [...this.reconnected]) listener();
        }
      }
    })().catch(() => undefined);
  }

  /** Whether the connection is up (as far as nats.js has noticed). */
  get isConnected(): boolean {
    return this.connected;
  }

  /** Calls `listener` after every reconnect; returns what stops that. */
  onReconnect(listener: () => void): () => void {
    this.reconnected.add(listener);
    return () => this.reconnected.delete(listener);
  }

  /** `request` as it ends, or `lost(cause)` once the connection is lost first (at once if it is down). */
  guard<T>(request: () => Promise<T>, lost: (cause: Error) => Error): Promise<T> {
    if (!this.connected) return Promise.reject(lost(new Error('not connected to NATS: reconnecting')));
    const pending = request();
    // Should the loss win the race, a later failure of the request is no one's to handle.
    pending.catch(() => undefined);
    return Promise.race([pending, this.lost.catch((cause: Error) => Promise.reject(lost(cause)))]);
  }

  private arm(): void {
    this.lost = new Promise<never>((_, reject) => (this.reject = reject));
    // Nobody may be waiting when it fires.
    this.lost.catch(() => undefined);
  }
}
