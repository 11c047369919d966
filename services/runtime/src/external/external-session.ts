import {
  RuntimeSubjects,
  sessionAliveSubject,
  type AgentMessage,
  type Attached,
  type RuntimeMessage,
  type SessionInbound,
  type SessionOutbound,
  type Task,
  type ToolCallRequest,
} from '@aos/contracts';
import type { CommandPipeline } from '@aos/command-pipeline';
import { AosError, describeError } from '@aos/errors';
import type { DirectNats, DirectSubscription, RequestContext } from '@aos/messaging';
import type { RunnableTask } from '../model/runtime.model';
import {
  finish,
  recordStopped,
  startRecording,
  toolCallRunOf,
  type Ending,
  type HeldAttempt,
} from '../run/run-execution';
import { RunRecorder } from '../run/run.recorder';
import type { RunProtocolPort } from '../run/runtime.ports';
import { Runner } from '../runner/runner';
import type { GovernedToolCall } from '../tools/governed-tool-call';
import { validateOutcome, validateStep, validateToolCall, type ValidToolCall } from './session-messages';

/** An agent-reported failure has no status of its own: the task fails with this code and the agent's reason. */
export const AGENT_FAILURE_CODE = 'UNKNOWN';
/** How long the gateway may take to write one message to the stream (a client that does not read holds it up). */
const OUTBOUND_TIMEOUT_MS = 30_000;
/** The session is closed when nothing (not even a ping) came from the gateway for this many ping intervals. */
const SILENT_INTERVALS = 3;

export interface ExternalSessionDeps {
  direct: DirectNats;
  /** The run streams' command pipeline (runPipeline). */
  runs: CommandPipeline;
  protocol: RunProtocolPort;
  governedToolCall: GovernedToolCall;
  /** The agent's tasks whose next attempt the session may start now (the runtime's model of the log). */
  runnable: (tenantId: string, agentId: string) => Iterable<RunnableTask>;
  correlationOf: (tenantId: string, taskId: string) => string;
  /** The task as routing shows it, for the TaskAssignment. */
  fetchTask: (ctx: RequestContext, taskId: string) => Promise<Task>;
  log: (message: string) => void;
  pingIntervalMs: number;
  now?: () => number;
}

export interface ExternalSessionOptions {
  sessionId: string;
  tenantId: string;
  agentId: string;
  maxConcurrentTasks: number;
  /** The request that opened the session. */
  correlationId: string;
}

/**
 * One attached external agent process, hosted by this runtime instance. A
 * Runner of its own (runner `external:<sessionId>`, concurrency the
 * session's max_concurrent_tasks) claims the agent's ASSIGNED tasks through
 * routing, renews their leases and fences itself exactly like the built-in
 * runner; each claimed attempt is handed to the agent process, and what the
 * process then does — tool calls through GovernedToolCall, steps, the
 * outcome — is recorded in the attempt's run-* stream by a RunRecorder.
 *
 * The agent's messages arrive on RuntimeSubjects.session(<id>) (this
 * instance alone subscribes); what goes to the agent is sent, in order and
 * acknowledged, to RuntimeSubjects.gatewaySession(<id>). A session whose
 * gateway goes silent or stops acknowledging is closed: its attempts stop
 * (RunStopped) and are given back to routing (releaseRun; failing that,
 * abandoned when their lease runs out), so another session gets the next
 * attempt.
 */
export class ExternalSession {
  readonly id: string;
  readonly tenantId: string;
  readonly agentId: string;
  private readonly runner: Runner;
  private readonly runs = new Map<string, ExternalRun>();
  private readonly ctx: RequestContext;
  private outbound: Promise<void> = Promise.resolve();
  private inbound: DirectSubscription | undefined;
  private alive: DirectSubscription | undefined;
  private silenceTimer: NodeJS.Timeout | undefined;
  private lastHeard: number;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Called once the session has closed, with why. */
  onClosed: (session: ExternalSession, reason: string) => void = () => undefined;

