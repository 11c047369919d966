import { Logger } from '@nestjs/common';
import { AccessModel, subscribeAccessModel, type AccessModelSubscription } from '@aos/access-control';
import { DeadlineExceededError, UnavailableError } from '@aos/errors';
import type { EventStore } from '@aos/event-store';

const READ_YOUR_WRITES_TIMEOUT_MS = 5_000;

/**
 * The gateway's own AccessModel, following the governance streams of the log.
 * If following stops (the store failed the subscription), every call is
 * refused with UNAVAILABLE from then on: answering from a model that no longer
 * sees revocations would let a revoked key in.
 */
export class AccessModelFeed {
  constructor(
    readonly model: AccessModel,
    private readonly subscription: AccessModelSubscription,
    /** Filled by the subscription's error handler; the first one stops the feed. */
    private readonly failures: unknown[] = [],
  ) {}

  /** Subscribes and resolves once the model has caught up with the log. */
  static async start(store: EventStore, onFailure: (error: unknown) => void): Promise<AccessModelFeed> {
    const model = new AccessModel();
    const failures: unknown[] = [];
    const subscription = subscribeAccessModel(
      store,
      model,
      (error) => {
        failures.push(error);
        onFailure(error);
      },
      // One bad event is skipped, not fatal: authentication goes on for everyone else.
      (skipped) => new Logger('AccessModelFeed').error(`skipped a governance event: ${skipped.message}`),
    );
    try {
      await subscription.caughtUp;
    } catch (err) {
      await subscription.close();
      throw err;
    }
    return new AccessModelFeed(model, subscription, failures);
  }

  /** Throws UNAVAILABLE once the model has stopped following the log. */
  assertLive(): void {
    if (this.failures.length > 0) {
      throw new UnavailableError('the gateway stopped following the governance log; restart it', {
        cause: this.failures[0],
      });
    }
  }

  /**
   * Resolves once the model has applied every governance event up to
   * `position`: after a mutation's reply, so the caller's next call already
   * sees it (a revoked key is refused from the moment RevokeApiKey returns).
   */
  async waitFor(position: number, category?: string): Promise<void> {
    this.assertLive();
    try {
      await this.subscription.waitFor(position, READ_YOUR_WRITES_TIMEOUT_MS, category);
    } catch {
      this.assertLive();
      throw new DeadlineExceededError(
        `the change is recorded at position ${position}, but the gateway had not applied it within ${READ_YOUR_WRITES_TIMEOUT_MS} ms`,
      );
    }
  }

  close(): Promise<void> {
    return this.subscription.close();
  }
}
