import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { QueueGroups, TOOL_CATEGORY } from '@aos/contracts';
import { redactUrl, requireNatsUrl, type AosConfig } from '@aos/config';
import { createEventStore, type RecordedEvent, type Subscription } from '@aos/event-store';
import { StderrLogger } from '@aos/launcher';
import { listenOnNats, natsServerOptions, RpcErrorFilter } from '@aos/messaging';
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
  let following = true;
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
    subscription = store.subscribe(
      {
        after: 0,
        filter: { category: TOOL_CATEGORY },
        // Only a lost log ends the subscription (applyOrReport never throws); from then on
        // every command and query fails with UNAVAILABLE instead of answering from stale state.
        onError: (err) => {
          following = false;
          logger.error(`the tool subscription stopped: ${describe(err)}`, CONTEXT);
          options.onFatal?.(err);
        },
      },
      (event) => applyOrReport(projection, event, logger),
    );
    await subscription.caughtUp;
    logger.log(
      `tool read model caught up: ${projection.eventsApplied} events in ${Math.round(performance.now() - started)} ms`,
      CONTEXT,
    );

    const tools = new ToolHandler({
      store,
      projection,
      subscription,
      isFollowing: () => following,
      discovery: options.discovery ?? new StreamableHttpMcpDiscovery(),
    });
    const app = await NestFactory.createMicroservice<MicroserviceOptions>(
      ResourcesModule.forRoot({ tools, releaseResources }),
      { ...natsServerOptions(natsUrl, QueueGroups.resources, 'resources'), logger },
    );
    app.useGlobalFilters(new RpcErrorFilter());
    if (options.shutdownHooks ?? true) app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
    await listenOnNats(app);
    logger.log(`listening on ${redactUrl(natsUrl)} (queue group ${QueueGroups.resources})`, CONTEXT);

    let closing: Promise<void> | undefined;
    return { close: () => (closing ??= app.close().then(releaseResources)) };
  } catch (err) {
    await releaseResources();
    throw err;
  }
}

/**
 * One event that cannot be applied (a bug or a hand-written event) must not
 * stop the registry for every other tool: it is reported and skipped, and the
 * affected stream stays as it was before that event.
 */
function applyOrReport(projection: ToolProjection, event: RecordedEvent, logger: StderrLogger): void {
  try {
    projection.apply(event);
  } catch (err) {
    const cause = err instanceof Error && err.cause !== undefined ? `\n${describe(err.cause)}` : '';
    logger.error(`${describe(err)}${cause}`, CONTEXT);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
