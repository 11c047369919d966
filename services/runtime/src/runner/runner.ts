import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { AosError, describeError } from '@aos/errors';
import type { RequestContext } from '@aos/messaging';
import type { RunnableTask } from '../model/runtime.model';
import { RunnerShuttingDown, RunStopRequested, type HeldAttempt } from '../run/run-execution';
import type { RunProtocolPort } from '../run/runtime.ports';

export interface RunnerOptions {
  /** This instance's id: hostname, pid and a random part (see runnerId()). */
  runner: string;
  /** Attempts this instance runs at once. */
  concurrency: number;
  /** The tasks the runtime could start now (the model of the log). */
  runnable: () => Iterable<RunnableTask>;
  /** The correlation id of a task's submission. */
  correlationOf: (tenantId: string, taskId: string) => string;
  protocol: RunProtocolPort;
  /** Runs one held attempt to its end; must return once `signal` aborts. */
  execute: (held: HeldAttempt, signal: AbortSignal) => Promise<void>;
  log: (message: string) => void;
  /** Upper bound of the random wait before a claim, so instances do not all claim at once (default 50 ms). */
  claimJitterMs?: number;
  /** How often the runner looks for work even when the log says nothing new (default 1 s). */
  scanIntervalMs?: number;
  /** The lease assumed before routing has said (default 15 s, routing's default). */
  initialLeaseMs?: number;
  now?: () => number;
}

interface Held {
  held: HeldAttempt;
  abort: AbortController;
  /** When the request that last extended the lease was sent (the lease runs from no earlier than that). */
  renewedAt: number;
  done: Promise<void>;
}

/** `<hostname>:<pid>:<random>`: unique per process, and a reader of the log can tell which process ran an attempt. */
export function runnerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/**
 * Competing consumers of runnable tasks. Every instance sees every runnable
 * task in its model of the log and asks routing to claim its next attempt;
 * routing's TaskStarted append (the claim) lets exactly one win. The winner keeps its
 * attempts alive with renewLeases every leaseMs/3, stops those routing
 * reports lost (cancelled, abandoned, finished), and stops all of its own
 * accord once it could not renew for the lease time (self-fencing), so that
 * a runner cut off from routing stops before routing hands the task to
 * another and the same task never runs twice at once.
 */
export class Runner {
  private readonly held = new Map<string, Held>();
  /**
   * Tasks with a claim in flight (`<tenant>/<task>`), counted against the
   * concurrency. A scan must skip them: a second claim of the same attempt
   * carries the same request_id, so routing would answer it as a success too,
   * and the attempt would run twice in this process. close() waits for the claims.
   */
  private readonly claiming = new Map<string, Promise<void>>();
  /** Per task, the attempt a claim of ours failed for, and when to try it again. */
  private readonly refused = new Map<string, { attempt: number; retryAt: number }>();
  private leaseMs: number;
  private scanTimer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private scanQueued = false;
  private renewing = false;
  private closed = false;
  private closeReason = '';
  private readonly ctx: RequestContext;

  constructor(private readonly options: RunnerOptions) {
    this.leaseMs = options.initialLeaseMs ?? 15_000;
    // Each request gets the tenant of the task it is about.
    this.ctx = { tenantId: '', actor: { kind: 'service', id: 'runtime' }, correlationId: options.runner };
  }

  get runner(): string {
    return this.options.runner;
  }

  /** Run ids of the attempts this instance holds. */
  heldRunIds(): string[] {
    return [...this.held.keys()];
  }

  start(): void {
    const interval = this.options.scanIntervalMs ?? 1_000;
    this.scanTimer = setInterval(() => this.scheduleScan(), interval);
    this.scanTimer.unref();
    this.scheduleRenewal();
    this.scheduleScan();
  }

  /** Something changed in the log: look for work soon (coalesced). */
  scheduleScan(): void {
    if (this.scanQueued || this.closed) return;
    this.scanQueued = true;
    setImmediate(() => {
      this.scanQueued = false;
      this.scan();
    });
  }

