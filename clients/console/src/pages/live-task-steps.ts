import { useEffect, useState } from 'react';
import { Code } from '@connectrpc/connect';
import { tasks } from '../api/transport';
import { isStatus } from '../api/error-words';
import type { TaskStep } from '../gen/aos/v1/task_pb';

const RETRY_MS = 1000;

/** One step's identity: its log position (one event, one step) and type. */
export function stepKey(step: TaskStep): string {
  return `${step.position}/${step.type}`;
}

/**
 * The task's steps as WatchTask streams them: every step once, in log order.
 * A dropped stream is resumed after the last position received, so a step is
 * neither lost nor shown twice; the stream ends by itself once the task ends.
 */
export function useLiveTaskSteps(taskId: string, onStep: () => void) {
  const [steps, setSteps] = useState<TaskStep[]>([]);
  const [live, setLive] = useState(true);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const abort = new AbortController();
    const seen = new Set<string>();
    let after = 0n;
    setSteps([]);
    setLive(true);
    setError(null);
    (async () => {
      while (!abort.signal.aborted) {
        try {
          for await (const step of tasks.watchTask({ id: taskId, afterPosition: after }, { signal: abort.signal })) {
            if (step.position > after) after = step.position;
            const key = stepKey(step);
            if (seen.has(key)) continue;
            seen.add(key);
            setSteps((prev) =>
              [...prev, step].sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0)),
            );
            onStep();
          }
          setLive(false);
          return;
        } catch (e) {
          if (abort.signal.aborted) return;
          if (isStatus(e, Code.NotFound) || isStatus(e, Code.PermissionDenied) || isStatus(e, Code.Unauthenticated)) {
            setError(e);
            setLive(false);
            return;
          }
          await new Promise((r) => setTimeout(r, RETRY_MS));
        }
      }
    })();
    return () => abort.abort();
    // Not on onStep: it only refreshes the task, and restarting the stream for it would re-read every step.
  }, [taskId]);

  return { steps, live, error };
}
