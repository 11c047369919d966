import type { EventStore } from '../event-store.port';
import type { EsdbEventStoreOptions } from './esdb-event-store';

/**
 * Opens the EventStoreDB adapter, loading it (and the EventStoreDB client with
 * its gRPC stack) only in a process that uses it: on the JetStream default,
 * none of that is ever loaded.
 */
export async function createEsdbEventStore(options: EsdbEventStoreOptions): Promise<EventStore> {
  const adapter = await import('./esdb-event-store');
  return adapter.createEsdbEventStore(options);
}
