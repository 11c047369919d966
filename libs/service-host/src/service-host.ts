import 'reflect-metadata';
import { Module, type DynamicModule } from '@nestjs/common';
import { natsServers, redactUrl, requireNatsUrl, type AosConfig } from '@aos/config';
import {
  createEventStore,
  followProjection,
  loggedProjectionReports,
  type EventFilter,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
  type StreamRef,
  type Subscription,
} from '@aos/event-store';
import { StderrLogger } from '@aos/launcher';
import { releaseOnShutdown, serveOnNats } from '@aos/messaging';
import { metrics, reportProjectionLag, secondsSince, serveMetrics } from '@aos/metrics';
import { inSpan, SpanKind, tracerOf } from '@aos/telemetry';
import { connect } from '@nats-io/transport-node';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  JetStreamSnapshotStore,
  ProjectionSnapshots,
  type ProjectionSnapshot,
  type SnapshotStore,
} from './projection-snapshots';
import {
  JetStreamKvNameLedger,
  JetStreamKvRegisters,
  type LogFollower,
  type NameLedger,
  type Registers,
  type RegistersOptions,
} from '@aos/command-pipeline';
import type { NatsConnection } from '@nats-io/transport-node';

export interface StartServiceOptions {
  /**
   * Let Nest close the service on SIGTERM/SIGINT (default true). A launcher that
   * runs several services in one process and handles signals itself passes false.
   */
  shutdownHooks?: boolean;
  /**
   * Called when a log subscription stops for good. The service then answers
   * UNAVAILABLE; a process of its own should exit so its supervisor restarts it.
   */
  onFatal?: (err: unknown) => void;
}

/** What a service's build step gets: the log, its subscriptions, and a place to register what to release. */
export interface ServiceHost {
  readonly config: AosConfig;
  readonly logger: StderrLogger;
  readonly natsUrl: string;
  readonly store: EventStore;
  /**
   * Waits until the service's subscriptions have applied a position: what a
   * command's reply waits for. Given the category of the event at the
   * position (the command's own append), only the subscriptions that receive
   * it are waited for, and none of them asks the log what comes before it.
   */
  readonly follower: LogFollower;
  /** False once a subscription has stopped for good: the models would answer from stale state. */
  readonly isFollowing: () => boolean;
  /**
   * Follows the log into `apply`, catch-up from position 0 (or after
   * `options.after`: a reaction that reads what came before on demand) then
   * live. An event `apply` throws on is skipped and logged; a subscription
   * that ends is fatal (onFatal), and from then on isFollowing() is false.
   */
  follow(
    name: string,
    filter: EventFilter,
    apply: (event: RecordedEvent) => void,
    options?: { after?: number },
  ): Subscription;
  /**
   * follow(), starting from the projection's snapshot when one is kept that
   * the log confirms (the event it ends with is still at its position), so
   * only the log's tail is replayed; and keeping such snapshots as the
   * projection applies more (AOS_SNAPSHOT_EVENTS). Without a usable
   * snapshot it replays the whole log, as follow() does. `snapshot` must
   * capture and restore everything `apply` changes.
   */
  followWithSnapshots(
    name: string,
    filter: EventFilter,
    apply: (event: RecordedEvent) => void,
    snapshot: ProjectionSnapshot,
  ): Promise<Subscription>;
  /**
   * followWithSnapshots() for a projection fed by several subscriptions (one
   * filter each, e.g. one per category): one snapshot holds the state and
   * where each subscription stood. Give the parts in the same order at every start.
   */
  followGroupWithSnapshots(
    name: string,
    parts: readonly { name: string; filter: EventFilter; apply: (event: RecordedEvent) => void }[],
    snapshot: ProjectionSnapshot,
  ): Promise<Subscription[]>;
  /** Resolves once every subscription started so far has caught up; logs `summary()` and how long it took. */
  caughtUp(summary: () => string): Promise<void>;
  /** Run when the service closes, once Nest has stopped taking requests, last registered first, before the log closes. */
  onClose(release: () => unknown): void;
  /** Where the names the service keeps unique are held (a JetStream KV bucket on the service's NATS). */
  nameLedger(): Promise<NameLedger>;
  /**
   * Calls `listener` after each append of this service that succeeded, with
   * the stream and its events (e.g. to count them in metrics). It must not throw.
   */
  onAppended(listener: AppendListener): void;
  /** Compare-and-set registers in the KV bucket `bucket`, shared by every instance (AOS_JETSTREAM_REPLICAS copies). */
  registers<T>(bucket: string, options: Omit<RegistersOptions, 'replicas'>): Promise<Registers<T>>;
}

export type AppendListener = (stream: StreamRef, events: readonly NewEvent[]) => void;

