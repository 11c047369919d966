import { encodePageToken } from '@aos/request-fields';
import {
  runIdOf,
  TASK_CATEGORY,
  TASK_EVENTS_SCHEMA_VERSION,
  type ListTasksResponse,
  type RenewLeasesBody,
  type RenewLeasesReply,
  type RunTransitionReply,
  type StartRunReply,
  type Task,
  type TaskEvent,
  type TaskEventType,
} from '@aos/contracts';
import {
  AosError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  RevisionMismatchError,
} from '@aos/errors';
import {
  ConcurrencyError,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type Subscription,
} from '@aos/event-store';
import { CommandLog, type CommandLogWaits } from '@aos/command-log';
import { KeyedMutex } from '@aos/keyed-mutex';
import type { RequestContext } from '@aos/messaging';
import { concurrencyLimitOf } from '../agent/agent.roster';
import { RunLeases } from './run.leases';
import { decide, initialTaskState, RUNNING_STATUSES, type RoutingOutcome, type TaskCommand } from './task.decider';
import { eventIdFor, reactionRequestId, taskIdFor } from './task.ids';
import { toProtoTask, type TaskProjection, type TaskRecord } from './task.projection';
import { chooseAgent, eligibleAgents, leastBusyFirst, MAX_CANDIDATES, type RoutingRequest } from './task.routing';
import type { ModelRouting } from './model-router';
import {
  type AwaitApprovalMutation,
  type CancelTaskMutation,
  type FinishRunMutation,
  type ReleaseRunMutation,
  type GetTaskQuery,
  type ListTasksQuery,
  type ReassignTaskMutation,
  type ResolveApprovalMutation,
  type StartRunMutation,
  type SubmitTaskMutation,
} from './task.validation';

export interface TaskHandlerDeps {
  store: Pick<EventStore, 'append' | 'headPosition'>;
  projection: TaskProjection;
  subscription: Pick<Subscription, 'waitFor' | 'position'>;
  /** False once the subscription has stopped for good: the projection would answer from stale state. */
  isFollowing: () => boolean;
  /** AOS_RUN_LEASE_MS */
  leaseMs: number;
  /** AOS_AGENT_MAX_CONCURRENCY: an agent's limit unless its `aos.max_concurrent_tasks` label says otherwise. */
  defaultConcurrency: number;
  /** Reports a reaction that failed (it is retried at the next reconciliation). */
  onReactionError?: (message: string, err: unknown) => void;
  waits?: Partial<TaskHandlerWaits>;
  now?: () => number;
  /** The LLM router: lets a model choose among the lexical ranking's candidates (AOS_ROUTER). */
  modelRouting?: ModelRouting;
}

export type TaskHandlerWaits = CommandLogWaits;

export const DEFAULT_WAITS: TaskHandlerWaits = { readMs: 5_000, writeMs: 5_000, catchUpMs: 2_000 };
/** A ListTasks page ends early rather than reach NATS's 1 MiB message limit (AIP-158 allows short pages). */
export const MAX_LIST_REPLY_BYTES = 768 * 1024;
const PRIORITY_RANK = { HIGH: 0, NORMAL: 1, LOW: 2 } as const;

type StartedData = { taskId: string; runId: string; attempt: number; agentId: string };

/** The event a request's first event must be for a retry to be answered as a replay. */
type ReplayKind = readonly TaskEventType[];
const REPLAYS = {
  submit: ['TaskSubmitted'],
  cancel: ['TaskCancelled'],
  reassign: ['TaskReassigned'],
  start: ['TaskStarted'],
  await: ['TaskWaitingApproval'],
  resolve: ['TaskApprovalResolved'],
  finish: ['TaskSucceeded', 'TaskFailed'],
  release: ['TaskAttemptAbandoned'],
} as const satisfies Record<string, ReplayKind>;

/**
 * TaskService's commands and queries and the internal run protocol, decided
 * against the in-memory projection; plus routing's own reactions: routing
 * queued tasks when an agent becomes available, routing again the tasks of a
 * retired agent, abandoning attempts whose lease ran out. Every change is
 * appended with the stream's expected revision, so a racing writer makes it
 * retry against the newer state instead of overwriting it.
 */
