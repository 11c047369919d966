/**
 * The EventStore port: the only way services touch the event log. Adapters (JetStream,
 * EventStoreDB) implement it and are held to the same contract suite.
 */

export type ActorKind = 'user' | 'service' | 'agent' | 'system';

export interface Actor {
  kind: ActorKind;
  id: string;
}

export interface EventMetadata {
  tenantId: string;
  actor: Actor;
  correlationId: string;
  causationId: string;
  requestId: string;
  traceparent?: string;
  schemaVersion: number;
}

/** Identifies one aggregate stream. Users see it as `${category}-${id}`. */
export interface StreamRef {
  tenantId: string;
  category: string;
  id: string;
}

export interface NewEvent {
  /** UUID; a retried append with the same ids is written once. */
  id: string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
}

export interface RecordedEvent extends NewEvent {
  /** `${category}-${id}` */
  stream: string;
  category: string;
  streamId: string;
  /** 0-based position within the stream. */
  revision: number;
  /** Global position in the log, increasing. */
  position: number;
  /** ISO-8601 time at which the log stored the event. */
  time: string;
}

/**
 * `no_stream`: the stream must not exist; `exists`: it must have at least one event;
 * `any`: no check; a number: the revision of the stream's last event.
 */
export type ExpectedRevision = 'no_stream' | 'any' | 'exists' | number;

export interface AppendOptions {
  /** Default `any`. */
  expectedRevision?: ExpectedRevision;
}

export interface AppendResult {
  /** Revision of the last event written; pass it as the next expected revision. */
  nextRevision: number;
  /** Position of the last event written. */
  position: number;
}

export interface EventFilter {
  tenantId?: string;
  category?: string;
}

export interface ReadStreamOptions {
  fromRevision?: number;
}

export interface ReadAllOptions {
  /** Only events with a position greater than this. Default 0 (from the start). */
  after?: number;
  filter?: EventFilter;
  limit?: number;
}

export interface SubscribeOptions {
  /** Only events with a position greater than this. Default 0 (from the start). */
  after?: number;
  filter?: EventFilter;
  /** Receives the error that closed the subscription (a handler throw, a lost log). Default: console.error. */
  onError?: (error: unknown) => void;
  /**
   * How many events may wait for a slow handler before the subscription stops
   * reading the log (and goes on once most are handled). Default 8192, for a
   * projection catching up; a stream served to one client (a watch) sets it low,
   * so a client that stops reading holds back its subscription, not the memory.
   */
  queueLimit?: number;
}

export type EventHandler = (event: RecordedEvent) => void | Promise<void>;

export interface Subscription {
  /** Resolves when every matching event that existed when subscribe() was called has been handled. */
  readonly caughtUp: Promise<void>;
  /** Position of the last event handled (or the `after` given), 0 when none. */
  readonly position: number;
  /**
   * Resolves once every matching event with position <= `position` has been handled, even if
   * `position` itself belongs to a non-matching event. Rejects with a TimeoutError after
   * `timeoutMs` (default 5000). `position` should be one the log has reached (e.g. from an
   * AppendResult): a future position resolves as soon as nothing matching is pending.
   */
  waitFor(position: number, timeoutMs?: number, options?: WaitForOptions): Promise<void>;
  close(): Promise<void>;
}

export interface WaitForOptions {
  /**
   * The caller knows the event at `position` is one this subscription delivers (it appended
   * it to a stream the filter covers): the wait ends when that event has been handled, and
   * the log is not asked which matching events come before it (a request per wait saved).
   */
  receives?: boolean;
}

export interface EventStore {
  append(stream: StreamRef, events: NewEvent[], options?: AppendOptions): Promise<AppendResult>;
  /** The stream's events in revision order; [] when the stream does not exist. */
  readStream(stream: StreamRef, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** Events with position > `after`, in order, up to the head of the log when iteration starts. */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  /**
   * Catch-up then live, with no gap and no duplicate. The handler is awaited before the next
   * event is delivered; if it throws, the subscription closes and reports the error to `onError`.
   */
  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription;
  /** Position of the newest event in the whole log, 0 if empty. */
  headPosition(): Promise<number>;
  /**
   * Position of the stream's newest event, 0 when the stream does not exist,
   * as the log holds it now (on a replicated log, the leader's answer): what
   * a reader compares with its own model to know whether it is behind.
   */
  streamHead(stream: StreamRef): Promise<number>;
  close(): Promise<void>;
}