export interface ServiceParts<T> {
  /** The root module: the controllers and the handlers they forward to (built by `build`, outside Nest). */
  module: DynamicModule;
  /** Started once the service answers on NATS: reactions, timers, runners. */
  afterListen?: () => void | Promise<void>;
  /** Appended to the "listening on …" line. */
  listening?: string;
  /** What the returned service exposes besides close(). */
  handle?: T;
}

export interface ServiceDefinition<T> {
  /** The service's name: its log context. */
  name: string;
  /** Its NATS queue group: instances share the requests. */
  queue: string;
  /** Builds the models and handlers, follows the log into them, and returns the root module. */
  build(host: ServiceHost): Promise<ServiceParts<T>>;
}

export interface RunningService {
  /** Stops taking requests, releases what the service holds, then closes its subscriptions and the event store. Idempotent. */
  close(): Promise<void>;
}

@Module({})
class ServiceHostModule {}

/**
 * Every NATS service starts the same way: connect to the event store, build
 * its models, replay the log into them and only then answer on NATS (so no
 * request is ever decided against a half-built state), then start whatever
 * runs on its own; close in the reverse order. Only the build step differs.
 */
export async function startService<T extends object = object>(
  config: AosConfig,
  definition: ServiceDefinition<T>,
  options: StartServiceOptions = {},
): Promise<RunningService & T> {
  const { name, queue } = definition;
  const logger = new StderrLogger(config.AOS_LOG_LEVEL);
  const natsUrl = requireNatsUrl(config);
  // Prometheus /metrics of this process (AOS_METRICS_ADDR; off by default), shared by the services it runs.
  await serveMetrics(config.AOS_METRICS_ADDR);
  const appendListeners: AppendListener[] = [];
  const store = timedAppends(
    appendListeners,
    await createEventStore({
      kind: config.AOS_EVENT_STORE,
      natsUrl,
      esdbUrl: config.AOS_ESDB_URL,
      replicas: config.AOS_JETSTREAM_REPLICAS,
    }),
    config.AOS_EVENT_STORE,
  );
  const subscriptions: Subscription[] = [];
  const filters = new Map<Subscription, EventFilter>();
  const releases: (() => unknown)[] = [];
  const started = performance.now();
  let following = true;
  let released: Promise<void> | undefined;
  let kvConnection: Promise<NatsConnection> | undefined;
  /** One connection for the service's KV buckets, opened on first use. */
  const kv = () =>
    (kvConnection ??= connect({
      servers: natsServers(natsUrl),
      name: `${name} registers`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      // No Error (with a stack) built ahead of every request just in case it fails.
      noAsyncTraces: true,
    }).then((nc) => {
      releases.push(() => nc.drain().catch(() => nc.close()));
      return nc;
    }));
  /** The log's head, asked at most once a second however many projections report their lag. */
  let head: { at: number; position: Promise<number> } | undefined;
  const headPosition = () => {
    if (!head || performance.now() - head.at > 1000) head = { at: performance.now(), position: store.headPosition() };
    return head.position;
  };
  let snapshotStore: Promise<SnapshotStore> | undefined;
  const snapshots = new ProjectionSnapshots(
    () => (snapshotStore ??= kv().then((nc) => JetStreamSnapshotStore.open(nc, config.AOS_JETSTREAM_REPLICAS))),
    store,
    {
      service: name,
      release: RELEASE,
      everyEvents: config.AOS_SNAPSHOT_EVENTS,
      intervalMs: config.AOS_SNAPSHOT_INTERVAL_MS,
      log: (message) => logger.log(message, name),
      warn: (message) => logger.warn(message, name),
    },
  );
  const release = () =>
    (released ??= (async () => {
      // First: a snapshot being written finishes while the NATS connection it uses is still open.
      await snapshots.stop();
      for (const step of [...releases].reverse()) await step();
      await Promise.all(subscriptions.map((s) => s.close()));
      await store.close();
      logger.log('closed its subscriptions and the event store', name);
    })());

  const host: ServiceHost = {
    config,
    logger,
    natsUrl,
    store,
    follower: {
      waitFor: async (position, timeoutMs, category) => {
        if (category === undefined) {
          await Promise.all(subscriptions.map((s) => s.waitFor(position, timeoutMs)));
          return;
        }
        const receiving = subscriptions.filter((s) => {
          const filter = filters.get(s);
          return filter?.category === undefined || filter.category === category;
        });
        await Promise.all(receiving.map((s) => s.waitFor(position, timeoutMs, { receives: true })));
      },
    },
    isFollowing: () => following,
    follow(what, filter, apply, from) {
      const reports = loggedProjectionReports(what, (message) => logger.error(message, name), options.onFatal);
      const followed = followProjection(store, { filter, after: from?.after }, apply, {
        ...reports,
        onStopped: (err) => {
          following = false;
          reports.onStopped(err);
        },
      });
      subscriptions.push(followed.subscription);
      filters.set(followed.subscription, filter);
      releases.push(
        reportProjectionLag({
          projection: `${name}.${what}`,
          applied: () => followed.subscription.position,
          head: headPosition,
        }),
      );
      return followed.subscription;
    },
    async followWithSnapshots(what, filter, apply, snapshot) {
      const [subscription] = await host.followGroupWithSnapshots(what, [{ name: what, filter, apply }], snapshot);
      return subscription!;
    },
    async followGroupWithSnapshots(what, parts, snapshot) {
      const from = await snapshots.restore(
        what,
        snapshot,
        parts.map((p) => p.apply),
      );
      return parts.map((part, i) => host.follow(part.name, part.filter, from[i]!.apply, { after: from[i]!.after }));
    },
    async caughtUp(summary) {
      await Promise.all(subscriptions.map((s) => s.caughtUp));
      logger.log(`caught up with the log: ${summary()} in ${Math.round(performance.now() - started)} ms`, name);
    },
    onClose(step) {
      releases.push(step);
    },
    onAppended(listener) {
      appendListeners.push(listener);
    },
    async nameLedger() {
      return JetStreamKvNameLedger.open(await kv(), { replicas: config.AOS_JETSTREAM_REPLICAS });
    },
    async registers<T>(bucket: string, options: Omit<RegistersOptions, 'replicas'>) {
      return JetStreamKvRegisters.open<T>(await kv(), bucket, { ...options, replicas: config.AOS_JETSTREAM_REPLICAS });
    },
  };

  try {
    const parts = await definition.build(host);
    await Promise.all(subscriptions.map((s) => s.caughtUp));
    const root: DynamicModule = {
      module: ServiceHostModule,
      imports: [parts.module],
      // Nest's own shutdown (SIGTERM/SIGINT with shutdown hooks) releases the same things close() does.
      providers: releaseOnShutdown(release),
    };
    const closeApp = await serveOnNats(root, { natsUrl, queue, logger, shutdownHooks: options.shutdownHooks });
    await parts.afterListen?.();
    // Once answering: the first snapshot after a long replay is written while requests are already served.
    snapshots.start();
    logger.log(
      `listening on ${redactUrl(natsUrl)} (queue group ${queue})${parts.listening ? `; ${parts.listening}` : ''}`,
      name,
    );
    let closing: Promise<void> | undefined;
    return { ...(parts.handle as T), close: () => (closing ??= closeApp().then(release)) };
  } catch (err) {
    await release();
    throw err;
  }
}

