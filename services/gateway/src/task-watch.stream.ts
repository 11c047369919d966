import { Inject, Injectable } from '@nestjs/common';
import { Observable } from 'rxjs';
import {
  evolveTask,
  initialTaskState,
  isStepOfTask,
  isTerminal,
  parseRunEvent,
  parseTaskEvent,
  runIdOf,
  RUN_CATEGORY,
  TASK_CATEGORY,
  toTaskStep,
  type TaskAggregateState,
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
import { WATCH_QUEUE_LIMIT } from './watch-queue';

/**
 * TaskService.WatchTask: the task's steps — the events of its own stream and
 * of its runs' streams (`run-<taskId>-<attempt>`) — read from the log directly
 * (read-only): catch-up from the task's first event (or after
 * `after_position`), then live, ending after the step that finishes the task
 * — the step after which the task fold (evolveTask) says it is terminal: a
 * run's RunSucceeded or RunFailed, or a TaskCancelled.
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
      // The task as its steps so far make it: the stream ends at the step that ends it.
      let state: TaskAggregateState = initialTaskState;
      const deliver = async (e: RecordedEvent): Promise<void> => {
        // The filter already scopes to the tenant; this check makes a store bug
        // fail closed instead of showing one tenant another's task.
        if (closed || e.metadata.tenantId !== tenantId || !isStepOfTask(e, taskId)) return;
        state = fold(state, e);
        subscriber.next(toTaskStep(e));
        if (state.status !== 'NONE' && isTerminal(state.status)) {
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
        if (closed) return;
        // The task stream names its attempts: each TaskStarted starts run <task>-<attempt>.
        const attempts = Math.max(0, ...own.map((e) => parseTaskEvent(e.type, e.data)).map(attemptOf));
        const runs = await Promise.all(
          Array.from({ length: attempts }, (_, i) =>
            this.store.readStream({ tenantId, category: RUN_CATEGORY, id: runIdOf(taskId, i + 1) }),
          ),
        );
        const history = [...own, ...runs.flat()].sort((a, b) => a.position - b.position);
        // The steps the caller has seen already are folded, not sent: finished before them, nothing more will come.
        for (const e of history) {
          if (e.position > requestedAfter) break;
          state = fold(state, e);
        }
        if (state.status !== 'NONE' && isTerminal(state.status)) {
          subscriber.complete();
          return;
        }
        const past = history.filter((e) => e.position > requestedAfter && e.position <= head);
        for (const e of past) {
          if (closed) return;
          await deliver(e);
        }
        if (closed) return;
        const onError = (err: unknown) => subscriber.error(streamFailure(err));
        subscription = this.store.subscribe(
          { after: Math.max(head, requestedAfter), filter: { tenantId }, onError, queueLimit: WATCH_QUEUE_LIMIT },
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

/** The task after one of its steps (its own events and its runs'); a step it cannot read changes nothing. */
function fold(state: TaskAggregateState, e: RecordedEvent): TaskAggregateState {
  try {
    const event = e.category === TASK_CATEGORY ? parseTaskEvent(e.type, e.data) : parseRunEvent(e.type, e.data);
    return event ? evolveTask(state, event) : state;
  } catch {
    return state;
  }
}

function attemptOf(event: TaskEvent | undefined): number {
  return event?.type === 'TaskStarted' ? event.data.attempt : 0;
}
