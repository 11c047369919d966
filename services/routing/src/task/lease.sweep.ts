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
  /** Reports what failed (it is tried again at the next sweep). */
  onError?: (message: string, err: unknown) => void;
}

/**
 * Keeps the leases in line with the running attempts: an attempt without a
 * lease (one from before leases were kept in KV, or a register lost) gets a
 * fresh one; one whose lease ran out is abandoned (TaskAttemptAbandoned:
 * ASSIGNED again, so the next attempt may start) and its lease dropped.
 * Every routing instance sweeps, about five times per lease time: two that
 * abandon the same attempt write the same events (the request id derives from
 * the task's revision), which the log keeps once.
 */
export class LeaseSweep {
  constructor(private readonly deps: LeaseSweepDeps) {}

  async sweep(): Promise<void> {
    const { model, pipeline } = this.deps;
    if (!pipeline.isFollowingLog()) return;
    const byAgent = new Map<string, TaskRecord[]>();
    for (const record of model.tasks.runningTasks()) {
      const key = `${record.tenantId}\u0000${record.task.assignedAgentId}`;
      const records = byAgent.get(key);
      if (records) records.push(record);
      else byAgent.set(key, [record]);
    }
    for (const records of byAgent.values()) await this.sweepAgent(records);
  }

  private async sweepAgent(records: TaskRecord[]): Promise<void> {
    const { leases } = this.deps;
    const { tenantId } = records[0]!;
    const agentId = records[0]!.task.assignedAgentId;
    try {
      const runs = await leases.of(tenantId, agentId);
      const missing = records.filter((r) => !runs[r.task.runId]);
      if (missing.length > 0) {
        await leases.update(tenantId, agentId, (current) => {
          const absent = missing.filter((r) => !current[r.task.runId]);
          if (absent.length === 0) return undefined;
          for (const { task } of absent) {
            current[task.runId] = leases.fresh({ taskId: task.taskId, attempt: task.attempt, runner: task.runner });
          }
          return current;
        });
      }
      for (const record of records) {
        const lease = runs[record.task.runId];
        if (lease && leases.expired(lease)) await this.abandon(record);
      }
    } catch (err) {
      this.deps.onError?.(`could not sweep the leases of agent ${agentId}`, err);
    }
  }

  private async abandon(stale: TaskRecord): Promise<void> {
    const { model, pipeline, leases } = this.deps;
    const { tenantId } = stale;
    const { taskId, runId, assignedAgentId: agentId } = stale.task;
    // Renewed since the sweep read it: nothing to do.
    const lease = (await leases.of(tenantId, agentId))[runId];
    if (lease && !leases.expired(lease)) return;
    const requestId = reactionRequestId('abandon', taskId, stale.revision);
    const ctx = systemCtx(tenantId, requestId);
    try {
      await pipeline.handle(ctx, {
        requestId,
        replays: ['TaskAttemptAbandoned'],
        ...taskStream(model, ctx, taskId),
        decide: (state) => {
          // Ended or abandoned meanwhile: nothing to do.
          if (state.status === 'NONE' || state.runId !== runId || !RUNNING_STATUSES.includes(state.status)) return [];
          const reason = `runner ${state.runner} did not renew its lease within ${leases.leaseMs} ms`;
          return decide({ type: 'AbandonAttempt', taskId, runId, reason }, state);
        },
        reply: () => undefined,
      });
      await leases.update(tenantId, agentId, (runs) => {
        if (!(runId in runs)) return undefined;
        delete runs[runId];
        return runs;
      });
    } catch (err) {
      this.deps.onError?.(`could not abandon run ${runId}`, err);
    }
  }
}
