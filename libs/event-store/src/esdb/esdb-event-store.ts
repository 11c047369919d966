import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  jsonEvent,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  streamNameFilter,
  WrongExpectedVersionError,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type AppendExpectedRevision,
  type EventData,
  type JSONType,
  type Position,
  type ReadPosition,
  type ResolvedEvent,
  type StreamingRead,
} from '@eventstore/db-client';
import { ConcurrencyError, EventStoreUnavailableError, MalformedEventError } from '../errors';
import type {
  AppendOptions,
  AppendResult,
  EventFilter,
  EventHandler,
  EventMetadata,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamRef,
  SubscribeOptions,
  Subscription,
} from '../event-store.port';
import { streamName } from '../stream-ref';
import { SubscriptionDispatcher, type EventFeed } from '../subscription-dispatcher';
import { ValidatingEventStore } from '../validating-event-store';
import { esdbStreamName, esdbStreamRegex, parseEsdbStreamName } from './esdb-stream-names';

export type EsdbEventStoreOptions =
  { connectionString: string; client?: undefined } | { client: EventStoreDBClient; connectionString?: undefined };

/**
 * Positions are commit positions. Since EventStoreDB 20 every append is an implicit
 * transaction whose events each get their own commit position, equal to their prepare position;
 * so a position number maps back to a full Position as {commit: n, prepare: n}.
 * Needs EventStoreDB >= 23.10: stream reads must report positions (22.6) and catch-up
 * subscriptions must send CaughtUp (23.10).
 */