  constructor(
    options: ExternalSessionOptions,
    private readonly deps: ExternalSessionDeps,
  ) {
    this.id = options.sessionId;
    this.tenantId = options.tenantId;
    this.agentId = options.agentId;
    this.ctx = {
      tenantId: options.tenantId,
      actor: { kind: 'service', id: 'runtime' },
      correlationId: options.correlationId,
    };
    this.lastHeard = this.now();
    this.runner = new Runner({
      runner: `external:${options.sessionId}`,
      concurrency: options.maxConcurrentTasks,
      runnable: () => deps.runnable(options.tenantId, options.agentId),
      correlationOf: deps.correlationOf,
      protocol: deps.protocol,
      execute: (held, signal) => this.runAttempt(held, signal),
      log: deps.log,
    });
  }

  /**
   * Subscribes to the session's subject, and to its liveness subject (what
   * lifecycle probes to learn that the session still has a host); resolves
   * once the server knows the subscriptions.
   */
  async listen(): Promise<void> {
    this.inbound = await this.deps.direct.serve<SessionInbound, Record<string, never>>(
      RuntimeSubjects.session(this.id),
      ({ body }) => {
        this.receive(body);
        return {};
      },
    );
    this.alive = await this.deps.direct
      .serve(sessionAliveSubject(this.id), () => ({ sessionId: this.id }))
      .catch((err: unknown) => {
        this.inbound?.close();
        throw err;
      });
  }

  /** Tells the agent it is attached, then starts taking its tasks. */
  start(attached: Attached): void {
    void this.send({ attached });
    this.runner.start();
    this.silenceTimer = setInterval(() => {
      if (this.now() - this.lastHeard > SILENT_INTERVALS * this.deps.pingIntervalMs) {
        void this.close('the gateway stopped pinging the session', true);
      }
    }, this.deps.pingIntervalMs);
    this.silenceTimer.unref();
  }

  /** Something changed in the log: look for the agent's work soon. */
  scheduleScan(): void {
    if (!this.closed) this.runner.scheduleScan();
  }