export class TaskHandler {
  /** Serialises the requests that share a request_id, so a quick retry waits for the first attempt's reply. */
  private readonly requests = new KeyedMutex();
  /** Serialises the changes of one task within this instance (the expected revision guards across instances). */
  private readonly tasks = new KeyedMutex();
  /**
   * Serialises starts per agent, so two starts cannot both find the agent
   * below its concurrency limit. In memory: routing runs as one replica.
   */
  private readonly agentStarts = new KeyedMutex();
  private readonly leases: RunLeases;
  private readonly log: CommandLog;
  private readonly now: () => number;

  constructor(private readonly deps: TaskHandlerDeps) {
    this.now = deps.now ?? Date.now;
    this.leases = new RunLeases(deps.leaseMs);
    this.log = new CommandLog({
      store: deps.store,
      followers: [deps.subscription],
      isFollowing: deps.isFollowing,
      model: 'task',
      schemaVersion: TASK_EVENTS_SCHEMA_VERSION,
      eventIdFor,
      waits: { ...DEFAULT_WAITS, ...deps.waits },
    });
  }

  // ---- TaskService ----

  async submit(ctx: RequestContext, m: SubmitTaskMutation): Promise<Task> {
    this.log.requireFollowing();
    return this.requests.run(requestKey(ctx, m.requestId), async () => {
      const taskId = taskIdFor(ctx.tenantId, m.requestId);
      if (this.replay(ctx, m.requestId, REPLAYS.submit, taskId)) return this.reply(ctx.tenantId, taskId);
      if (m.requestedAgentId) {
        const agent = this.deps.projection.agents.get(ctx.tenantId, m.requestedAgentId);
        if (!agent) throw new NotFoundError('agent', m.requestedAgentId);
        if (agent.status !== 'ACTIVE' && agent.status !== 'PAUSED') {
          throw new FailedPreconditionError(
            `agent ${m.requestedAgentId} is ${agent.status}: a task may name only an ACTIVE or PAUSED agent`,
          );
        }
      }
      return this.tasks.run(taskKey(ctx.tenantId, taskId), async () => {
        const routing = await this.route(ctx.tenantId, { ...m, cause: 'submitted' });
        const command: TaskCommand = {
          type: 'SubmitTask',
          taskId,
          text: m.text,
          requiredCapabilities: m.requiredCapabilities,
          requestedAgentId: m.requestedAgentId,
          priority: m.priority,
          submittedBy: ctx.actor.id,
          routing,
        };
        const events = decide(command, initialTaskState);
        try {
          const result = await this.append(ctx, m.requestId, taskId, events, 'no_stream');
          await this.log.written(result.position);
        } catch (err) {
          if (!(err instanceof ConcurrencyError)) throw err;
          // The stream exists: another instance handled this very request. Answer as it did.
          await this.log.catchUp();
          if (!this.replay(ctx, m.requestId, REPLAYS.submit, taskId)) throw err;
        }
        return this.reply(ctx.tenantId, taskId);
      });
    });
  }

  async get(ctx: RequestContext, query: GetTaskQuery): Promise<Task> {
    this.log.requireFollowing();
    await this.log.reach(query.minPosition);
    return toProtoTask(await this.requireTask(ctx.tenantId, query.taskId, false), true);
  }

  async list(ctx: RequestContext, query: ListTasksQuery): Promise<ListTasksResponse> {
    this.log.requireFollowing();
    await this.log.reach(query.minPosition);
    const tasks: Task[] = [];
    let totalSize = 0;
    let bytes = 0;
    let last: TaskRecord | undefined;
    let more = false;
    for (const record of this.deps.projection.tasksOf(ctx.tenantId)) {
      const { task } = record;
      if (query.filter.state !== undefined && task.status !== query.filter.state) continue;
      if (query.filter.agentId !== undefined && (task.status === 'QUEUED' || task.agentId !== query.filter.agentId)) {
        continue;
      }
      totalSize += 1;
      if (query.beforePosition !== undefined && record.createPosition >= query.beforePosition) continue;
      if (more) continue;
      const proto = toProtoTask(record, false);
      const size = Buffer.byteLength(JSON.stringify(proto), 'utf8');
      if (tasks.length >= query.pageSize || (tasks.length > 0 && bytes + size > MAX_LIST_REPLY_BYTES)) {
        more = true;
        continue;
      }
      tasks.push(proto);
      bytes += size;
      last = record;
    }
    return {
      tasks,
      nextPageToken: more && last ? encodePageToken('ListTasks', last.createPosition, query.filterText) : '',
      totalSize,
    };
  }

