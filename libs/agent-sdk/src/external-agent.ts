import {
  Client,
  credentials as grpcCredentials,
  Metadata,
  type ChannelCredentials,
  type ClientDuplexStream,
} from '@grpc/grpc-js';
import type { AgentMessage, Attached, RuntimeMessage, Task, TaskAssignment, ToolCallResult } from '@aos/contracts';
import { AosClientError, loadServiceDefinition, toAosClientError } from '@aos/grpc-client';
import {
  CONTEXT_GET,
  CONTEXT_PUT,
  getArguments,
  KNOWLEDGE_SEARCH,
  putArguments,
  readGet,
  readPut,
  readSearch,
  searchArguments,
  type ContextValue,
  type ContextVersion,
  type GetContextOptions,
  type KnowledgeSearch,
  type PutContextOptions,
  type SearchKnowledgeOptions,
} from './builtin-tools';

/** What a task handler gets besides the task: the governed way to act through AgentOS. */
export interface TaskContext {
  readonly task: Task;
  /** "<task-id>-<attempt>". */
  readonly runId: string;
  readonly attempt: number;
  /** Aborted when AgentOS revokes the task (cancelled, or this attempt lost its lease) or the agent closes. */
  readonly signal: AbortSignal;
  /**
   * Calls a tool of the tenant's registry by name through AgentOS: governance
   * decides (it may wait for a person's approval) and the call is recorded.
   * Resolves with the decision and the tool's result or error; a refusal is
   * an answer, not an exception. The decision is empty when the call never
   * reached governance (e.g. the task no longer runs here); `error` says why.
   * Rejects only when the task is revoked or the session ends.
   */
  callTool(toolName: string, input?: Record<string, unknown>): Promise<ToolCallResult>;
  /**
   * Searches the agent's knowledge bases (its knowledge_base_ids, less those
   * a DENY rule closes to it) through the built-in tool `knowledge_search`;
   * recorded in the run with the citations returned. Rejects with a
   * BuiltinToolError when refused or failed.
   */
  searchKnowledge(query: string, options?: SearchKnowledgeOptions): Promise<KnowledgeSearch>;
  /**
   * Reads a shared context entry (`context_get`), by default in the task's
   * scope (shared by the agents working on one request); undefined when
   * there is none. Rejects with a BuiltinToolError when refused or failed.
   */
  getContext<T = unknown>(key: string, options?: GetContextOptions): Promise<ContextValue<T> | undefined>;
  /**
   * Writes a shared context entry (`context_put`): a new version. With
   * `expectedVersion`, rejects with a BuiltinToolError of code ABORTED when
   * another writer got there first (read it again and retry).
   */
  putContext(key: string, value: unknown, options?: PutContextOptions): Promise<ContextVersion>;
  /** Records a step in the task's run, in the agent's own words. */
  reportStep(summary: string, detail?: unknown): void;
}

/** Returns the task's result; throwing fails the task with the error's message. */
export type TaskHandler = (ctx: TaskContext) => Promise<string>;

export interface ExternalAgentOptions {
  /** The gateway, `host:port`. */
  address: string;
  /** A key whose principal holds `runtime.attach`. */
  apiKey: string;
  /** The agent to work as; it must be labelled `aos.runtime = external`. */
  agentId: string;
  handleTask: TaskHandler;
  /** How many tasks run at once (default 1). */
  maxConcurrentTasks?: number;
  /**
   * Reconnect after the stream ends for a reason other than close() (default
   * true), waiting 0.5 s doubling to 15 s. A status no retry can fix
   * (FAILED_PRECONDITION when the agent was retired, PERMISSION_DENIED, …)
   * stops the agent instead: see `stopped`.
   */
  reconnect?: boolean;
  credentials?: ChannelCredentials;
  /** Called on every (re)attachment. */
  onAttached?: (attached: Attached) => void;
  /** Called when the stream fails (before any reconnect) and for notices AgentOS sends. */
  onError?: (error: Error) => void;
}

export interface ExternalAgent {
  /** Resolves on the first attachment; rejects if the first connection is refused (e.g. NOT_FOUND, PERMISSION_DENIED). */
  readonly attached: Promise<Attached>;
  /**
   * Resolves when the agent stops for good: undefined after close(), the
   * error when AgentOS ended the session with a status no retry can fix (the
   * agent was retired, the key lost `runtime.attach`, …) or when the stream
   * ended with reconnect off.
   */
  readonly stopped: Promise<AosClientError | undefined>;
  /** Ends the session: running handlers see their signal aborted; their tasks are offered to the next session at once. */
  close(): Promise<void>;
}

const MAX_BACKOFF_MS = 15_000;
/** Statuses that no retry can fix: the agent or the key is wrong. */
const PERMANENT = new Set([
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'FAILED_PRECONDITION',
  'PERMISSION_DENIED',
  'UNAUTHENTICATED',
]);

type Duplex = ClientDuplexStream<AgentMessage, RuntimeMessage>;

interface RunningTask {
  controller: AbortController;
  pendingCalls: Map<string, { resolve: (r: ToolCallResult) => void; reject: (e: Error) => void }>;
}

/**
 * Attaches an agent process to AgentOS over RuntimeService.Connect and runs
 * the tasks AgentOS assigns to the agent with `handleTask`. One instance holds
 * one stream; it reconnects on its own unless told not to.
 */
