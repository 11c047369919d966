import {
  DiscardPolicy,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type MsgRequest,
  type StoredMsg,
  type StreamConfig,
} from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { EventStoreUnavailableError } from '../errors';
import type {
  AppendOptions,
  AppendResult,
  EventHandler,
  EventStore,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamRef,
  SubscribeOptions,
  Subscription,
} from '../event-store.port';
import { SubscriptionDispatcher } from '../subscription-dispatcher';
import { ValidatingEventStore } from '../validating-event-store';
import { decodeEventMessage } from './event-codec';
import { ConnectionWatch } from './connection-watch';
import { JetStreamAppender } from './jetstream-appender';
import { JetStreamFeed, type FeedContext, type MessageQuery } from './jetstream-feed';
import { readOrdered } from './jetstream-reader';
import { retryTransient, STARTUP_RETRY_MS, toStoreError, waitForLeader } from './nats-errors';
import { ALL_EVENTS_SUBJECT, filterSubject, subjectFor } from './subjects';

export type JetStreamEventStoreOptions = (
  { servers: string | string[]; connection?: undefined } | { connection: NatsConnection; servers?: undefined }
) & {
  /** Default `AOS_EVENTS`. */
  streamName?: string;
  /** Replicas of the stream when this creates it (an existing stream keeps its own). Default 1. */
  replicas?: number;
  /** Try `servers` in the order given rather than shuffled (tests pin a connection to one node). */
  noRandomize?: boolean;
};

const DEFAULT_STREAM = 'AOS_EVENTS';
/** Long enough to cover a client's retry after a timeout or a restart of the caller. */
const DUPLICATE_WINDOW_MS = 5 * 60 * 1000;

/**
 * Connects (or uses the given connection), makes sure the event stream exists, and returns the
 * JetStream EventStore. A connection passed in stays open after close(); one created here is drained.
 */
export async function createJetStreamEventStore(options: JetStreamEventStoreOptions): Promise<EventStore> {
  const stream = options.streamName ?? DEFAULT_STREAM;
  const ownsConnection = options.connection === undefined;
  let nc: NatsConnection;
  try {
    nc =
      options.connection ??
      // noAsyncTraces: nats.js otherwise builds an Error (with a stack) for every
      // publish ack in case it fails — a tenth of the CPU of an append-heavy service.
      (await connect({
        servers: options.servers,
        name: 'aos-event-store',
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        noRandomize: options.noRandomize,
        noAsyncTraces: true,
      }));
  } catch (error) {
    throw new EventStoreUnavailableError('connect', { cause: error });
  }
  try {
    // JetStream answers 503 while a fresh or wounded cluster elects its leaders: opening the log waits for it.
    const jsm = await retryTransient(() => jetstreamManager(nc), STARTUP_RETRY_MS, { timeouts: true });
    // Idempotent: instances starting together on a fresh cluster may each try, and wait for its leader.
    const replicas = await retryTransient(() => ensureStream(jsm, stream, options.replicas ?? 1), STARTUP_RETRY_MS, {
      timeouts: true,
    });
    if (replicas > 1) await waitForLeader(() => jsm.streams.info(stream), STARTUP_RETRY_MS);
    return new ValidatingEventStore(new JetStreamEventStore(nc, ownsConnection, jsm, stream, replicas > 1));
  } catch (error) {
    if (ownsConnection) await nc.close().catch(() => undefined);
    throw toStoreError('connect', error);
  }
}

function streamConfig(name: string, replicas: number): Partial<StreamConfig> & { name: string } {
  return {
    name,
    subjects: [ALL_EVENTS_SUBJECT],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_msgs: -1,
    max_bytes: -1,
    max_age: 0,
    max_msgs_per_subject: -1,
    num_replicas: replicas,
    allow_direct: true,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  };
}

/**
 * Creating a stream that exists with the same configuration is a no-op on the server. One that
 * exists with another configuration (an operator tuned it, or it was created with other
 * replicas) is accepted as long as what this adapter relies on holds. Resolves to the
 * stream's replicas.
 */
async function ensureStream(jsm: JetStreamManager, name: string, replicas: number): Promise<number> {
  try {
    const created = await jsm.streams.add(streamConfig(name, replicas));
    return created.config.num_replicas ?? replicas;
  } catch (error) {
    const existing = await jsm.streams.info(name).catch(() => undefined);
    if (!existing) throw error;
    const { subjects, allow_direct, max_msgs, max_age, max_bytes } = existing.config;
    const problems: string[] = [];
    if (!subjects?.includes(ALL_EVENTS_SUBJECT)) problems.push(`subjects must include ${ALL_EVENTS_SUBJECT}`);
    if (!allow_direct) problems.push('allow_direct must be true');
    if (max_msgs > 0 || max_bytes > 0 || max_age > 0) problems.push('the log must have no limits');
    if (problems.length > 0) {
      throw new Error(`stream ${name} exists with an incompatible configuration: ${problems.join('; ')}`, {
        cause: error,
      });
    }
    return existing.config.num_replicas ?? 1;
  }
}

