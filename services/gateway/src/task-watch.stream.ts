import { Inject, Injectable } from '@nestjs/common';
import { Observable } from 'rxjs';
import {
  isStepOfTask,
  parseTaskEvent,
  runIdOf,
  RUN_CATEGORY,
  TASK_CATEGORY,
  TERMINAL_TASK_EVENTS,
  toTaskStep,
  type TaskEvent,
  type TaskStep,
  type WatchTaskRequest,
} from '@aos/contracts';
import { NotFoundError } from '@aos/errors';
import type { EventStore, RecordedEvent, Subscription } from '@aos/event-store';
import type { RequestContext } from '@aos/messaging';
import { validateId, validatePosition } from '@aos/request-fields';
import { EVENT_STORE } from './gateway.tokens';
import { streamFailure } from './stream-failure';
import { whenWritable, type OutboundCall } from './outbound-flow';

/**
 * TaskService.WatchTask: the task's steps — the events of its own stream and
 * of its runs' streams (`run-<taskId>-<attempt>`) — read from the log directly
 * (read-only): catch-up from the task's first event (or after
 * `after_position`), then live, ending after the step that finishes the task.
 * The catch-up reads the task's own stream and its attempts' run streams, not
 * the tenant's log since the task began (which, for a task that ran long in a
 * busy tenant, is most of the log); the live part follows the tenant's events
 * from the head the catch-up stopped at, so nothing is missed or sent twice.
 * The steps are made by the same toTaskStep as GetTask's.
 */
@Injectable()
export class TaskWatchStream {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  open(ctx: RequestContext, request: WatchTaskRequest, call?: OutboundCall): Observable<TaskStep> {
    const requestedAfter = validatePosition('after_position', request.afterPosition);
    const taskId = validateId('id', request.id);
    const { tenantId } = ctx;

    return new Observable<TaskStep>((subscriber) => {
      let closed = false;
      let subscription: Subscription | undefined;
      const deliver = async (e: RecordedEvent): Promise<void> => {
        // The filter already scopes to the tenant; this check makes a store bug
        // fail closed instead of showing one tenant another's task.
        if (closed || e.metadata.tenantId !== tenantId || !isStepOfTask(e, taskId)) return;
        subscriber.next(toTaskStep(e));
        if (e.category === TASK_CATEGORY && TERMINAL_TASK_EVENTS.includes(e.type)) {
          closed = true;
          subscriber.complete();
          return;
        }
        await whenWritable(call);
      };

      const run = async (): Promise<void> => {
        // Taken first: what the reads below see beyond it comes again live, and is skipped here.
        const head = await this.store.headPosition();
        // The tenant is part of the stream's name: another tenant's task is simply not there.
        const own = await this.store.readStream({ tenantId, category: TASK_CATEGORY, id: taskId });
        if (own.length === 0) throw new NotFoundError('task', taskId);
        const last = own.at(-1)!;
        // Finished before the position the caller has seen: nothing more will come.
        if (TERMINAL_TASK_EVENTS.includes(last.type) && last.position <= requestedAfter) {
          subscriber.complete();
          return;
        }
        if (closed) return;
        // The task stream names its attempts: each TaskStarted starts run <task>-<attempt>.
        const attempts = Math.max(0, ...own.map((e) => parseTaskEvent(e.type, e.data)).map(attemptOf));
        const runs = await Promise.all(
          Array.from({ length: attempts }, (_, i) =>
            this.store.readStream({ tenantId, category: RUN_CATEGORY, id: runIdOf(taskId, i + 1) }),
          ),
        );
        const past = [...own, ...runs.flat()]
          .filter((e) => e.position > requestedAfter && e.position <= head)
          .sort((a, b) => a.position - b.position);
        for (const e of past) {
          if (closed) return;
          await deliver(e);
        }
        if (closed) return;
        const onError = (err: unknown) => subscriber.error(streamFailure(err));
        subscription = this.store.subscribe(
          { after: Math.max(head, requestedAfter), filter: { tenantId }, onError },
          deliver,
        );
        if (closed) await subscription.close();
      };
      run().catch((err: unknown) => subscriber.error(streamFailure(err)));

      return () => {
        closed = true;
        subscription?.close().catch(() => undefined);
      };
    });
  }
}

function attemptOf(event: TaskEvent | undefined): number {
  return event?.type === 'TaskStarted' ? event.data.attempt : 0;
}
