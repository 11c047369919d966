import { Inject, Injectable } from '@nestjs/common';
import { Observable } from 'rxjs';
import { toProtoEvent, type Event, type ReplayEventsRequest } from '@aos/contracts';
import { InvalidArgumentError } from '@aos/errors';
import type { EventFilter, EventStore, RecordedEvent, Subscription } from '@aos/event-store';
import { EVENT_STORE } from './gateway.tokens';
import { streamFailure } from './stream-failure';
import { whenWritable, type OutboundCall } from './outbound-flow';
import { WATCH_QUEUE_LIMIT } from './watch-queue';

// The event store's own rule for a category (one subject token in the JetStream
// mapping): checked here so a bad one is INVALID_ARGUMENT, not a failed stream.
const CATEGORY = /^[a-z][a-z0-9]{0,31}$/;

/**
 * AuditService.ReplayEvents. It reads the log directly (read-only) instead of
 * asking the audit service over NATS: a server stream relayed over NATS
 * request/reply would need its own flow control and resumption, while the
 * log's catch-up subscription already provides both, and the gRPC call's own
 * flow control paces reading (see whenWritable).
 */
@Injectable()
export class EventReplayStream {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  open(tenantId: string, request: ReplayEventsRequest, call?: OutboundCall): Observable<Event> {
    const after = request.afterPosition ?? 0;
    if (!Number.isSafeInteger(after) || after < 0) {
      throw new InvalidArgumentError('after_position', 'must be a non-negative integer');
    }
    const filter: EventFilter = { tenantId };
    if (request.category) {
      if (!CATEGORY.test(request.category)) {
        throw new InvalidArgumentError('category', 'must be a stream category such as "agent"');
      }
      filter.category = request.category;
    }

    return new Observable<Event>((subscriber) => {
      let closed = false;
      let subscription: Subscription | undefined;
      const deliver = async (e: RecordedEvent): Promise<void> => {
        // The filter already scopes to the tenant; this check makes a store bug
        // fail closed instead of showing one tenant another's events.
        if (closed || e.metadata.tenantId !== tenantId) return;
        subscriber.next(toProtoEvent(e));
        await whenWritable(call);
      };

      const run = async (): Promise<void> => {
        if (request.follow) {
          const onError = (err: unknown) => subscriber.error(streamFailure(err));
          subscription = this.store.subscribe({ after, filter, onError, queueLimit: WATCH_QUEUE_LIMIT }, deliver);
          return;
        }
        // Without follow the call ends at the head as it was when the call
        // started, even if appends continue while it is being read.
        const head = await this.store.headPosition();
        if (after < head) {
          for await (const e of this.store.readAll({ after, filter })) {
            if (closed || e.position > head) break;
            await deliver(e);
          }
        }
        if (!closed) subscriber.complete();
      };
      run().catch((err: unknown) => subscriber.error(streamFailure(err)));

      return () => {
        closed = true;
        subscription?.close().catch(() => undefined);
      };
    });
  }
}