const CLOSE_STEP_MS = 1_000;

function bounded(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([work.then(() => undefined), timeout]).finally(() => clearTimeout(timer));
}

class JetStreamEventStore implements EventStore {
  private readonly js: JetStreamClient;
  private readonly appender: JetStreamAppender;
  private readonly watch: ConnectionWatch;
  private readonly subscriptions = new Set<SubscriptionDispatcher<JsMsg>>();
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly ownsConnection: boolean,
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    /** A replicated stream: reads that must be current go to its leader (see currentMessage). */
    private readonly replicated: boolean,
  ) {
    this.js = jsm.jetstream();
    this.watch = new ConnectionWatch(nc);
    this.appender = new JetStreamAppender(
      (subject, payload, options) =>
        this.watch.guard(
          () => this.js.publish(subject, payload, options),
          (cause) => new EventStoreUnavailableError('append', { cause }),
        ),
      (query) => this.currentMessage(query),
    );
  }

  append(ref: StreamRef, events: NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    return this.appender.append(ref, events, options?.expectedRevision ?? 'any');
  }

  async readStream(ref: StreamRef, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    const fromRevision = options?.fromRevision ?? 0;
    const events: RecordedEvent[] = [];
    for await (const event of readOrdered(this.readContext(), subjectFor(ref), 0, Infinity)) {
      if (event.revision >= fromRevision) events.push(event);
    }
    return events;
  }

  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent> {
    const subject = filterSubject(options?.filter);
    return readOrdered(this.readContext(), subject, options?.after ?? 0, options?.limit ?? Infinity);
  }

  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription {
    const after = options.after ?? 0;
    const dispatcher: SubscriptionDispatcher<JsMsg> = new SubscriptionDispatcher<JsMsg>({
      after,
      handler,
      decode: decodeEventMessage,
      onError: options.onError,
      highWater: options.queueLimit,
      onClosed: () => this.subscriptions.delete(dispatcher),
    });
    const feed = new JetStreamFeed(this.readContext(), dispatcher, filterSubject(options.filter), after);
    dispatcher.attach(feed);
    this.subscriptions.add(dispatcher);
    feed.start();
    return dispatcher;
  }

  async headPosition(): Promise<number> {
    try {
      const info = await retryTransient(() =>
        this.watch.guard(
          () => this.jsm.streams.info(this.stream),
          (cause) => new EventStoreUnavailableError('headPosition', { cause }),
        ),
      );
      return info.state.last_seq;
    } catch (error) {
      throw toStoreError('headPosition', error);
    }
  }

  async streamHead(ref: StreamRef): Promise<number> {
    try {
      return (await this.currentMessage({ last_by_subj: subjectFor(ref) }))?.seq ?? 0;
    } catch (error) {
      throw toStoreError('streamHead', error);
    }
  }

  /**
   * Closes subscriptions (deleting their consumers) and drains the connection,
   * each step bounded: when the server is already gone (Ctrl-C reaches
   * nats-server too) these requests would otherwise wait out their timeouts, and
   * ordered consumers expire on the server by themselves anyway.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await bounded(Promise.all([...this.subscriptions].map((s) => s.close())), CLOSE_STEP_MS);
    await bounded(Promise.allSettled([...this.pending]), CLOSE_STEP_MS);
    if (this.ownsConnection && !this.nc.isClosed()) {
      await bounded(
        this.nc.drain().catch(() => undefined),
        CLOSE_STEP_MS,
      );
      if (!this.nc.isClosed()) await this.nc.close().catch(() => undefined);
    }
  }

  private readContext(): FeedContext {
    return {
      js: this.js,
      stream: this.stream,
      currentMessage: (query) => this.currentMessage(query),
      replicated: this.replicated,
      background: (work: Promise<unknown>) => this.background(work),
      onReconnect: (listener) => this.watch.onReconnect(listener),
    };
  }

  /**
   * One message, as the log holds it now. On a replicated stream a direct get
   * may be answered by a follower that has not applied the newest messages
   * yet, so it asks the stream leader (the STREAM.MSG.GET API, which takes
   * next_by_subj too on 2.9); on one server the direct get is current and
   * cheaper.
   */
  private currentMessage(query: MessageQuery): Promise<StoredMsg | null> {
    return retryTransient(() =>
      this.watch.guard(
        () =>
          this.replicated
            ? this.jsm.streams.getMessage(this.stream, query as MsgRequest)
            : this.jsm.direct.getMessage(this.stream, query),
        (cause) => new EventStoreUnavailableError('read', { cause }),
      ),
    );
  }

  /** Clean-up (consumer deletes) nobody waits for, except close(). */
  private background(work: Promise<unknown>): void {
    const tracked = work.catch(() => undefined).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }
}
