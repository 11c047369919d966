import { randomUUID } from 'node:crypto';
import { ApprovalState, TaskState } from '@aos/contracts';
import type { AosClient } from '@aos/grpc-client';

/**
 * The demo's customers: every tick submits one question (stock and delivery
 * in turn) to the demo tenant, and keeps one refund request in flight, so
 * that exactly one approval waits for a person whenever nobody has decided
 * the last one. Tasks are ordinary SubmitTask calls, their text marked
 * "[demo]"; the router picks the agent by the required capability.
 */
export interface DemoTraffic {
  /** Tasks submitted so far. */
  readonly submitted: () => number;
  stop(): Promise<void>;
}

const ITEMS = ['widget', 'gadget', 'sprocket', 'gizmo'];
const DONE = new Set<TaskState>([TaskState.SUCCEEDED, TaskState.FAILED, TaskState.CANCELLED]);

/** The n-th question of the rotation: [text, capability]. */
function demoQuestion(n: number): [string, string] {
  const order = 1040 + n;
  return n % 2 === 0
    ? [`[demo] How many ${ITEMS[(n / 2) % ITEMS.length]}s are in stock?`, 'inventory']
    : [`[demo] Where is order #${order}?`, 'orders'];
}

export function startDemoTraffic(options: {
  client: AosClient;
  intervalMs: number;
  log: (message: string) => void;
}): DemoTraffic {
  const { client, log } = options;
  let submitted = 0;
  let refund: { id: string; logPosition: number } | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let tick: Promise<void> = Promise.resolve();

  const submit = async (text: string, capability: string) => {
    const task = await client.tasks.submitTask({
      task: { text, requiredCapabilities: [capability] },
      requestId: `demo-task/${randomUUID()}`,
    });
    submitted++;
    return task;
  };

  const refundInFlight = async (): Promise<boolean> => {
    if (refund) {
      const task = await client.tasks.getTask({ id: refund.id, minPosition: refund.logPosition });
      if (!DONE.has(task.state)) return true;
    }
    // Also one a previous run of the demo left waiting.
    const { approvals } = await client.governance.listApprovals({ state: ApprovalState.PENDING, pageSize: 1 });
    return approvals.length > 0;
  };

  const once = async () => {
    const [text, capability] = demoQuestion(submitted);
    await submit(text, capability);
    if (!(await refundInFlight())) {
      const task = await submit(`[demo] Refund order #${1040 + submitted}: it arrived damaged.`, 'refunds');
      refund = task;
      log(`demo: refund task ${task.id} submitted; it will wait for a person's approval`);
    }
  };

  const schedule = (ms: number) => {
    timer = setTimeout(() => {
      tick = once()
        .catch((err: unknown) => log(`demo: submitting a task failed: ${(err as Error).message}`))
        .finally(() => {
          if (!stopped) schedule(options.intervalMs);
        });
    }, ms);
  };
  schedule(0);

  return {
    submitted: () => submitted,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await tick;
    },
  };
}
