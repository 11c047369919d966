import { Inject, Injectable } from '@nestjs/common';
import { Observable } from 'rxjs';
import { AGENT_CATEGORY, LifecycleSubjects, type AgentChange, type WatchAgentsRequest } from '@aos/contracts';
import { InvalidArgumentError } from '@aos/errors';
import type { EventStore, RecordedEvent, Subscription } from '@aos/event-store';
import { ServiceClient, type RequestContext } from '@aos/messaging';
import { EVENT_STORE } from './gateway.tokens';
import { streamFailure } from './stream-failure';
import { whenWritable, type OutboundCall } from './outbound-flow';
import { WATCH_QUEUE_LIMIT } from './watch-queue';

/**
 * AgentService.WatchAgents: follows the tenant's agent events in the log and,
 * for each, asks lifecycle for the agent at (at least) that position, so the
 * agent state comes from its owner instead of being re-derived at the edge.
 * If the agent changed again in between, the reply already shows the later
 * state; the later change then follows as its own message.
 */
@Injectable()
export class AgentWatchStream {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ServiceClient) private readonly lifecycle: ServiceClient,
  ) {}

  open(ctx: RequestContext, request: WatchAgentsRequest, call?: OutboundCall): Observable<AgentChange> {
    const requestedAfter = request.afterPosition ?? 0;
    if (!Number.isSafeInteger(requestedAfter) || requestedAfter < 0) {
      throw new InvalidArgumentError('after_position', 'must be a non-negative integer');
    }

    return new Observable<AgentChange>((subscriber) => {
      let closed = false;
      let subscription: Subscription | undefined;
      // The store hands over the next event only when this promise settles, so
      // changes go out in log order, one lifecycle request at a time. A failed
      // request closes the subscription and ends the call through onError.
      const deliver = async (e: RecordedEvent): Promise<void> => {
        if (closed || e.metadata.tenantId !== ctx.tenantId) return;
        const agent = await this.lifecycle.request(LifecycleSubjects.get, ctx, {
          id: e.streamId,
          minPosition: e.position,
        });
        if (closed) return;
        subscriber.next({ eventType: e.type, position: e.position, agent });
        await whenWritable(call);
      };
      const onError = (err: unknown) => subscriber.error(streamFailure(err));

      const run = async (): Promise<void> => {
        // 0 means "from now on": start after the current head.
        const after = requestedAfter > 0 ? requestedAfter : await this.store.headPosition();
        if (closed) return;
        subscription = this.store.subscribe(
          {
            after,
            filter: { tenantId: ctx.tenantId, category: AGENT_CATEGORY },
            onError,
            queueLimit: WATCH_QUEUE_LIMIT,
          },
          deliver,
        );
      };
      run().catch((err: unknown) => subscriber.error(streamFailure(err)));

      return () => {
        closed = true;
        subscription?.close().catch(() => undefined);
      };
    });
  }
}
