import { createEsdbEventStore } from './esdb/open-esdb-event-store';
import type { EventStore } from './event-store.port';
import { createJetStreamEventStore } from './jetstream/jetstream-event-store';

export interface EventStoreConfig {
  kind: 'jetstream' | 'eventstoredb';
  /** Required for `jetstream`; a comma-separated list is accepted. */
  natsUrl?: string;
  /** `jetstream`: replicas of the event stream when this creates it (default 1). */
  replicas?: number;
  /** Required for `eventstoredb`: an `esdb://` connection string. */
  esdbUrl?: string;
}

/** Opens the configured adapter; the one place that chooses between them. */
export function createEventStore(config: EventStoreConfig): Promise<EventStore> {
  switch (config.kind) {
    case 'jetstream':
      if (!config.natsUrl)
        return Promise.reject(new Error('createEventStore: natsUrl is required for kind "jetstream"'));
      return createJetStreamEventStore({
        servers: config.natsUrl
          .split(',')
          .map((url) => url.trim())
          .filter(Boolean),
        replicas: config.replicas,
      });
    case 'eventstoredb':
      if (!config.esdbUrl)
        return Promise.reject(new Error('createEventStore: esdbUrl is required for kind "eventstoredb"'));
      return createEsdbEventStore({ connectionString: config.esdbUrl });
    default: {
      const unknown: never = config.kind;
      return Promise.reject(new Error(`createEventStore: unknown kind ${String(unknown)}`));
    }
  }
}
