import { Inject, Injectable } from '@nestjs/common';
import { Observable } from 'rxjs';
import {
  CONTEXT_CATEGORY,
  contextVersionOf,
  fromTimestamp,
  parseContextEvent,
  ResourcesSubjects,
  toContextEntry,
  type ContextChange,
  type ContextEvent,
  type WatchContextRequest,
} from '@aos/contracts';
import type { EventStore, RecordedEvent, Subscription } from '@aos/event-store';
import { ServiceClient, type RequestContext } from '@aos/messaging';
import { validateContextKeyPrefix, validateContextScope, validatePosition } from '@aos/request-fields';
import { AccessModelFeed } from './access-model.feed';
import { authorize } from './authz/authorize';
import type { CallContext } from './call-context.resolver';
import { EVENT_STORE } from './gateway.tokens';
import { streamFailure } from './stream-failure';
import { whenWritable, type OutboundCall } from './outbound-flow';
import { WATCH_QUEUE_LIMIT } from './watch-queue';

/**
 * ContextService.WatchContext: follows the tenant's `ctx-*` events in the log
 * (read-only) after `after_position` (0: the head when the call starts) and
 * sends each change of the scope's entries whose key has the prefix, in log
 * order, as the entry that change left: built from the event itself (its
 * value, version, actor, time and position) by the same toContextEntry as
 * GetContext's, so a later change to the entry never shows through an earlier
 * one (only its create_time, which a later event does not carry, is asked of
 * resources). Only the changes of entries the caller may read are sent:
 * `context.read` on `ctx/<scope>/<key>`, decided for each change as it is
 * delivered, by the gateway's access model as it is then (the PermissionGuard
 * could only check `ctx/<scope>/*`, which a rule on one key never matches),
 * so a rule added while the watch runs applies from then on. The subscription
 * hands over the next event only once the client takes more (whenWritable),
 * so a slow client holds one message, not the log.
 */
@Injectable()
export class ContextWatchStream {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ServiceClient) private readonly resources: ServiceClient,
    @Inject(AccessModelFeed) private readonly access: AccessModelFeed,
  ) {}

  open({ caller, ctx }: CallContext, request: WatchContextRequest, call?: OutboundCall): Observable<ContextChange> {
    const scope = validateContextScope(request.scope);
    const keyPrefix = validateContextKeyPrefix(request.keyPrefix);
    const requestedAfter = validatePosition('after_position', request.afterPosition);
    const { tenantId } = ctx;

    return new Observable<ContextChange>((subscriber) => {
      let closed = false;
      let subscription: Subscription | undefined;
      let delivered = 0;
      // When each entry's version 1 was stored (its create_time), as learnt from the log.
      const created = new Map<string, string>();

      const deliver = async (e: RecordedEvent): Promise<void> => {
        // The filter already scopes to the tenant; this check makes a store bug
        // fail closed instead of showing one tenant another's context. A change
        // redelivered after a reconnect is not sent twice.
        if (closed || e.metadata.tenantId !== tenantId || e.position <= delivered) return;
        const event = parse(e);
        if (!event || event.data.scope !== scope || !event.data.key.startsWith(keyPrefix)) return;
        // A model that stopped following the log fails the watch (UNAVAILABLE) rather than miss a new deny.
        this.access.assertLive();
        const resource = `ctx/${scope}/${event.data.key}`;
        if (!authorize(this.access.model, caller, 'context.read', resource).allowed) return;
        const createTime = await this.createTimeOf(ctx, e, event, created);
        if (closed) return;
        delivered = e.position;
        subscriber.next({ entry: toContextEntry(contextVersionOf(e, event), createTime) });
        await whenWritable(call);
      };

      const run = async (): Promise<void> => {
        const after = requestedAfter > 0 ? requestedAfter : await this.store.headPosition();
        if (closed) return;
        const onError = (err: unknown) => subscriber.error(streamFailure(err));
        subscription = this.store.subscribe(
          { after, filter: { tenantId, category: CONTEXT_CATEGORY }, onError, queueLimit: WATCH_QUEUE_LIMIT },
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

  /**
   * The entry's create_time: this event's time at version 1; otherwise its
   * version 1's, asked of resources once per entry (version 1 is always a
   * put, and reading the entry's whole stream for its first event could mean
   * thousands of values).
   */
  private async createTimeOf(
    ctx: RequestContext,
    e: RecordedEvent,
    event: ContextEvent,
    created: Map<string, string>,
  ): Promise<string> {
    if (event.data.version === 1) created.set(e.streamId, e.time);
    const known = created.get(e.streamId);
    if (known !== undefined) return known;
    const { scope, key } = event.data;
    const first = await this.resources.request(ResourcesSubjects.getContext, ctx, {
      scope,
      key,
      version: 1,
      minPosition: e.position,
    });
    const time = first.createTime ? fromTimestamp(first.createTime).toISOString() : e.time;
    created.set(e.streamId, time);
    return time;
  }
}

/** A context change, or undefined for an event this version cannot read (a newer type, bad data): not shown. */
function parse(e: RecordedEvent): ContextEvent | undefined {
  try {
    return parseContextEvent(e.type, e.data);
  } catch {
    return undefined;
  }
}