  async cancel(ctx: RequestContext, m: CancelTaskMutation): Promise<Task> {
    const record = await this.change(ctx, m.requestId, m.taskId, m.expectedRevision, REPLAYS.cancel, () => ({
      type: 'CancelTask',
      taskId: m.taskId,
      reason: m.reason,
      cancelledBy: ctx.actor.id,
    }));
    return toProtoTask(record, false);
  }

  async reassign(ctx: RequestContext, m: ReassignTaskMutation): Promise<Task> {
    const record = await this.change(ctx, m.requestId, m.taskId, m.expectedRevision, REPLAYS.reassign, (current) => {
      const agent = this.deps.projection.agents.get(ctx.tenantId, m.agentId);
      if (!agent) throw new NotFoundError('agent', m.agentId);
      if (agent.status !== 'ACTIVE' && agent.status !== 'PAUSED') {
        throw new FailedPreconditionError(`cannot reassign to agent ${m.agentId} in state ${agent.status}`);
      }
      const load = this.deps.projection.loadOf(ctx.tenantId, agent.agentId);
      const from = current.task.status === 'ASSIGNED' ? current.task.agentId : '';
      const fromName = from ? (this.deps.projection.agents.get(ctx.tenantId, from)?.name ?? from) : 'the queue';
      return {
        type: 'ReassignTask',
        taskId: m.taskId,
        toAgentId: agent.agentId,
        reason: m.reason,
        reassignedBy: ctx.actor.id,
        decision: {
          router: 'person',
          chosenAgentId: agent.agentId,
          candidates: [
            {
              agentId: agent.agentId,
              agentName: agent.name,
              score: 1,
              lexicalScore: 0,
              loadPenalty: 0,
              queueLength: load.queued,
            },
          ],
          rationale: `${ctx.actor.id} moved the task from ${fromName} to ${agent.name}${m.reason ? `: ${m.reason}` : ''}; the router learns from this correction`,
        },
      };
    });
    return toProtoTask(record, false);
  }

  // ---- The internal run protocol (run-protocol.ts) ----

  /**
   * Claims the next attempt: the claim is the TaskStarted append with the
   * stream's expected revision, so of two runners only one wins. Refused while
   * the agent is not ACTIVE or already runs as many tasks as it may.
   */
  async startRun(ctx: RequestContext, m: StartRunMutation): Promise<StartRunReply> {
    this.log.requireFollowing();
    return this.requests.run(requestKey(ctx, m.request_id), async () => {
      const replayed = this.replay(ctx, m.request_id, REPLAYS.start, m.taskId);
      if (replayed) return this.startReply(replayed.data as StartedData, replayed.position);
      const initial = await this.requireTask(ctx.tenantId, m.taskId, true);
      const agentId = initial.task.agentId;
      const record = await this.agentStarts.run(taskKey(ctx.tenantId, agentId), async () => {
        // The limit is checked against the projection's count of running attempts: it must
        // include every start already appended, also one whose read-your-writes wait timed out.
        await this.log.catchUp();
        return this.changeLocked(ctx, m.request_id, m.taskId, undefined, (current) => {
          if (current.task.agentId !== agentId) {
            throw new FailedPreconditionError(`task ${m.taskId} was reassigned meanwhile; ask again`);
          }
          const agent = this.deps.projection.agents.get(ctx.tenantId, agentId);
          return {
            type: 'StartRun',
            taskId: m.taskId,
            attempt: m.attempt,
            runner: m.runner,
            agent: {
              status: agent?.status ?? 'NONE',
              running: this.deps.projection.loadOf(ctx.tenantId, agentId).running,
              limit: agent ? concurrencyLimitOf(agent, this.deps.defaultConcurrency) : this.deps.defaultConcurrency,
            },
          };
        });
      });
      const runId = runIdOf(m.taskId, m.attempt);
      this.leases.grant(runId, this.now());
      return {
        taskId: m.taskId,
        runId,
        attempt: m.attempt,
        agentId: record.task.agentId,
        previousRunId: m.attempt > 1 ? runIdOf(m.taskId, m.attempt - 1) : '',
        leaseMs: this.deps.leaseMs,
        logPosition: record.logPosition,
      };
    });
  }

