import { EventStoreUnavailableError } from './errors';
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
} from './event-store.port';
import { assertCounter, assertExpectedRevision, assertFilter, assertNewEvents, assertStreamRef } from './stream-ref';

/**
 * Enforces the port's input rules in front of an adapter, so that every adapter rejects the
 * same inputs with the same errors and none of them has to repeat the checks. Promise-returning
 * operations reject; readAll and subscribe throw synchronously.
 */
export class ValidatingEventStore implements EventStore {
  private closed = false;

  constructor(private readonly adapter: EventStore) {}

  async append(ref: StreamRef, events: NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    this.assertOpen('append');
    assertStreamRef(ref);
    assertNewEvents(ref, events);
    assertExpectedRevision(options?.expectedRevision ?? 'any');
    return this.adapter.append(ref, events, options);
  }

  async readStream(ref: StreamRef, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    this.assertOpen('readStream');
    assertStreamRef(ref);
    assertCounter('fromRevision', options?.fromRevision);
    return this.adapter.readStream(ref, options);
  }

  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent> {
    this.assertOpen('readAll');
    assertCounter('after', options?.after);
    assertCounter('limit', options?.limit);
    assertFilter(options?.filter);
    return this.adapter.readAll(options);
  }

  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription {
    this.assertOpen('subscribe');
    assertCounter('after', options.after);
    assertFilter(options.filter);
    return this.adapter.subscribe(options, handler);
  }

  async headPosition(): Promise<number> {
    this.assertOpen('headPosition');
    return this.adapter.headPosition();
  }

  async streamHead(ref: StreamRef): Promise<number> {
    this.assertOpen('streamHead');
    assertStreamRef(ref);
    return this.adapter.streamHead(ref);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.adapter.close();
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new EventStoreUnavailableError(operation, { cause: new Error('event store closed') });
  }
}
