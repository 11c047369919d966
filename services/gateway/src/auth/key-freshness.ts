import { GovernanceCategories } from '@aos/contracts';
import type { EventStore } from '@aos/event-store';

/** What a check waits on: the gateway's AccessModel feed. */
export interface FollowedModel {
  /** Resolves once the model has applied `position` (an event of `category`, when given). */
  waitFor(position: number, category?: string): Promise<void>;
}

/** How long a check waits for the one in flight before it is sent beside it (a slow log must not queue every call). */
const MAX_QUEUE_MS = 50;

/** One coalesced check: the round not yet sent, and the one in flight. */
interface Slot {
  next?: Promise<void>;
  inFlight?: Promise<void>;
}

/**
 * Makes an API key's check current wherever the key was changed. Each
 * gateway follows the governance log on its own, so one gateway may not have
 * applied a revocation another gateway's caller just made. Before a key is
 * trusted, the gateway asks the log (its leader, on a cluster) for the
 * position of the newest event of the key's principal stream (keys live
 * there) and waits until its model has applied it: a key revoked through any
 * gateway is refused by every gateway from the moment the revoke returned.
 *
 * Calls are coalesced: a check answers every call that arrived before it
 * was sent, so under load one request per principal is in flight at a time,
 * not one per call. A key this model does not know (created through another
 * gateway a moment ago) is looked up again after catching up with the whole log.
 */
export class KeyFreshness {
  private readonly slots = new Map<string, Slot>();

  constructor(
    private readonly store: Pick<EventStore, 'streamHead' | 'headPosition'>,
    private readonly model: FollowedModel,
  ) {}

  /** Resolves once the model has applied the principal's stream as the log holds it now. */
  principal(tenantId: string, principalId: string): Promise<void> {
    return this.coalesced(`${tenantId}\u0000${principalId}`, async () => {
      const category = GovernanceCategories.principal;
      const position = await this.store.streamHead({ tenantId, category, id: principalId });
      if (position > 0) await this.model.waitFor(position, category);
    });
  }

  /** Resolves once the model has applied the whole log as it stands now. */
  everything(): Promise<void> {
    return this.coalesced('', async () => this.model.waitFor(await this.store.headPosition()));
  }

  /** Joins the next check for `key`: one that is sent after this call arrived. */
  private coalesced(key: string, check: () => Promise<void>): Promise<void> {
    let slot = this.slots.get(key);
    if (!slot) this.slots.set(key, (slot = {}));
    if (slot.next) return slot.next;
    const own = slot;
    const next = (async () => {
      // One check at a time per key: this one is sent when the one in flight has answered,
      // or beside it should that take long.
      if (own.inFlight) await settledWithin(own.inFlight, MAX_QUEUE_MS);
      own.next = undefined;
      const running = check();
      own.inFlight = running;
      try {
        await running;
      } finally {
        if (own.inFlight === running) own.inFlight = undefined;
        if (!own.next && !own.inFlight && this.slots.get(key) === own) this.slots.delete(key);
      }
    })();
    own.next = next;
    return next;
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