  /** Extends the runner's leases; lists the run ids it no longer holds. Runs are found by id, whatever ctx's tenant. */
  renewLeases(body: RenewLeasesBody): RenewLeasesReply {
    this.log.requireFollowing();
    const now = this.now();
    const lost: string[] = [];
    for (const runId of body.runIds) {
      const owner = this.deps.projection.runOwner(runId);
      const record = owner && this.deps.projection.task(owner.tenantId, owner.taskId);
      const holds =
        record !== undefined &&
        record.task.runId === runId &&
        record.task.runner === body.runner &&
        RUNNING_STATUSES.includes(record.task.status);
      if (holds) this.leases.grant(runId, now);
      else lost.push(runId);
    }
    return { lost, leaseMs: this.deps.leaseMs };
  }

  async awaitApproval(ctx: RequestContext, m: AwaitApprovalMutation): Promise<RunTransitionReply> {
    const record = await this.change(ctx, m.request_id, m.taskId, undefined, REPLAYS.await, () => ({
      type: 'AwaitApproval',
      taskId: m.taskId,
      runId: m.runId,
      approvalId: m.approvalId,
      toolId: m.toolId,
    }));
    return transitionReply(record);
  }

  async resolveApproval(ctx: RequestContext, m: ResolveApprovalMutation): Promise<RunTransitionReply> {
    const record = await this.change(ctx, m.request_id, m.taskId, undefined, REPLAYS.resolve, () => ({
      type: 'ResolveApproval',
      taskId: m.taskId,
      runId: m.runId,
      approvalId: m.approvalId,
      approved: m.approved,
    }));
    return transitionReply(record);
  }

  async finishRun(ctx: RequestContext, m: FinishRunMutation): Promise<RunTransitionReply> {
    const record = await this.change(ctx, m.request_id, m.taskId, undefined, REPLAYS.finish, () => ({
      type: 'FinishRun',
      taskId: m.taskId,
      runId: m.runId,
      outcome: m.outcome,
      result: m.result,
      reason: m.reason,
      code: m.code,
    }));
    this.leases.drop(m.runId);
    return transitionReply(record);
  }

  /**
   * The holder gives the attempt back (it is shutting down): abandoned now, so
   * the next attempt need not wait for the lease to run out. Only the runner
   * holding it may; a finished or already abandoned attempt is a
   * FAILED_PRECONDITION, as for the other run commands.
   */
  async releaseRun(ctx: RequestContext, m: ReleaseRunMutation): Promise<RunTransitionReply> {
    const record = await this.change(ctx, m.request_id, m.taskId, undefined, REPLAYS.release, (current) => {
      if (current.task.runId === m.runId && current.task.runner !== m.runner)
        throw new FailedPreconditionError(`run ${m.runId} is held by runner ${current.task.runner}, not ${m.runner}`);
      return {
        type: 'AbandonAttempt',
        taskId: m.taskId,
        runId: m.runId,
        reason: `runner ${m.runner} released it${m.reason ? `: ${m.reason}` : ''}`,
      };
    });
    this.leases.drop(m.runId);
    return transitionReply(record);
  }

  // ---- Routing's own reactions ----