  /**
   * Stops claiming, stops every held attempt (RunStopped, then given back to
   * routing) and waits for them (bounded).
   */
  async close(reason = 'the runtime instance is shutting down'): Promise<void> {
    this.closed = true;
    this.closeReason = reason;
    clearInterval(this.scanTimer);
    clearTimeout(this.renewTimer);
    for (const entry of this.held.values()) entry.abort.abort(new RunnerShuttingDown(reason));
    const deadline = new Promise((resolve) => setTimeout(resolve, 5_000).unref());
    // A claim still in flight may yet win an attempt: hold() stops it at once, and it is waited for too.
    await Promise.race([Promise.all(this.claiming.values()), deadline]);
    await Promise.race([Promise.all([...this.held.values()].map((e) => e.done)), deadline]);
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private scan(): void {
    if (this.closed || this.held.size + this.claiming.size >= this.options.concurrency) return;
    const now = this.now();
    const busyTasks = new Set([...this.held.values()].map((e) => `${e.held.tenantId}/${e.held.task.taskId}`));
    const candidates = [...this.options.runnable()];
    // Forget refusals of tasks that are no longer runnable (finished, or run by another instance).
    const runnableKeys = new Set(candidates.map((c) => `${c.tenantId}/${c.task.taskId}`));
    for (const key of this.refused.keys()) if (!runnableKeys.has(key)) this.refused.delete(key);
    // Instances look at the tasks in different orders, so that they mostly claim different ones.
    shuffle(candidates);
    for (const candidate of candidates) {
      if (this.held.size + this.claiming.size >= this.options.concurrency) return;
      const key = `${candidate.tenantId}/${candidate.task.taskId}`;
      // An attempt of ours may still be winding down after its lease was lost, or be being claimed.
      if (busyTasks.has(key) || this.claiming.has(key)) continue;
      const refused = this.refused.get(key);
      if (refused && refused.attempt === candidate.task.attempt + 1 && now < refused.retryAt) continue;
      this.claiming.set(
        key,
        this.claim(candidate, key).finally(() => {
          this.claiming.delete(key);
        }),
      );
      busyTasks.add(key);
    }
  }

  private async claim(candidate: RunnableTask, key: string): Promise<void> {
    const jitter = Math.random() * (this.options.claimJitterMs ?? 50);
    await new Promise((resolve) => setTimeout(resolve, jitter));
    if (this.closed) return;
    const { tenantId, task, agent } = candidate;
    const attempt = task.attempt + 1;
    const sentAt = this.now();
    try {
      const reply = await this.options.protocol.claimRun(
        { ...this.ctx, tenantId },
        {
          taskId: task.taskId,
          attempt,
          runner: this.runner,
          requestId: `${this.runner}/start/${task.taskId}/${attempt}`,
        },
      );
      this.refused.delete(key);
      this.setLeaseMs(reply.leaseMs);
      const held: HeldAttempt = {
        tenantId,
        task,
        agent,
        runId: reply.runId,
        attempt: reply.attempt,
        previousRunId: reply.previousRunId,
        runner: this.runner,
        correlationId: this.options.correlationOf(tenantId, task.taskId) || reply.runId,
      };
      this.hold(held, sentAt);
    } catch (err) {
      // Another runner won, the agent is busy or paused: try this attempt again a little later.
      this.refused.set(key, { attempt, retryAt: this.now() + 1_000 + Math.random() * 1_000 });
      if (!(err instanceof AosError && err.code === 'FAILED_PRECONDITION')) {
        this.options.log(`cannot start attempt ${attempt} of task ${task.taskId}: ${describeError(err)}`);
      }
    }
  }

  private hold(held: HeldAttempt, renewedAt: number): void {
    // Already running here (a repeated start is answered like the first): never a second execution.
    if (this.held.has(held.runId)) return;
    const abort = new AbortController();
    // Won by a claim that was in flight when close() began: started only to be stopped and given back.
    if (this.closed) abort.abort(new RunnerShuttingDown(this.closeReason));
    const entry: Held = { held, abort, renewedAt, done: Promise.resolve() };
    this.held.set(held.runId, entry);
    entry.done = this.options
      .execute(held, abort.signal)
      .catch((err: unknown) => this.options.log(`run ${held.runId} ended with an error: ${describeError(err)}`))
      .finally(() => {
        this.held.delete(held.runId);
        this.scheduleScan();
      });
  }

  /** A shorter lease than assumed so far renews sooner: the next renewal is rescheduled. */
  private setLeaseMs(leaseMs: number): void {
    if (!(leaseMs > 0) || leaseMs === this.leaseMs) return;
    const shorter = leaseMs < this.leaseMs;
    this.leaseMs = leaseMs;
    if (shorter && !this.renewing) {
      clearTimeout(this.renewTimer);
      this.scheduleRenewal();
    }
  }

  private scheduleRenewal(): void {
    if (this.closed) return;
    this.renewTimer = setTimeout(
      () => {
        this.fence();
        void this.renew().finally(() => this.scheduleRenewal());
      },
      Math.max(50, Math.floor(this.leaseMs / 3)),
    );
    this.renewTimer.unref();
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.held.size === 0) return;
    this.renewing = true;
    // One request per tenant: a run id means something only within its tenant.
    const byTenant = new Map<string, string[]>();
    for (const [runId, entry] of this.held) {
      const ids = byTenant.get(entry.held.tenantId) ?? [];
      ids.push(runId);
      byTenant.set(entry.held.tenantId, ids);
    }
    try {
      await Promise.all([...byTenant].map(([tenantId, runIds]) => this.renewTenant(tenantId, runIds)));
    } finally {
      this.renewing = false;
    }
    this.fence();
  }

  private async renewTenant(tenantId: string, runIds: string[]): Promise<void> {
    const sentAt = this.now();
    try {
      const reply = await this.options.protocol.renewLeases({ ...this.ctx, tenantId }, { runner: this.runner, runIds });
      this.setLeaseMs(reply.leaseMs);
      const lost = new Set(reply.lost);
      for (const runId of runIds) {
        const entry = this.held.get(runId);
        if (!entry) continue;
        if (lost.has(runId)) {
          entry.abort.abort(
            new RunStopRequested('routing no longer counts this attempt as running (cancelled, abandoned or finished)'),
          );
        } else {
          entry.renewedAt = sentAt;
        }
      }
    } catch (err) {
      this.options.log(`cannot renew the leases of ${runIds.length} runs: ${describeError(err)}`);
    }
  }

  /** Stops the attempts whose lease may have run out: routing may already have given the task to another runner. */
  private fence(): void {
    const now = this.now();
    for (const entry of this.held.values()) {
      if (!entry.abort.signal.aborted && now - entry.renewedAt >= this.leaseMs) {
        entry.abort.abort(
          new RunStopRequested(
            `could not renew the lease for ${this.leaseMs} ms; stopped so that another runner may take over`,
          ),
        );
      }
    }
  }
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
