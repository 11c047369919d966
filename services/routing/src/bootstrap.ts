import 'reflect-metadata';
import { QueueGroups } from '@aos/contracts';
import { redactUrl, requireNatsUrl, usesModelRouter, type AosConfig } from '@aos/config';
import { describeError } from '@aos/errors';
import { createEventStore, followProjection, loggedProjectionReports, type Subscription } from '@aos/event-store';
import { StderrLogger } from '@aos/launcher';
import { serveOnNats } from '@aos/messaging';
import { RoutingModule } from './routing.module';
import { TaskHandler, type TaskHandlerWaits } from './task/task.handler';
import { TaskProjection } from './task/task.projection';
import { TaskReactions } from './task/task.reactions';
import { ModelRouting, OpenAiModelRouter } from './task/model-router';

export interface RoutingService {
  /** Stops reacting and taking requests, then closes the log subscription and the event store. Idempotent. */
  close(): Promise<void>;
  /** Resolves once no reconciliation is running (tests use it to observe a quiet state). */
  idle(): Promise<void>;
}

export interface StartRoutingOptions {
  /**
   * Let Nest close the service on SIGTERM/SIGINT (default true). A launcher that
   * runs several services in one process and handles signals itself passes false.
   */
  shutdownHooks?: boolean;
  /**
   * Called when the log subscription stops for good. The service then answers
   * UNAVAILABLE; a process of its own should exit so its supervisor restarts it.
   */
  onFatal?: (err: unknown) => void;
  waits?: Partial<TaskHandlerWaits>;
}

const CONTEXT = 'routing';

/**
 * Starts the routing service in this process: connects to the event store,
 * replays the log (tasks, their runs, and the agents they may go to) into
 * memory, and only then answers on NATS and starts reacting — routing queued
 * tasks, re-routing the tasks of retired agents, abandoning attempts whose
 * lease ran out — so that nothing is decided against a half-built state.
 */
export async function startRouting(config: AosConfig, options: StartRoutingOptions = {}): Promise<RoutingService> {
  const logger = new StderrLogger(config.AOS_LOG_LEVEL);
  const natsUrl = requireNatsUrl(config);
  const store = await createEventStore({ kind: config.AOS_EVENT_STORE, natsUrl, esdbUrl: config.AOS_ESDB_URL });
  let subscription: Subscription | undefined;
  let reactions: TaskReactions | undefined;
  let released: Promise<void> | undefined;
  const releaseResources = () =>
    (released ??= (async () => {
      await reactions?.stop();
      await subscription?.close();
      await store.close();
      logger.log('closed the log subscription and the event store', CONTEXT);
    })());

  try {
    const projection = new TaskProjection();
    const started = performance.now();
    // One subscription to the whole log, so that agent, task and run events are
    // applied in the order they happened. Only a lost log ends it (events that
    // cannot be applied are skipped); from then on every request fails with
    // UNAVAILABLE instead of answering from stale state.
    const followed = followProjection(
      store,
      { filter: {} },
      (e) => projection.apply(e),
      loggedProjectionReports('log', (message) => logger.error(message, CONTEXT), options.onFatal),
    );
    subscription = followed.subscription;
    await subscription.caughtUp;
    const replayed = performance.now();
    projection.refreshRouters();
    logger.log(
      `task read model caught up: ${projection.eventsApplied} events in ${Math.round(replayed - started)} ms, ` +
        `routers indexed what they learned in ${Math.round(performance.now() - replayed)} ms`,
      CONTEXT,
    );

    const modelRouting = usesModelRouter(config)
      ? new ModelRouting(
          new OpenAiModelRouter({
            baseURL: config.AOS_OPENAI_BASE_URL!,
            apiKey: config.AOS_OPENAI_API_KEY,
            model: config.AOS_ROUTER_MODEL ?? config.AOS_MODEL,
            timeoutMs: config.AOS_ROUTER_TIMEOUT_MS,
          }),
        )
      : undefined;
    const tasks = new TaskHandler({
      store,
      projection,
      subscription,
      isFollowing: () => followed.following,
      leaseMs: config.AOS_RUN_LEASE_MS,
      defaultConcurrency: config.AOS_AGENT_MAX_CONCURRENCY,
      onReactionError: (message, err) => logger.warn(`${message}: ${describeError(err)}`, CONTEXT),
      ...(options.waits ? { waits: options.waits } : {}),
      ...(modelRouting ? { modelRouting } : {}),
    });
    const closeApp = await serveOnNats(RoutingModule.forRoot({ tasks, releaseResources }), {
      natsUrl,
      queue: QueueGroups.routing,
      logger,
      shutdownHooks: options.shutdownHooks,
    });
    // A lease is checked at least five times per lease time, so an attempt is
    // abandoned at most a fifth of the lease late.
    reactions = new TaskReactions(projection, tasks, Math.max(50, Math.min(1_000, config.AOS_RUN_LEASE_MS / 5)));
    reactions.start();
    logger.log(
      `listening on ${redactUrl(natsUrl)} (queue group ${QueueGroups.routing}); leases last ${config.AOS_RUN_LEASE_MS} ms; ` +
        (modelRouting
          ? `LLM router: ${config.AOS_ROUTER_MODEL ?? config.AOS_MODEL} at ${redactUrl(config.AOS_OPENAI_BASE_URL!)}`
          : 'lexical router (no model)'),
      CONTEXT,
    );

    const live = reactions;
    let closing: Promise<void> | undefined;
    return {
      close: () => (closing ??= live.stop().then(closeApp).then(releaseResources)),
      idle: () => live.idle(),
    };
  } catch (err) {
    await releaseResources();
    throw err;
  }
}