  /**
   * Brings the tenant's tasks in line with its agents: every QUEUED task is
   * routed again (cause agent-available), every ASSIGNED task whose agent is
   * RETIRED or unknown is routed again without it (cause agent-retired). It
   * decides against the current state only, so running it twice, or again
   * after a restart, changes nothing more.
   */
  async reconcileTenant(tenantId: string): Promise<void> {
    if (!this.deps.isFollowing()) return;
    const pending = [...this.deps.projection.unstartedTasksOf(tenantId)]
      .filter((r) => this.needsRouting(r) !== undefined)
      .sort(
        (a, b) =>
          PRIORITY_RANK[a.task.priority] - PRIORITY_RANK[b.task.priority] || a.createPosition - b.createPosition,
      );
    for (const candidate of pending) {
      const taskId = candidate.task.taskId;
      try {
        await this.tasks.run(taskKey(tenantId, taskId), async () => {
          const record = this.deps.projection.task(tenantId, taskId)!;
          const cause = this.needsRouting(record);
          if (cause === undefined) return;
          const routing = await this.route(tenantId, {
            text: record.task.text,
            requiredCapabilities: record.task.requiredCapabilities,
            requestedAgentId: record.task.requestedAgentId,
            cause,
            ...(cause === 'agent-retired' ? { excludeAgentId: record.task.agentId } : {}),
          });
          const events = decide({ type: 'RouteTask', taskId, routing }, record.task);
          if (events.length === 0) return;
          const requestId = reactionRequestId('route', taskId, record.revision);
          const result = await this.append(systemCtx(tenantId, requestId), requestId, taskId, events, record.revision);
          await this.log.written(result.position);
        });
      } catch (err) {
        // A lost race or a slow log: the next reconciliation decides again against the newer state.
        this.deps.onReactionError?.(`could not route task ${taskId} again`, err);
      }
    }
  }

  /**
   * Keeps the leases in line with the running attempts: an attempt without a
   * lease (after a restart, or started elsewhere) gets a fresh one; one whose
   * lease ran out is abandoned (TaskAttemptAbandoned: ASSIGNED again, so the
   * next attempt may start); leases of attempts that ended are dropped.
   */
  async sweepLeases(): Promise<void> {
    if (!this.deps.isFollowing()) return;
    const now = this.now();
    const running = new Set<string>();
    const expired: TaskRecord[] = [];
    for (const record of this.deps.projection.runningTasks()) {
      const { runId } = record.task;
      running.add(runId);
      const lease = this.leases.get(runId);
      if (!lease) this.leases.grant(runId, now);
      else if (lease.expiresAt <= now) expired.push(record);
    }
    this.leases.retainOnly(running);
    for (const stale of expired) {
      const { tenantId } = stale;
      const { taskId, runId } = stale.task;
      try {
        await this.tasks.run(taskKey(tenantId, taskId), async () => {
          const record = this.deps.projection.task(tenantId, taskId)!;
          const lease = this.leases.get(runId);
          if (record.task.runId !== runId || !RUNNING_STATUSES.includes(record.task.status)) return;
          if (lease && lease.expiresAt > this.now()) return;
          const events = decide(
            {
              type: 'AbandonAttempt',
              taskId,
              runId,
              reason: `runner ${record.task.runner} did not renew its lease within ${this.deps.leaseMs} ms`,
            },
            record.task,
          );
          const requestId = reactionRequestId('abandon', taskId, record.revision);
          const result = await this.append(systemCtx(tenantId, requestId), requestId, taskId, events, record.revision);
          this.leases.drop(runId);
          await this.log.written(result.position);
        });
      } catch (err) {
        this.deps.onReactionError?.(`could not abandon run ${runId}`, err);
      }
    }
  }

  /** Why the task must be routed again, or undefined when it need not. */
  private needsRouting(record: TaskRecord): 'agent-available' | 'agent-retired' | undefined {
    const { task } = record;
    if (task.status === 'QUEUED') return 'agent-available';
    if (task.status !== 'ASSIGNED') return undefined;
    const agent = this.deps.projection.agents.get(record.tenantId, task.agentId);
    return !agent || agent.status === 'RETIRED' ? 'agent-retired' : undefined;
  }

  // ---- Shared machinery ----

  /** The lexical choice, refined by the model when the LLM router is on. */
  private async route(tenantId: string, request: RoutingRequest): Promise<RoutingOutcome> {
    const eligible = eligibleAgents(this.deps.projection, tenantId, request);
    const outcome = chooseAgent(this.deps.projection, tenantId, request, eligible);
    if (!this.deps.modelRouting) return outcome;
    // The model may also pick an eligible agent no word of the task matched: that is what it is for.
    const ranked = new Set(outcome.decision.candidates.map((c) => c.agentId));
    const others = leastBusyFirst(
      this.deps.projection,
      tenantId,
      eligible.filter((a) => !ranked.has(a.agentId)),
    ).slice(0, Math.max(0, MAX_CANDIDATES - ranked.size));
    return this.deps.modelRouting.refine(
      outcome,
      request.text,
      (agentId) => this.deps.projection.agents.get(tenantId, agentId),
      others,
    );
  }

