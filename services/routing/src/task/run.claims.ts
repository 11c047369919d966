import type { CommandPipeline, RecordedStep, RequestDone } from '@aos/command-pipeline';
import {
  runIdOf,
  type ClaimRunBody,
  type ClaimRunReply,
  type ReleaseRunBody,
  type ReleaseRunReply,
  type RenewLeasesBody,
  type RenewLeasesReply,
} from '@aos/contracts';
import { AosError, FailedPreconditionError, NotFoundError } from '@aos/errors';
import { KeyedMutex } from '@aos/keyed-mutex';
import type { RequestContext } from '@aos/messaging';
import { concurrencyLimitOf } from '../agent/agent.roster';
import type { RoutingModel } from '../routing.model';
import { liveLeases, type LeasedTask, type LeaseRuns, type RunLeases } from './run.leases';
import { decide, RUNNING_STATUSES, type StartRun } from './task.decider';
import { taskStream } from './task.streams';

export interface RunClaimsDeps {
  model: RoutingModel;
  pipeline: CommandPipeline;
  leases: RunLeases;
  /** AOS_AGENT_MAX_CONCURRENCY: an agent's limit unless its `aos.max_concurrent_tasks` label says otherwise. */
  defaultConcurrency: number;
  /** Reports a lease that could not be given back after a claim failed (it runs out by itself). */
  onError?: (message: string, err: unknown) => void;
}

/**
 * The run-claim protocol (run-protocol.ts): a runner claims the next attempt
 * of an ASSIGNED task (the claim is the TaskStarted append, so of two runners
 * only one wins), renews its leases, and releases an attempt it stops early.
 * Any number of routing instances serve it: an attempt's lease and the
 * agent's concurrency slots are one KV register per agent (RunLeases), taken
 * with compare-and-set before the TaskStarted append.
 */
export class RunClaims {
  /** Serialises this instance's claims per agent (fewer compare-and-set rounds lost to itself). */
  private readonly agentClaims = new KeyedMutex();

  constructor(private readonly deps: RunClaimsDeps) {}

  /** Refused while the agent is not ACTIVE or already runs as many tasks as it may. */
  claim(ctx: RequestContext, body: ClaimRunBody): Promise<ClaimRunReply> {
    const { model, pipeline, leases } = this.deps;
    const request = {
      requestId: body.requestId,
      replays: ['TaskStarted'],
      sameTarget: (steps: readonly RecordedStep[]) => steps.every((s) => s.streamId === body.taskId),
      reply: (done: RequestDone) => this.claimReply(done),
    };
    return pipeline.handleRequest(ctx, request, async (tx) => {
      const initial = await pipeline.find(() => model.task(ctx.tenantId, body.taskId), true);
      if (!initial) throw new NotFoundError('task', body.taskId);
      const agentId = initial.task.assignedAgentId;
      const runId = runIdOf(body.taskId, body.attempt);
      await this.agentClaims.run(`${ctx.tenantId}\u0000${agentId}`, async () => {
        // The limit is counted against the caught-up model: every claim appended so far, also
        // one whose read-your-writes wait timed out; claims still being made count by their lease.
        await pipeline.catchUp();
        const start = (running: number): StartRun => {
          const agent = model.agents.get(ctx.tenantId, agentId);
          return {
            type: 'StartRun',
            taskId: body.taskId,
            attempt: body.attempt,
            runner: body.runner,
            agent: {
              status: agent?.status ?? 'NONE',
              running,
              limit: agent ? concurrencyLimitOf(agent, this.deps.defaultConcurrency) : this.deps.defaultConcurrency,
            },
          };
        };
        let running = 0;
        // The slot first: one compare-and-set on the agent's leases, refused by the decider as the append would be.
        await leases.update(ctx.tenantId, agentId, (runs) => {
          // A lease of this very attempt is a claim of it that failed before: it is replaced.
          delete runs[runId];
          const { live, starting } = this.live(ctx.tenantId, runs);
          running = model.loadOf(ctx.tenantId, agentId).running + starting;
          const record = model.task(ctx.tenantId, body.taskId);
          if (record) decide(start(running), record.task);
          live[runId] = leases.fresh({ taskId: body.taskId, attempt: body.attempt, runner: body.runner });
          return live;
        });
        try {
          await tx.commit({
            ...taskStream(model, ctx, body.taskId),
            decide: (state) => {
              if (state.status !== 'NONE' && state.assignedAgentId !== agentId) {
                throw new FailedPreconditionError(`task ${body.taskId} was reassigned meanwhile; ask again`);
              }
              return decide(start(running), state);
            },
          });
        } catch (err) {
          // The slot goes back; should that fail too, the lease runs out by itself (it is never renewed).
          await this.dropLease(ctx.tenantId, agentId, runId);
          throw err;
        }
      });
    });
  }

