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
import type { RunLeases } from './run.leases';
import { decide, RUNNING_STATUSES } from './task.decider';
import { taskStream } from './task.streams';

export interface RunClaimsDeps {
  model: RoutingModel;
  pipeline: CommandPipeline;
  leases: RunLeases;
  /** AOS_AGENT_MAX_CONCURRENCY: an agent's limit unless its `aos.max_concurrent_tasks` label says otherwise. */
  defaultConcurrency: number;
  now: () => number;
}

/**
 * The run-claim protocol (run-protocol.ts): a runner claims the next attempt
 * of an ASSIGNED task (the claim is the TaskStarted append, so of two runners
 * only one wins), renews its leases, and releases an attempt it stops early.
 */
export class RunClaims {
  /**
   * Serialises claims per agent, so two claims cannot both find the agent
   * below its concurrency limit. In memory: routing runs as one replica.
   */
  private readonly agentClaims = new KeyedMutex();

  constructor(private readonly deps: RunClaimsDeps) {}

  /** Refused while the agent is not ACTIVE or already runs as many tasks as it may. */
  claim(ctx: RequestContext, body: ClaimRunBody): Promise<ClaimRunReply> {
    const { model, pipeline } = this.deps;
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
      await this.agentClaims.run(`${ctx.tenantId}\u0000${agentId}`, async () => {
        // The limit is counted by the model: it must include every claim already appended,
        // also one whose read-your-writes wait timed out.
        await pipeline.catchUp();
        await tx.commit({
          ...taskStream(model, ctx, body.taskId),
          decide: (state) => {
            if (state.status !== 'NONE' && state.assignedAgentId !== agentId) {
              throw new FailedPreconditionError(`task ${body.taskId} was reassigned meanwhile; ask again`);
            }
            const agent = model.agents.get(ctx.tenantId, agentId);
            return decide(
              {
                type: 'StartRun',
                taskId: body.taskId,
                attempt: body.attempt,
                runner: body.runner,
                agent: {
                  status: agent?.status ?? 'NONE',
                  running: model.loadOf(ctx.tenantId, agentId).running,
                  limit: agent ? concurrencyLimitOf(agent, this.deps.defaultConcurrency) : this.deps.defaultConcurrency,
                },
              },
              state,
            );
          },
        });
      });
      this.deps.leases.grant(runIdOf(body.taskId, body.attempt), this.deps.now());
    });
  }

  /** Extends the runner's leases; lists the run ids it no longer holds. Runs are found by id, whatever ctx's tenant. */
  renew(body: RenewLeasesBody): RenewLeasesReply {
    this.deps.pipeline.requireFollowing();
    const { model, leases } = this.deps;
    const now = this.deps.now();
    const lost: string[] = [];
    for (const runId of body.runIds) {
      const owner = model.tasks.runOwner(runId);
      const record = owner && model.task(owner.tenantId, owner.taskId);
      const holds =
        record !== undefined &&
        record.task.runId === runId &&
        record.task.runner === body.runner &&
        RUNNING_STATUSES.includes(record.task.status);
      if (holds) leases.grant(runId, now);
      else lost.push(runId);
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
    this.deps.leases.drop(body.runId);
    return reply;
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