  /** Decides a command against the task and appends its events; a retried request_id answers as the first time. */
  private async change(
    ctx: RequestContext,
    requestId: string,
    taskId: string,
    expectedRevision: number | undefined,
    replays: ReplayKind,
    build: (record: TaskRecord) => TaskCommand,
  ): Promise<TaskRecord> {
    this.log.requireFollowing();
    return this.requests.run(requestKey(ctx, requestId), async () => {
      if (this.replay(ctx, requestId, replays, taskId)) return (await this.requireTask(ctx.tenantId, taskId, false))!;
      return this.changeLocked(ctx, requestId, taskId, expectedRevision, build);
    });
  }

  private async changeLocked(
    ctx: RequestContext,
    requestId: string,
    taskId: string,
    expectedRevision: number | undefined,
    build: (record: TaskRecord) => TaskCommand,
  ): Promise<TaskRecord> {
    return this.tasks.run(taskKey(ctx.tenantId, taskId), () =>
      this.log.decideUntilAppended(
        `task ${taskId}`,
        expectedRevision,
        () => this.deps.projection.task(ctx.tenantId, taskId)?.revision ?? -1,
        async () => {
          const record = await this.requireTask(ctx.tenantId, taskId, true);
          if (expectedRevision !== undefined && expectedRevision !== record.revision) {
            throw new RevisionMismatchError(expectedRevision, record.revision);
          }
          const events = decide(build(record), record.task);
          if (events.length === 0) return record;
          const result = await this.append(ctx, requestId, taskId, events, record.revision);
          await this.log.written(result.position);
          return this.deps.projection.task(ctx.tenantId, taskId)!;
        },
      ),
    );
  }

  /** What this request_id caused already, if anything; refuses one reused for a different request. */
  private replay(ctx: RequestContext, requestId: string, replays: ReplayKind, taskId: string) {
    const reply = this.deps.projection.reply(ctx.tenantId, requestId);
    if (!reply) return undefined;
    if (!replays.includes(reply.eventType) || reply.taskId !== taskId) {
      throw new InvalidArgumentError('request_id', 'was already used for a different request');
    }
    return reply;
  }

  private startReply(data: StartedData, position: number): StartRunReply {
    return {
      taskId: data.taskId,
      runId: data.runId,
      attempt: data.attempt,
      agentId: data.agentId,
      previousRunId: data.attempt > 1 ? runIdOf(data.taskId, data.attempt - 1) : '',
      leaseMs: this.deps.leaseMs,
      logPosition: position,
    };
  }

  private reply(tenantId: string, taskId: string): Task {
    const record = this.deps.projection.task(tenantId, taskId);
    if (!record) throw new AosError('INTERNAL', `task ${taskId} was recorded but is not in the read model`);
    return toProtoTask(record, false);
  }

  /** The tenant's task; with `catchUp`, an unknown id first waits for the projection to reach the head. */
  private async requireTask(tenantId: string, taskId: string, catchUp: boolean): Promise<TaskRecord> {
    const record = await this.log.find(() => this.deps.projection.task(tenantId, taskId), catchUp);
    if (!record) throw new NotFoundError('task', taskId);
    return record;
  }

  private append(
    ctx: RequestContext,
    requestId: string,
    taskId: string,
    events: TaskEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult> {
    return this.log.append(
      ctx,
      requestId,
      { tenantId: ctx.tenantId, category: TASK_CATEGORY, id: taskId },
      events,
      expectedRevision,
    );
  }
}

function transitionReply(record: TaskRecord): RunTransitionReply {
  return { taskId: record.task.taskId, state: record.task.status, logPosition: record.logPosition };
}

function requestKey(ctx: RequestContext, requestId: string): string {
  return `${ctx.tenantId}\u0000${requestId}`;
}

function taskKey(tenantId: string, id: string): string {
  return `${tenantId}\u0000${id}`;
}

function systemCtx(tenantId: string, correlationId: string): RequestContext {
  return { tenantId, actor: { kind: 'system', id: 'routing' }, correlationId };
}