const appendTracer = tracerOf('@aos/event-store');

/**
 * This AgentOS release, and the build that runs: a projection snapshot written
 * by another one is not used. A compiled service (dist/services/<name>.mjs,
 * whose entry names its chunks by their content hash) adds a digest of that
 * file, so any change to its code rebuilds its snapshots from the log even if
 * a projection's version was not raised; under tsx the version alone counts.
 */
const RELEASE = releaseOf(process.argv[1]);

function releaseOf(entry: string | undefined): string {
  const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string };
  if (!entry?.endsWith('.mjs')) return version;
  try {
    return `${version}+${createHash('sha256').update(readFileSync(entry)).digest('hex').slice(0, 16)}`;
  } catch {
    return version;
  }
}

/**
 * Times every append into aos_event_append_duration_seconds by stream
 * category (a kind like `agent`, never a tenant), and traces it: a CLIENT
 * span `append <category>` with the stream, its tenant and the event count
 * as attributes (ids go on spans, not on metric labels), under the request's
 * span when there is one.
 */
function timedAppends(listeners: readonly AppendListener[], store: EventStore, kind: string): EventStore {
  const append = store.append.bind(store);
  store.append = (stream, events, options) =>
    inSpan(
      appendTracer,
      `append ${stream.category}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'db.system.name': kind === 'eventstoredb' ? 'eventstoredb' : 'nats',
          'db.operation.name': 'append',
          'db.collection.name': stream.category,
          'aos.tenant.id': stream.tenantId,
          'aos.stream.category': stream.category,
          'aos.stream.id': stream.id,
          'aos.event.count': events.length,
          'aos.event.types': [...new Set(events.map((e) => e.type))],
        },
      },
      async (span) => {
        const started = process.hrtime.bigint();
        try {
          const result = await append(stream, events, options);
          metrics.appendSeconds.observe({ category: stream.category, result: 'ok' }, secondsSince(started));
          span.setAttribute('aos.log.position', result.position);
          for (const listener of listeners) listener(stream, events);
          return result;
        } catch (err) {
          metrics.appendSeconds.observe({ category: stream.category, result: 'error' }, secondsSince(started));
          throw err;
        }
      },
    );
  return store;
}
