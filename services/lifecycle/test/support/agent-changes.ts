import type { AgentChange } from '@aos/contracts';
import type { AosClient } from '@aos/grpc-client';

/** A WatchAgents call of the test, its changes collected as they arrive. */
export interface AgentChanges {
  readonly received: AgentChange[];
  /** The first change (received already or later) that matches; rejects after `timeoutMs`. */
  next(match: (change: AgentChange) => boolean, timeoutMs?: number): Promise<AgentChange>;
  close(): void;
}

/** Opens WatchAgents (from now, or after `afterPosition`) and collects what it sends. */
export function watchAgentChanges(api: AosClient, afterPosition = 0): AgentChanges {
  const stream = api.agents.watchAgents({ afterPosition });
  const received: AgentChange[] = [];
  const waiters = new Set<() => void>();
  let failure: unknown;
  void (async () => {
    try {
      for await (const change of stream) {
        received.push(change);
        for (const wake of waiters) wake();
      }
    } catch (err) {
      failure = err;
      for (const wake of waiters) wake();
    }
  })();
  return {
    received,
    close: () => stream.cancel(),
    next: (match, timeoutMs = 10_000) =>
      new Promise<AgentChange>((resolve, reject) => {
        const check = () => {
          const found = received.find(match);
          if (found) done(() => resolve(found));
          else if (failure) done(() => reject(failure as Error));
        };
        const timer = setTimeout(
          () =>
            done(() =>
              reject(
                new Error(
                  `no matching AgentChange within ${timeoutMs} ms; received: ${received
                    .map((c) => `${c.eventType}@${c.position}:${c.agent?.health?.status}`)
                    .join(', ')}`,
                ),
              ),
            ),
          timeoutMs,
        );
        const done = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      }),
  };
}
