/** How long a round waits for the one in flight before it is sent beside it (a slow answer must not queue every caller). */
const MAX_QUEUE_MS = 50;

/** One key's rounds: the one not yet sent, and the one in flight. */
interface Slot {
  next?: Promise<void>;
  inFlight?: Promise<void>;
}

/**
 * Runs a check for many callers at once, without ever answering a caller
 * with a check that was started before it asked: a caller joins the next
 * round of its key (one not yet sent), which starts once the round in flight
 * has answered, or MAX_QUEUE_MS later should it be slow. Under load, one
 * check per key is in flight at a time, not one per caller.
 */
export class RoundCoalescer {
  private readonly slots = new Map<string, Slot>();

  /** Resolves (or rejects) with the next round of `key`'s check. */
  run(key: string, check: () => Promise<void>): Promise<void> {
    let slot = this.slots.get(key);
    if (!slot) this.slots.set(key, (slot = {}));
    if (slot.next) return slot.next;
    const own = slot;
    const round: { promise?: Promise<void> } = {};
    round.promise = (async () => {
      // Yield first: callers that arrive before the round is sent join it through `own.next`.
      await null;
      if (own.inFlight) await settledWithin(own.inFlight, MAX_QUEUE_MS);
      // From here on the round is sent: a caller arriving now needs the next one.
      if (own.next === round.promise) own.next = undefined;
      const running = check();
      own.inFlight = running;
      try {
        await running;
      } finally {
        if (own.inFlight === running) own.inFlight = undefined;
        if (!own.next && !own.inFlight && this.slots.get(key) === own) this.slots.delete(key);
      }
    })();
    own.next = round.promise;
    return round.promise;
  }

  /** Keys with a round pending or in flight (for tests: nothing is left behind). */
  get size(): number {
    return this.slots.size;
  }
}

/** Resolves once `work` settles or `ms` have passed, whichever comes first. */
function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
  ]).finally(() => clearTimeout(timer));
}