export async function createEsdbEventStore(options: EsdbEventStoreOptions): Promise<EventStore> {
  const owned = options.client === undefined;
  const client = options.client ?? EventStoreDBClient.connectionString(options.connectionString);
  const store = new ValidatingEventStore(new EsdbEventStore(client, owned));
  try {
    // The client connects lazily; a bad address should fail here, not at the first append.
    await store.headPosition();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

/** Positions at or above 2^63 are the server's "unknown" marker (-1 as an unsigned 64-bit number). */
const UNKNOWN_POSITION = 1n << 63n;

const TRANSPORT_ERROR_TYPES = new Set(['unavailable', 'deadline-exceeded', 'timeout', 'not-leader', 'cancelled']);

function toStoreError(operation: string, error: unknown): unknown {
  const type = (error as { type?: unknown } | null)?.type;
  return typeof type === 'string' && TRANSPORT_ERROR_TYPES.has(type)
    ? new EventStoreUnavailableError(operation, { cause: error })
    : error;
}

function toNumber(position: Position | bigint | undefined): number | undefined {
  const commit = typeof position === 'bigint' ? position : position?.commit;
  if (commit === undefined || commit < 0n || commit >= UNKNOWN_POSITION) return undefined;
  return Number(commit);
}

function toReadPosition(after: number): ReadPosition {
  return after > 0 ? { commit: BigInt(after), prepare: BigInt(after) } : START;
}

function toEsdbExpected(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'exists':
      return STREAM_EXISTS;
    default:
      return BigInt(expected);
  }
}

function toEventData(event: NewEvent): EventData {
  return jsonEvent({
    id: event.id,
    type: event.type,
    data: event.data as JSONType,
    metadata: event.metadata,
  });
}

function decode(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent {
  const event = resolved.event;
  if (!event) throw new MalformedEventError('$all', toNumber(resolved.commitPosition) ?? -1, 'no event in read result');
  const position = toNumber(event.position) ?? toNumber(resolved.commitPosition);
  const parts = parseEsdbStreamName(event.streamId);
  if (position === undefined) {
    throw new MalformedEventError(event.streamId, -1, 'the server reported no position (EventStoreDB >= 22.6 needed)');
  }
  if (!parts) throw new MalformedEventError(event.streamId, position, 'stream name is not <category>-<tenant>.<id>');
  return {
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: event.metadata as unknown as EventMetadata,
    stream: streamName({ category: parts.category, id: parts.streamId }),
    category: parts.category,
    streamId: parts.streamId,
    revision: Number(event.revision),
    position,
    time: event.created.toISOString(),
  };
}

/**
 * Leaving a read early (break, return, throw) only destroys the client's Node stream; the gRPC
 * call behind it goes on until cancelled.
 */
async function* cancelOnExit<E>(read: StreamingRead<E>): AsyncGenerator<E> {
  let finished = false;
  try {
    for await (const item of read) yield item;
    finished = true;
  } finally {
    if (!finished) await read.cancel().catch(() => undefined);
  }
}

class EsdbEventStore implements EventStore {
  private readonly subscriptions = new Set<SubscriptionDispatcher<AllStreamResolvedEvent>>();
  private closed = false;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly ownsClient: boolean,
  ) {}

  async append(ref: StreamRef, events: NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    const expected = options?.expectedRevision ?? 'any';
    const name = esdbStreamName(ref);
    try {
      // The server makes a retry with the same event ids and expected revision idempotent.
      const result = await this.client.appendToStream(name, events.map(toEventData), {
        expectedRevision: toEsdbExpected(expected),
      });
      const nextRevision = Number(result.nextExpectedRevision);
      const position = toNumber(result.position) ?? (await this.positionOf(name, nextRevision));
      return { nextRevision, position };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        const actual = error.actualVersion === NO_STREAM ? NO_STREAM : Number(error.actualVersion);
        throw new ConcurrencyError(streamName(ref), expected, actual, { cause: error });
      }
      throw toStoreError('append', error);
    }
  }

  async readStream(ref: StreamRef, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    const fromRevision = options?.fromRevision ?? 0;
    const events: RecordedEvent[] = [];
    try {
      const read = this.client.readStream(esdbStreamName(ref), {
        fromRevision: fromRevision > 0 ? BigInt(fromRevision) : START,
        direction: FORWARDS,
      });
      for await (const resolved of read) events.push(decode(resolved));
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw toStoreError('readStream', error);
    }
    return events;
  }

  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent> {
    return this.readAllMatching(options?.after ?? 0, options?.filter, options?.limit ?? Infinity);
  }

  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription {
    const after = options.after ?? 0;
    const dispatcher: SubscriptionDispatcher<AllStreamResolvedEvent> =
      new SubscriptionDispatcher<AllStreamResolvedEvent>({
        after,
        handler,
        decode,
        onError: options.onError,
        highWater: options.queueLimit,
        onClosed: () => this.subscriptions.delete(dispatcher),
      });
    const feed = new EsdbFeed(this.client, dispatcher, esdbStreamRegex(options.filter), after, (from, upTo) =>
      this.firstMatchBetween(options.filter, from, upTo),
    );
    dispatcher.attach(feed);
    this.subscriptions.add(dispatcher);
    feed.start();
    return dispatcher;
  }

  async headPosition(): Promise<number> {
    try {
      for await (const resolved of cancelOnExit(
        this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 }),
      )) {
        return toNumber(resolved.event?.position) ?? toNumber(resolved.commitPosition) ?? 0;
      }
      return 0;
    } catch (error) {
      throw toStoreError('headPosition', error);
    }
  }

  async streamHead(ref: StreamRef): Promise<number> {
    try {
      for await (const resolved of cancelOnExit(
        this.client.readStream(esdbStreamName(ref), { direction: BACKWARDS, fromRevision: END, maxCount: 1 }),
      )) {
        return decode(resolved).position;
      }
      return 0;
    } catch (error) {
      if (error instanceof StreamNotFoundError) return 0;
      throw toStoreError('streamHead', error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    if (this.ownsClient) await this.client.dispose();
  }

  /**
   * The client's $all read takes no server-side filter, so this reads $all and filters here:
   * correct, but it reads every event after `after`, other tenants' and system events included.
   */
  private async *readAllMatching(
    after: number,
    filter: EventFilter | undefined,
    limit: number,
  ): AsyncGenerator<RecordedEvent> {
    if (limit <= 0) return;
    const matches = new RegExp(esdbStreamRegex(filter));
    let remaining = limit;
    try {
      const read = this.client.readAll({ fromPosition: toReadPosition(after), direction: FORWARDS });
      for await (const resolved of cancelOnExit(read)) {
        const position = toNumber(resolved.event?.position);
        if (!resolved.event || position === undefined || position <= after) continue;
        if (!matches.test(resolved.event.streamId)) continue;
        yield decode(resolved);
        if (--remaining === 0) return;
      }
    } catch (error) {
      throw toStoreError('readAll', error);
    }
  }

  /** See EventFeed.firstMatchBetween; scans $all from `after` and stops past `upTo`. */
  private async firstMatchBetween(
    filter: EventFilter | undefined,
    after: number,
    upTo: number,
  ): Promise<number | null> {
    const matches = new RegExp(esdbStreamRegex(filter));
    const read = this.client.readAll({ fromPosition: toReadPosition(after), direction: FORWARDS });
    for await (const resolved of cancelOnExit(read)) {
      const position = toNumber(resolved.event?.position);
      if (!resolved.event || position === undefined || position <= after) continue;
      if (position > upTo) return null;
      if (matches.test(resolved.event.streamId)) return position;
    }
    return null;
  }

  /** An idempotent (repeated) append may come back without a position; the stream has it. */
  private async positionOf(name: string, revision: number): Promise<number> {
    const read = this.client.readStream(name, { fromRevision: BigInt(revision), maxCount: 1, direction: FORWARDS });
    for await (const resolved of cancelOnExit(read)) return decode(resolved).position;
    throw new MalformedEventError(name, -1, `revision ${revision} was acknowledged but cannot be read`);
  }
}

/**
 * Feeds a subscription from a server-side filtered catch-up subscription to $all. The client
 * exposes it as a Node stream, so pause/resume are the stream's own flow control.
 */
class EsdbFeed implements EventFeed {
  private subscription: AllStreamSubscription | undefined;
  private stopped = false;
  /** -1 until the server says caught up; then how many buffered events precede that point. */
  private eventsBeforeCaughtUp = -1;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly dispatcher: SubscriptionDispatcher<AllStreamResolvedEvent>,
    private readonly streamRegex: string,
    private readonly after: number,
    readonly firstMatchBetween: (after: number, upTo: number) => Promise<number | null>,
  ) {}

  start(): void {
    const subscription = this.client.subscribeToAll({
      fromPosition: toReadPosition(this.after),
      filter: streamNameFilter({ regex: this.streamRegex }),
    });
    this.subscription = subscription;
    subscription.on('data', (resolved: AllStreamResolvedEvent) => this.onEvent(resolved));
    subscription.on('caughtUp', () => this.onCaughtUp(subscription));
    subscription.on('error', (error: Error) => this.onEnd(toStoreError('subscribe', error)));
    subscription.on('end', () => this.onEnd(new Error('the server ended the subscription')));
  }

  pause(): void {
    this.subscription?.pause();
  }

  resume(): void {
    this.subscription?.resume();
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.subscription?.unsubscribe();
  }

  private onEvent(resolved: AllStreamResolvedEvent): void {
    if (this.stopped) return;
    this.dispatcher.push(resolved);
    if (this.eventsBeforeCaughtUp > 0 && --this.eventsBeforeCaughtUp === 0) this.dispatcher.pushCaughtUp();
  }

  /**
   * The client emits "caughtUp" while earlier events may still wait in the stream's buffer;
   * those come out first, so the caught-up point is after that many more events.
   */
  private onCaughtUp(subscription: AllStreamSubscription): void {
    if (this.eventsBeforeCaughtUp !== -1) return;
    this.eventsBeforeCaughtUp = subscription.readableLength;
    if (this.eventsBeforeCaughtUp === 0) this.dispatcher.pushCaughtUp();
  }

  private onEnd(error: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.dispatcher.fail(
      error instanceof EventStoreUnavailableError
        ? error
        : new EventStoreUnavailableError('subscribe', { cause: error }),
    );
  }
}
