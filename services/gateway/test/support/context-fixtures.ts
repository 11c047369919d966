import { randomUUID } from 'node:crypto';
import type { ContextChange, ContextEntry } from '@aos/contracts';
import { AosClientError, type ContextClient, type ServerStream } from '@aos/grpc-client';

/** A WatchContext call whose messages are collected as they come. */
export class ContextWatch {
  readonly changes: ContextChange[] = [];
  /** How the call ended, when it ended with an error (not after cancel()). */
  failure: AosClientError | undefined;
  private ended = false;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly stream: ServerStream<ContextChange>) {
    void (async () => {
      try {
        for await (const change of stream) {
          this.changes.push(change);
          this.notify();
        }
      } catch (err) {
        this.failure = err instanceof AosClientError ? err : undefined;
        if (!this.failure) throw err;
      } finally {
        this.ended = true;
        this.notify();
      }
    })();
  }

  /**
   * Resolves with the first `count` changes (of those `where` keeps) once they
   * have arrived; rejects when the call ends first, or after `timeoutMs`.
   */
  waitFor(
    count: number,
    { timeoutMs = 30_000, where = () => true }: { timeoutMs?: number; where?: (change: ContextChange) => boolean } = {},
  ): Promise<ContextChange[]> {
    return new Promise((resolve, reject) => {
      const kept = () => this.changes.filter(where);
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        settle();
      };
      const check = () => {
        if (kept().length >= count) done(() => resolve(kept().slice(0, count)));
        else if (this.ended) {
          done(() => reject(this.failure ?? new Error(`the watch ended after ${kept().length} changes`)));
        }
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`${kept().length} of ${count} changes within ${timeoutMs} ms`))),
        timeoutMs,
      );
      this.listeners.add(check);
      check();
    });
  }

  cancel(): void {
    this.stream.cancel();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

export interface RaceFigures {
  puts: number;
  aborted: number;
  /** Failures other than ABORTED (there must be none). */
  otherFailures: string[];
  maxTries: number;
  /** The entry once every writer is done, read through the first client. */
  final: ContextEntry;
}

/**
 * `writers` clients each add 1 to the counter `n` of one entry by read,
 * modify, write, with the version they read as expected_version, trying again
 * after each ABORTED until their put is accepted; writer i goes through
 * clients[i % clients.length]. The entry must exist with {"n": <start>}.
 */
export async function readModifyWriteRace(
  clients: readonly ContextClient[],
  scope: string,
  key: string,
  writers: number,
): Promise<RaceFigures> {
  let aborted = 0;
  let puts = 0;
  let lastPosition = 0;
  const otherFailures: string[] = [];
  const writer = async (i: number): Promise<number> => {
    const via = clients[i % clients.length]!;
    for (let tries = 1; ; tries++) {
      const seen = await via.getContext({ scope, key });
      const { n } = JSON.parse(seen.valueJson) as { n: number };
      puts += 1;
      try {
        const made = await via.putContext({
          scope,
          key,
          valueJson: JSON.stringify({ n: n + 1, by: i }),
          expectedVersion: seen.version,
          requestId: randomUUID(),
        });
        lastPosition = Math.max(lastPosition, made.logPosition);
        return tries;
      } catch (err) {
        if (!(err instanceof AosClientError)) throw err;
        if (err.code === 'ABORTED') aborted += 1;
        else if (otherFailures.push(`${err.code}: ${err.details}`) > writers) throw err;
      }
    }
  };
  const tries = await Promise.all(Array.from({ length: writers }, (_, i) => writer(i)));
  // The first client's instance may not have applied the last write yet: min_position waits for it.
  const final = await clients[0]!.getContext({ scope, key, minPosition: lastPosition });
  return { puts, aborted, otherFailures, maxTries: Math.max(...tries), final };
}
