import type { EventStore, Subscription } from '@aos/event-store';
import { ACCESS_MODEL_CATEGORIES, AccessModelError, type AccessModel } from './access-model';

export interface AccessModelSubscription {
  subscriptions: Subscription[];
  /** Resolves when every category has caught up with the log as it was at subscribe time. */
  caughtUp: Promise<void>;
  /**
   * Resolves once every subscription has handled its events up to `position`
   * (read-your-writes). Given the category of the event at `position`, only
   * that category's subscription is waited for.
   */
  waitFor(position: number, timeoutMs?: number, category?: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Feeds `model` from the log: one catch-up subscription per category it is
 * built from (tenant, principal, policy), each from position 0, never the
 * whole log. An event the model cannot apply (a hand-written event, a newer
 * schema during a rolling upgrade) is skipped and reported to `onSkipped`:
 * it must not stop authentication for everyone, and a restart would replay it
 * again. Only a failure that ends a subscription goes to `onError`.
 */
export function subscribeAccessModel(
  store: EventStore,
  model: AccessModel,
  onError: (error: unknown) => void = (error) => console.error('access model subscription failed', error),
  onSkipped: (error: AccessModelError) => void = (error) => console.error('access model skipped an event', error),
): AccessModelSubscription {
  const categories = [...ACCESS_MODEL_CATEGORIES];
  const subscriptions = categories.map((category) =>
    store.subscribe({ after: 0, filter: { category }, onError }, (event) => {
      try {
        model.apply(event);
      } catch (error) {
        if (!(error instanceof AccessModelError)) throw error;
        onSkipped(error);
      }
    }),
  );
  return {
    subscriptions,
    caughtUp: Promise.all(subscriptions.map((s) => s.caughtUp)).then(() => undefined),
    waitFor: (position, timeoutMs, category) => {
      const index = category === undefined ? -1 : categories.indexOf(category as (typeof categories)[number]);
      if (index >= 0) return subscriptions[index]!.waitFor(position, timeoutMs, { receives: true });
      return Promise.all(subscriptions.map((s) => s.waitFor(position, timeoutMs))).then(() => undefined);
    },
    close: () => Promise.all(subscriptions.map((s) => s.close())).then(() => undefined),
  };
}