export function runExternalAgent(options: ExternalAgentOptions): ExternalAgent {
  const method = loadServiceDefinition('RuntimeService').Connect;
  const client = new Client(options.address, options.credentials ?? grpcCredentials.createInsecure());
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${options.apiKey}`);

  let closed = false;
  let call: Duplex | undefined;
  // Not unref'd: between streams it is what keeps the process alive until it reconnects.
  let reconnectTimer: NodeJS.Timeout | undefined;
  let backoffMs = 500;
  let firstAttach = true;
  let resolveAttached!: (a: Attached) => void;
  let rejectAttached!: (e: Error) => void;
  const attached = new Promise<Attached>((resolve, reject) => {
    resolveAttached = resolve;
    rejectAttached = reject;
  });
  // Avoid an unhandled rejection when the caller never awaits `attached`.
  attached.catch(() => undefined);
  let resolveStopped!: (e: AosClientError | undefined) => void;
  const stopped = new Promise<AosClientError | undefined>((resolve) => (resolveStopped = resolve));
  const running = new Map<string, RunningTask>();
  let nextCallId = 0;

  const send = (message: AgentMessage) => {
    if (call && !closed) call.write(message);
  };

  const revoke = (taskId: string, reason: string) => {
    const task = running.get(taskId);
    if (!task) return;
    running.delete(taskId);
    task.controller.abort(new Error(reason));
    for (const pending of task.pendingCalls.values()) pending.reject(new Error(`task ${taskId} revoked: ${reason}`));
  };

  const startTask = (assignment: TaskAssignment) => {
    const task = assignment.task!;
    if (running.has(task.id)) return;
    const entry: RunningTask = { controller: new AbortController(), pendingCalls: new Map() };
    running.set(task.id, entry);
    const callTool = (toolName: string, input: Record<string, unknown> = {}) =>
      new Promise<ToolCallResult>((resolve, reject) => {
        if (entry.controller.signal.aborted) return reject(new Error(`task ${task.id} revoked`));
        const callId = `c${++nextCallId}`;
        entry.pendingCalls.set(callId, { resolve, reject });
        send({ toolCall: { taskId: task.id, callId, toolName, argumentsJson: JSON.stringify(input) } });
      });
    const ctx: TaskContext = {
      task,
      runId: assignment.runId,
      attempt: assignment.attempt,
      signal: entry.controller.signal,
      callTool,
      searchKnowledge: async (query, opts) =>
        readSearch(await callTool(KNOWLEDGE_SEARCH, searchArguments(query, opts))),
      getContext: async <T>(key: string, opts?: GetContextOptions) =>
        readGet<T>(await callTool(CONTEXT_GET, getArguments(key, opts))),
      putContext: async (key, value, opts) => readPut(await callTool(CONTEXT_PUT, putArguments(key, value, opts))),
      reportStep: (summary, detail) =>
        send({ step: { taskId: task.id, summary, detailJson: detail === undefined ? '' : JSON.stringify(detail) } }),
    };
    void options.handleTask(ctx).then(
      (result) => {
        if (running.get(task.id) !== entry) return;
        running.delete(task.id);
        send({ outcome: { taskId: task.id, succeeded: true, result, failureReason: '' } });
      },
      (error: unknown) => {
        if (running.get(task.id) !== entry) return;
        running.delete(task.id);
        const reason = error instanceof Error ? error.message : String(error);
        send({ outcome: { taskId: task.id, succeeded: false, result: '', failureReason: reason || 'failed' } });
      },
    );
  };

  const onMessage = (message: RuntimeMessage) => {
    if (message.attached) {
      backoffMs = 500;
      options.onAttached?.(message.attached);
      if (firstAttach) {
        firstAttach = false;
        resolveAttached(message.attached);
      }
    } else if (message.task) {
      startTask(message.task);
    } else if (message.toolResult) {
      const result = message.toolResult;
      const pending = running.get(result.taskId)?.pendingCalls;
      const waiter = pending?.get(result.callId);
      if (waiter) {
        pending!.delete(result.callId);
        waiter.resolve(result);
      }
    } else if (message.revoked) {
      revoke(message.revoked.taskId, message.revoked.reason);
    } else if (message.notice) {
      const n = message.notice;
      options.onError?.(new Error(`${n.code}: ${n.message}${n.taskId ? ` (task ${n.taskId})` : ''}`));
    }
  };

  const connect = () => {
    if (closed) return;
    const stream = client.makeBidiStreamRequest<AgentMessage, RuntimeMessage>(
      method.path,
      method.requestSerialize as (m: AgentMessage) => Buffer,
      method.responseDeserialize as (b: Buffer) => RuntimeMessage,
      metadata,
    );
    call = stream;
    stream.on('data', onMessage);
    let ended = false;
    const onEnd = (error: Error | undefined) => {
      if (ended) return;
      ended = true;
      if (call === stream) call = undefined;
      // The session is gone: its tasks will be offered again, possibly to another process.
      for (const taskId of [...running.keys()]) revoke(taskId, 'session ended');
      if (closed) return;
      const failure = error ? toAosClientError(error) : new AosClientError(14, 'stream ended by the server');
      options.onError?.(failure);
      // A status no retry can fix stops the agent, as does any end when reconnecting is off.
      if (PERMANENT.has(failure.code) || options.reconnect === false) {
        closed = true;
        if (firstAttach) rejectAttached(failure);
        client.close();
        resolveStopped(failure);
        return;
      }
      reconnectTimer = setTimeout(connect, backoffMs);
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    };
    stream.on('error', (error: Error) => onEnd(error));
    stream.on('end', () => onEnd(undefined));
    stream.write({ attach: { agentId: options.agentId, maxConcurrentTasks: options.maxConcurrentTasks ?? 1 } });
  };

  connect();

  return {
    attached,
    stopped,
    close: async () => {
      if (closed) return;
      closed = true;
      clearTimeout(reconnectTimer);
      resolveStopped(undefined);
      for (const taskId of [...running.keys()]) revoke(taskId, 'agent closed');
      call?.end();
      call?.cancel();
      client.close();
      if (firstAttach) rejectAttached(new Error('closed before attaching'));
    },
  };
}