  /**
   * Extends the runner's leases; lists the run ids it no longer holds. Runs
   * are found by id, whatever ctx's tenant. A run this instance does not see
   * held is judged again once the model has caught up with the log (the claim
   * may have been made through another instance a moment ago).
   */
  async renew(body: RenewLeasesBody): Promise<RenewLeasesReply> {
    const { model, pipeline, leases } = this.deps;
    pipeline.requireFollowing();
    const held = new Map<
      string,
      { tenantId: string; agentId: string; runs: Map<string, LeasedTask & { taskId: string }> }
    >();
    const judge = (runIds: readonly string[]): string[] =>
      runIds.filter((runId) => {
        const owner = model.tasks.runOwner(runId);
        const record = owner && model.task(owner.tenantId, owner.taskId);
        if (
          !record ||
          record.task.runId !== runId ||
          record.task.runner !== body.runner ||
          !RUNNING_STATUSES.includes(record.task.status)
        ) {
          return true;
        }
        const key = `${record.tenantId}\u0000${record.task.assignedAgentId}`;
        const group = held.get(key) ?? {
          tenantId: record.tenantId,
          agentId: record.task.assignedAgentId,
          runs: new Map(),
        };
        group.runs.set(runId, { taskId: record.task.taskId, runId, attempt: record.task.attempt, running: true });
        held.set(key, group);
        return false;
      });
    let lost = judge(body.runIds);
    if (lost.length > 0) {
      await pipeline.catchUp();
      lost = judge(lost);
    }
    for (const { tenantId, agentId, runs: renewed } of held.values()) {
      await leases.update(tenantId, agentId, (runs) => {
        const { live } = this.live(tenantId, runs);
        for (const [runId, task] of renewed) {
          live[runId] = leases.fresh({ taskId: task.taskId, attempt: task.attempt, runner: body.runner });
        }
        return live;
      });
    }
    return { lost, leaseMs: leases.leaseMs };
  }

  /**
   * The holder gives the attempt back (it is shutting down): abandoned now, so
   * the next attempt need not wait for the lease to run out. Only the runner
   * holding it may; a finished or already abandoned attempt is a
   * FAILED_PRECONDITION.
   */
  async release(ctx: RequestContext, body: ReleaseRunBody): Promise<ReleaseRunReply> {
    const { model } = this.deps;
    const reply = await this.deps.pipeline.handle(ctx, {
      requestId: body.requestId,
      replays: ['TaskAttemptAbandoned'],
      ...taskStream(model, ctx, body.taskId),
      decide: (state) => {
        if (state.status !== 'NONE' && state.runId === body.runId && state.runner !== body.runner) {
          throw new FailedPreconditionError(`run ${body.runId} is held by runner ${state.runner}, not ${body.runner}`);
        }
        const reason = `runner ${body.runner} released it${body.reason ? `: ${body.reason}` : ''}`;
        return decide({ type: 'AbandonAttempt', taskId: body.taskId, runId: body.runId, reason }, state);
      },
      reply: () => {
        const record = model.task(ctx.tenantId, body.taskId)!;
        return { taskId: body.taskId, state: record.task.status, logPosition: record.logPosition };
      },
    });
    const agentId = model.task(ctx.tenantId, body.taskId)?.task.assignedAgentId;
    if (agentId) await this.dropLease(ctx.tenantId, agentId, body.runId);
    return reply;
  }

  /** The agent's leases that still count, judged against the model (see liveLeases). */
  private live(tenantId: string, runs: LeaseRuns): ReturnType<typeof liveLeases> {
    const { model, leases } = this.deps;
    return liveLeases(
      runs,
      (taskId) => leasedTask(model, tenantId, taskId),
      (lease) => leases.expired(lease),
    );
  }

  private async dropLease(tenantId: string, agentId: string, runId: string): Promise<void> {
    try {
      await this.deps.leases.update(tenantId, agentId, (runs) => {
        if (!(runId in runs)) return undefined;
        delete runs[runId];
        return runs;
      });
    } catch (err) {
      this.deps.onError?.(`could not give back the lease of run ${runId} (it runs out by itself)`, err);
    }
  }

  /** The claim as recorded (TaskStarted), so a retried claim is answered as the first one was. */
  private claimReply(done: RequestDone): ClaimRunReply {
    const started = done.recorded.find((s) => s.type === 'TaskStarted');
    if (!started) throw new AosError('INTERNAL', 'a claim was recorded without its TaskStarted');
    const { taskId, runId, attempt, agentId } = started.data as {
      taskId: string;
      runId: string;
      attempt: number;
      agentId: string;
    };
    return {
      taskId,
      runId,
      attempt,
      agentId,
      previousRunId: attempt > 1 ? runIdOf(taskId, attempt - 1) : '',
      leaseMs: this.deps.leases.leaseMs,
      logPosition: done.position,
    };
  }
}

/** A task as the leases are judged against it (see liveLeases). */
export function leasedTask(model: RoutingModel, tenantId: string, taskId: string): LeasedTask | undefined {
  const record = model.task(tenantId, taskId);
  return (
    record && {
      runId: record.task.runId,
      attempt: record.task.attempt,
      running: RUNNING_STATUSES.includes(record.task.status),
    }
  );
}
