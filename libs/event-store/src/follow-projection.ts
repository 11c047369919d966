import { describeError } from '@aos/errors';
import type { EventFilter, EventStore, RecordedEvent, Subscription } from './event-store.port';

export interface ProjectionReports {
  /**
   * An event the model could not apply (a bug, a hand-written event, a newer
   * schema during a rolling upgrade). It is skipped: one bad event must not
   * stop the service for everything else, and a restart would replay it again.
   */
  onSkipped(error: unknown, event: RecordedEvent): void;
  /** The subscription ended for good: the model no longer follows the log. */
  onStopped(error: unknown): void;
}

export interface FollowedProjection {
  readonly subscription: Subscription;
  /** False once the subscription has stopped: answering from the model then means answering from stale state. */
  readonly following: boolean;
}

/** Feeds a service's in-memory model from the log, catch-up then live, the same way in every service. */
export function followProjection(
  store: Pick<EventStore, 'subscribe'>,
  options: { filter: EventFilter; after?: number },
  apply: (event: RecordedEvent) => void,
  reports: ProjectionReports,
): FollowedProjection {
  let following = true;
  const subscription = store.subscribe(
    {
      after: options.after ?? 0,
      filter: options.filter,
      onError: (error) => {
        following = false;
        reports.onStopped(error);
      },
    },
    (event) => {
      try {
        apply(event);
      } catch (error) {
        reports.onSkipped(error, event);
      }
    },
  );
  return {
    subscription,
    get following() {
      return following;
    },
  };
}

/**
 * The reports every service gives: a skipped event is logged; a subscription
 * that stops is logged as `the <name> subscription stopped: …` and is fatal.
 */
export function loggedProjectionReports(
  name: string,
  logError: (message: string) => void,
  onFatal?: (error: unknown) => void,
): ProjectionReports {
  return {
    onSkipped: (error) => logError(describeError(error)),
    onStopped: (error) => {
      logError(`the ${name} subscription stopped: ${describeError(error)}`);
      onFatal?.(error);
    },
  };
}