  /**
   * Stops taking tasks and stops the attempts held (RunStopped); with
   * `tellGateway`, asks the gateway to end the stream with UNAVAILABLE (the
   * agent process reconnects and gets a new session). Idempotent.
   */
  close(reason: string, tellGateway: boolean, code = 'UNAVAILABLE'): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      clearInterval(this.silenceTimer);
      this.inbound?.close();
      this.alive?.close();
      await this.runner.close(`the session closed: ${reason}`);
      if (tellGateway) {
        const end: SessionOutbound = { kind: 'end', code, message: reason };
        await this.deps.direct
          .request(RuntimeSubjects.gatewaySession(this.id), this.ctx, end, 2_000)
          .catch(() => undefined);
      }
      this.deps.log(`session ${this.id} of agent ${this.agentId} closed: ${reason}`);
      this.onClosed(this, reason);
    })();
    return this.closing;
  }

  private receive(inbound: SessionInbound): void {
    this.lastHeard = this.now();
    if (this.closed) return;
    switch (inbound.kind) {
      case 'ping':
        return;
      case 'close':
        void this.close(inbound.reason || 'the stream ended', false);
        return;
      case 'message':
        return this.dispatch(inbound.message);
      default:
        return inbound satisfies never;
    }
  }

  private dispatch(message: AgentMessage): void {
    try {
      if (message.attach) {
        this.notice('', 'INVALID_ARGUMENT', 'attach: may only be the first message of the stream');
      } else if (message.toolCall) {
        this.toolCall(message.toolCall);
      } else if (message.step) {
        const step = validateStep(message.step);
        this.runOf(step.taskId)?.enqueue((run) =>
          run.recorder.record({ type: 'ReportStep', data: { runId: run.held.runId, ...step } }).then(() => undefined),
        );
      } else if (message.outcome) {
        const outcome = validateOutcome(message.outcome);
        this.runOf(outcome.taskId)?.enqueue(async (run) => {
          run.end(
            outcome.succeeded
              ? { outcome: 'SUCCEEDED', result: outcome.result }
              : { outcome: 'FAILED', code: AGENT_FAILURE_CODE, reason: outcome.reason },
          );
        });
      } else {
        this.notice('', 'INVALID_ARGUMENT', 'kind: the message has none of tool_call, step, outcome');
      }
    } catch (err) {
      const code = err instanceof AosError ? err.code : 'INTERNAL';
      const taskId = taskIdOf(message);
      this.notice(taskId, code, err instanceof AosError ? err.message : 'the message could not be handled');
    }
  }

  /**
   * A tool call: decided by governance, executed and recorded through
   * GovernedToolCall, answered with a ToolCallResult. A call that cannot
   * reach governance (malformed, its task is not running here, or its
   * call_id used before in the run: "INVALID_ARGUMENT: tool_call.call_id: …",
   * the tool not called) is answered too, with an empty decision and the
   * problem, so that the agent never waits for an answer that will not come.
   */
  private toolCall(raw: Partial<ToolCallRequest>): void {
    let call: ValidToolCall;
    try {
      call = validateToolCall(raw);
    } catch (err) {
      if (typeof raw.taskId !== 'string' || typeof raw.callId !== 'string' || raw.callId === '') throw err;
      this.unanswerable(raw.taskId, raw.callId, err instanceof Error ? err.message : String(err));
      return;
    }
    const run = this.runs.get(call.taskId);
    if (!run) {
      this.unanswerable(call.taskId, call.callId, `task ${call.taskId} is not running in this session`);
      return;
    }
    run.enqueue(async () => {
      let outcome;
      try {
        outcome = await this.deps.governedToolCall.call(run.toolCallRun, {
          callId: call.callId,
          toolName: call.toolName,
          argumentsJson: call.argumentsJson,
        });
      } catch (err) {
        // A call id the run used before: refused before anything is asked or called.
        if (!(err instanceof AosError) || err.field !== 'call_id') throw err;
        if (!run.signal.aborted) this.unanswerable(call.taskId, call.callId, `${err.code}: tool_call.${err.message}`);
        return;
      }
      const { recorded } = outcome;
      if (run.signal.aborted) return;
      void this.send({
        toolResult: {
          taskId: call.taskId,
          callId: call.callId,
          decision: recorded.decision,
          decisionReason: recorded.decisionReason,
          // The agent gets up to 64 KiB of the result, as the model would; the log keeps 8 KiB.
          result: recorded.outcome === 'ok' ? outcome.content : '',
          error: recorded.error,
        },
      });
      if (outcome.endRun) run.end({ outcome: 'FAILED', ...outcome.endRun });
    });
  }

  private unanswerable(taskId: string, callId: string, error: string): void {
    void this.send({ toolResult: { taskId, callId, decision: '', decisionReason: '', result: '', error } });
  }

  /** The running attempt of the task, or undefined after telling the agent it has none. */
  private runOf(taskId: string): ExternalRun | undefined {
    const run = this.runs.get(taskId);
    if (!run) this.notice(taskId, 'NOT_FOUND', `task ${taskId} is not running in this session`);
    return run;
  }

  private notice(taskId: string, code: string, message: string): void {
    void this.send({ notice: { taskId, code, message } });
  }

  /** One held attempt (the Runner's execute): hand it to the agent, record what it does, finish it. */
  private async runAttempt(held: HeldAttempt, signal: AbortSignal): Promise<void> {
    const { task, runId } = held;
    const ctx: RequestContext = { ...this.ctx, correlationId: held.correlationId };
    // The agent process brings its own model (or none): AgentOS does not know it.
    const recorder = await startRecording(held, this.deps.runs, '', this.deps.log);
    if (!recorder) return;
    const run = new ExternalRun(held, ctx, recorder, signal, this.deps.log);
    this.runs.set(task.taskId, run);
    try {
      const assigned = await this.deps.fetchTask(ctx, task.taskId).catch((err: unknown) => {
        this.deps.log(
          `run ${runId}: routing did not show task ${task.taskId} (${describeError(err)}); sending what the log says`,
        );
        return taskFromLog(held);
      });
      void this.send({ task: { task: assigned, runId, attempt: held.attempt } });
      const ending = await run.ended;
      // Whatever the agent asked for before the end is recorded before it.
      await run.settled();
      if (ending) {
        await finish(held, recorder, ending, this.deps.log);
        if (ending.outcome === 'FAILED' && ending.code !== AGENT_FAILURE_CODE && !this.closed) {
          void this.send({ revoked: { taskId: task.taskId, reason: `the task failed: ${ending.reason}` } });
        }
        return;
      }
      const reason = await recordStopped(held, ctx, recorder, signal, this.deps);
      if (!this.closed) void this.send({ revoked: { taskId: task.taskId, reason } });
    } finally {
      if (this.runs.get(task.taskId) === run) this.runs.delete(task.taskId);
    }
  }

  /** Sends to the agent, after everything sent before; a message the gateway does not take closes the session. */
  private send(message: RuntimeMessage): Promise<void> {
    const body: SessionOutbound = { kind: 'message', message };
    const next = this.outbound.then(async () => {
      if (this.closed) return;
      await this.deps.direct.request(RuntimeSubjects.gatewaySession(this.id), this.ctx, body, OUTBOUND_TIMEOUT_MS);
    });
    this.outbound = next.catch((err: unknown) => {
      if (this.closed) return;
      this.deps.log(`session ${this.id}: the gateway did not take a message: ${describeError(err)}`);
      void this.close("the gateway no longer takes the session's messages", false);
    });
    return this.outbound;
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }
}

