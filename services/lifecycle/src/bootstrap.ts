import 'reflect-metadata';
import { AGENT_CATEGORY, QueueGroups } from '@aos/contracts';
import { redactUrl, requireNatsUrl, type AosConfig } from '@aos/config';
import { createEventStore, followProjection, loggedProjectionReports, type Subscription } from '@aos/event-store';
import { serveOnNats } from '@aos/messaging';
import { AgentHandler } from './agent/agent.handler';
import { AgentProjection } from './agent/agent.projection';
import { LifecycleModule } from './lifecycle.module';
import { StderrLogger } from '@aos/launcher';

export interface LifecycleService {
  /** Stops taking requests, then closes the log subscription and the event store. Idempotent. */
  close(): Promise<void>;
}

export interface StartLifecycleOptions {
  /**
   * Let Nest close the service on SIGTERM/SIGINT (default true). A launcher that
   * runs several services in one process and handles signals itself passes false.
   */
  shutdownHooks?: boolean;
  /**
   * Called when the agent subscription stops for good. The service then answers
   * UNAVAILABLE; a process of its own should exit so its supervisor restarts it.
   */
  onFatal?: (err: unknown) => void;
}

const CONTEXT = 'lifecycle';

/**
 * Starts the lifecycle service in this process: connects to the event store,
 * replays the `agent-*` streams into memory and only then answers on NATS, so
 * that no request is ever decided against a half-built state.
 */
export async function startLifecycle(
  config: AosConfig,
  options: StartLifecycleOptions = {},
): Promise<LifecycleService> {
  const logger = new StderrLogger(config.AOS_LOG_LEVEL);
  const natsUrl = requireNatsUrl(config);
  const store = await createEventStore({ kind: config.AOS_EVENT_STORE, natsUrl, esdbUrl: config.AOS_ESDB_URL });
  let subscription: Subscription | undefined;
  let released: Promise<void> | undefined;
  const releaseResources = () =>
    (released ??= (async () => {
      await subscription?.close();
      await store.close();
      logger.log('closed the agent subscription and the event store', CONTEXT);
    })());

  try {
    const projection = new AgentProjection();
    const started = performance.now();
    // Only a lost log ends the subscription (events that cannot be applied are skipped);
    // from then on every command and query fails with UNAVAILABLE instead of answering from stale state.
    const followed = followProjection(
      store,
      { filter: { category: AGENT_CATEGORY } },
      (e) => projection.apply(e),
      loggedProjectionReports('agent', (message) => logger.error(message, CONTEXT), options.onFatal),
    );
    subscription = followed.subscription;
    await subscription.caughtUp;
    logger.log(
      `agent read model caught up: ${projection.eventsApplied} events in ${Math.round(performance.now() - started)} ms`,
      CONTEXT,
    );

    const handler = new AgentHandler({ store, projection, subscription, isFollowing: () => followed.following });
    const closeApp = await serveOnNats(LifecycleModule.forRoot({ handler, releaseResources }), {
      natsUrl,
      queue: QueueGroups.lifecycle,
      logger,
      shutdownHooks: options.shutdownHooks,
    });
    logger.log(`listening on ${redactUrl(natsUrl)} (queue group ${QueueGroups.lifecycle})`, CONTEXT);

    let closing: Promise<void> | undefined;
    return { close: () => (closing ??= closeApp().then(releaseResources)) };
  } catch (err) {
    await releaseResources();
    throw err;
  }
}
