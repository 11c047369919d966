export type {
  Actor,
  ActorKind,
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
  WaitForOptions,
} from './event-store.port';
export {
  ConcurrencyError,
  EventStoreUnavailableError,
  InvalidEventError,
  InvalidStreamRefError,
  MalformedEventError,
  SubscriptionClosedError,
  TimeoutError,
} from './errors';
export type { ActualRevision } from './errors';
export { streamName } from './stream-ref';
export { isTransient, retryTransient, STARTUP_RETRY_MS, waitForLeader } from './jetstream/nats-errors';
export { ConnectionWatch } from './jetstream/connection-watch';
export { createJetStreamEventStore } from './jetstream/jetstream-event-store';
export type { JetStreamEventStoreOptions } from './jetstream/jetstream-event-store';
export { createEsdbEventStore } from './esdb/open-esdb-event-store';
export type { EsdbEventStoreOptions } from './esdb/esdb-event-store';
export { createEventStore } from './create-event-store';
export type { EventStoreConfig } from './create-event-store';
export { followProjection, loggedProjectionReports } from './follow-projection';
export type { FollowedProjection, ProjectionReports } from './follow-projection';
export { applyRecorded, parseRecorded, ProjectionError } from './projection-error';
