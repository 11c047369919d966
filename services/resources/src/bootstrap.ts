import 'reflect-metadata';
import { QueueGroups, TOOL_CATEGORY } from '@aos/contracts';
import { redactUrl, requireNatsUrl, type AosConfig } from '@aos/config';
import { createEventStore, followProjection, loggedProjectionReports, type Subscription } from '@aos/event-store';
import { StderrLogger } from '@aos/launcher';
import { serveOnNats } from '@aos/messaging';
import { ResourcesModule } from './resources.module';
import { StreamableHttpMcpDiscovery, type McpServerDiscovery } from './tool/mcp-server.discovery';
import { ToolHandler } from './tool/tool.handler';
import { ToolProjection } from './tool/tool.projection';

export interface ResourcesService {
  /** Stops taking requests, then closes the log subscription and the event store. Idempotent. */
  close(): Promise<void>;
}

export interface StartResourcesOptions {
  /**
   * Let Nest close the service on SIGTERM/SIGINT (default true). A launcher that
   * runs several services in one process and handles signals itself passes false.
   */
  shutdownHooks?: boolean;
  /**
   * Called when the tool subscription stops for good. The service then answers
   * UNAVAILABLE; a process of its own should exit so its supervisor restarts it.
   */
  onFatal?: (err: unknown) => void;
  /** How MCP servers are asked for their tools (default: streamable HTTP, DEFAULT_DISCOVERY_LIMITS). */
  discovery?: McpServerDiscovery;
}

const CONTEXT = 'resources';

/**
 * Starts the resources service (the tool registry) in this process: connects
 * to the event store, replays the `tool-*` streams into memory and only then
 * answers on NATS, so that no request is decided against a half-built state.
 */
export async function startResources(
  config: AosConfig,
  options: StartResourcesOptions = {},
): Promise<ResourcesService> {
  const logger = new StderrLogger(config.AOS_LOG_LEVEL);
  const natsUrl = requireNatsUrl(config);
  const store = await createEventStore({ kind: config.AOS_EVENT_STORE, natsUrl, esdbUrl: config.AOS_ESDB_URL });
  let subscription: Subscription | undefined;
  let released: Promise<void> | undefined;
  const releaseResources = () =>
    (released ??= (async () => {
      await subscription?.close();
      await store.close();
      logger.log('closed the tool subscription and the event store', CONTEXT);
    })());

  try {
    const projection = new ToolProjection();
    const started = performance.now();
    // Only a lost log ends the subscription (events that cannot be applied are skipped);
    // from then on every command and query fails with UNAVAILABLE instead of answering from stale state.
    const followed = followProjection(
      store,
      { filter: { category: TOOL_CATEGORY } },
      (e) => projection.apply(e),
      loggedProjectionReports('tool', (message) => logger.error(message, CONTEXT), options.onFatal),
    );
    subscription = followed.subscription;
    await subscription.caughtUp;
    logger.log(
      `tool read model caught up: ${projection.eventsApplied} events in ${Math.round(performance.now() - started)} ms`,
      CONTEXT,
    );

    const tools = new ToolHandler({
      store,
      projection,
      subscription,
      isFollowing: () => followed.following,
      discovery: options.discovery ?? new StreamableHttpMcpDiscovery(),
    });
    const closeApp = await serveOnNats(ResourcesModule.forRoot({ tools, releaseResources }), {
      natsUrl,
      queue: QueueGroups.resources,
      logger,
      shutdownHooks: options.shutdownHooks,
    });
    logger.log(`listening on ${redactUrl(natsUrl)} (queue group ${QueueGroups.resources})`, CONTEXT);

    let closing: Promise<void> | undefined;
    return { close: () => (closing ??= closeApp().then(releaseResources)) };
  } catch (err) {
    await releaseResources();
    throw err;
  }
}