/**
 * One attempt the agent process works on. What it asks for is handled one
 * thing at a time, in order — a run's trace is sequential, and while a tool
 * call waits for approval nothing else may be recorded but the answer.
 */
class ExternalRun {
  readonly ended: Promise<Ending | undefined>;
  private resolveEnded!: (ending: Ending | undefined) => void;
  private done = false;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly held: HeldAttempt,
    readonly ctx: RequestContext,
    readonly recorder: RunRecorder,
    readonly signal: AbortSignal,
    private readonly log: (message: string) => void,
  ) {
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    const onAbort = () => this.settle(undefined);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  }

  get toolCallRun() {
    return toolCallRunOf(this.held, this.ctx, this.recorder, this.signal);
  }

  /** Runs `action` after everything asked before; nothing runs once the attempt has ended. */
  enqueue(action: (run: ExternalRun) => Promise<void>): void {
    this.queue = this.queue
      .then(() => (this.done ? undefined : action(this)))
      .catch((err: unknown) => {
        if (!this.signal.aborted) this.log(`run ${this.held.runId}: ${describeError(err)}`);
      });
  }

  /** The agent's outcome, or the end a governed call decided (rejection, used-up budget). */
  end(ending: Ending): void {
    this.settle(ending);
  }

  /** Resolves once what was asked before the end has been handled. */
  settled(): Promise<void> {
    return this.queue;
  }

  private settle(ending: Ending | undefined): void {
    if (this.done) return;
    this.done = true;
    this.resolveEnded(ending);
  }
}

function taskIdOf(message: AgentMessage): string {
  const id = message.toolCall?.taskId ?? message.step?.taskId ?? message.outcome?.taskId;
  return typeof id === 'string' ? id : '';
}

/** The task as the runtime's model of the log knows it, when routing cannot be asked. */
function taskFromLog(held: HeldAttempt): Task {
  return {
    id: held.task.taskId,
    tenantId: held.tenantId,
    text: held.task.text,
    assignedAgentId: held.agent.agentId,
    attempt: held.attempt,
  } as Partial<Task> as Task;
}
