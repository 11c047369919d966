import type { CommandPipeline } from '@aos/command-pipeline';
import type { RoutingModel } from '../routing.model';
import type { RunLeases } from './run.leases';
import { decide, RUNNING_STATUSES } from './task.decider';
import { reactionRequestId } from './task.ids';
import type { TaskRecord } from './task.projection';
import { systemCtx, taskStream } from './task.streams';

export interface LeaseSweepDeps {
  model: RoutingModel;
  pipeline: CommandPipeline;
  leases: RunLeases;
  now: () => number;
  /** Reports an abandonment that failed (it is tried again at the next sweep). */
  onError?: (message: string, err: unknown) => void;
}

/**
 * Keeps the leases in line with the running attempts: an attempt without a
 * lease (after a restart, or claimed through another instance) gets a fresh
 * one; one whose lease ran out is abandoned (TaskAttemptAbandoned: ASSIGNED
 * again, so the next attempt may start); leases of attempts that ended are
 * dropped. Routing runs it about five times per lease time.
 */
export class LeaseSweep {
  constructor(private readonly deps: LeaseSweepDeps) {}

  async sweep(): Promise<void> {
    const { model, pipeline, leases } = this.deps;
    if (!pipeline.isFollowingLog()) return;
    const now = this.deps.now();
    const running = new Set<string>();
    const expired: TaskRecord[] = [];
    for (const record of model.tasks.runningTasks()) {
      const { runId } = record.task;
      running.add(runId);
      const lease = leases.get(runId);
      if (!lease) leases.grant(runId, now);
      else if (lease.expiresAt <= now) expired.push(record);
    }
    leases.retainOnly(running);
    for (const record of expired) await this.abandon(record);
  }

  private async abandon(stale: TaskRecord): Promise<void> {
    const { model, pipeline, leases } = this.deps;
    const { tenantId } = stale;
    const { taskId, runId } = stale.task;
    const requestId = reactionRequestId('abandon', taskId, stale.revision);
    const ctx = systemCtx(tenantId, requestId);
    try {
      await pipeline.handle(ctx, {
        requestId,
        replays: ['TaskAttemptAbandoned'],
        ...taskStream(model, ctx, taskId),
        decide: (state) => {
          // Ended, abandoned or renewed meanwhile: nothing to do.
          if (state.status === 'NONE' || state.runId !== runId || !RUNNING_STATUSES.includes(state.status)) return [];
          const lease = leases.get(runId);
          if (lease && lease.expiresAt > this.deps.now()) return [];
          const reason = `runner ${state.runner} did not renew its lease within ${leases.leaseMs} ms`;
          return decide({ type: 'AbandonAttempt', taskId, runId, reason }, state);
        },
        reply: () => undefined,
      });
      leases.drop(runId);
    } catch (err) {
      this.deps.onError?.(`could not abandon run ${runId}`, err);
    }
  }
}
