import {
  evolveTask,
  initialTaskState,
  isStepOfTask,
  isTerminal,
  parseRunEvent,
  parseTaskEvent,
  TASK_CATEGORY,
  type TaskAggregateState,
} from '@aos/contracts';
import type { EventStore, RecordedEvent } from '@aos/event-store';
import { firstEvent, type FirstEventOptions } from './first-event';

/**
 * The event that ended a task — its run's RunSucceeded or RunFailed, or a
 * TaskCancelled — found by folding the task's own events and its runs' with
 * the one task fold (evolveTask), as every service does; waits for it.
 */
export function taskEnd(
  store: Pick<EventStore, 'subscribe'>,
  taskId: string,
  options: FirstEventOptions = {},
): Promise<RecordedEvent> {
  let state: TaskAggregateState = initialTaskState;
  const ofTask = (e: RecordedEvent) => isStepOfTask(e, taskId);
  return firstEvent(
    store,
    (e) => {
      if (!ofTask(e)) return false;
      const event = e.category === TASK_CATEGORY ? parseTaskEvent(e.type, e.data) : parseRunEvent(e.type, e.data);
      if (!event) return false;
      state = evolveTask(state, event);
      return state.status !== 'NONE' && isTerminal(state.status);
    },
    { related: ofTask, ...options },
  );
}
