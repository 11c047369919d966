import { GovernanceCategories } from '@aos/contracts';
import type { EventStore } from '@aos/event-store';
import { RoundCoalescer } from './round-coalescer';

/** What a check waits on: the gateway's AccessModel feed. */
export interface FollowedModel {
  /** Resolves once the model has applied `position` (an event of `category`, when given). */
  waitFor(position: number, category?: string): Promise<void>;
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
 * Calls are coalesced (RoundCoalescer): a check answers every call that
 * arrived before it was sent, so under load one request per principal is in
 * flight at a time, not one per call. A key this model does not know (created
 * through another gateway a moment ago) is looked up again after catching up
 * with the whole log.
 */
export class KeyFreshness {
  private readonly rounds = new RoundCoalescer();

  constructor(
    private readonly store: Pick<EventStore, 'streamHead' | 'headPosition'>,
    private readonly model: FollowedModel,
  ) {}

  /** Resolves once the model has applied the principal's stream as the log holds it now. */
  principal(tenantId: string, principalId: string): Promise<void> {
    return this.rounds.run(`${tenantId}\u0000${principalId}`, async () => {
      const category = GovernanceCategories.principal;
      const position = await this.store.streamHead({ tenantId, category, id: principalId });
      if (position > 0) await this.model.waitFor(position, category);
    });
  }

  /** Resolves once the model has applied the whole log as it stands now. */
  everything(): Promise<void> {
    return this.rounds.run('', async () => this.model.waitFor(await this.store.headPosition()));
  }
}
