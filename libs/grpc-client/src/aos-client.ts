import {
  Client,
  credentials as grpcCredentials,
  Metadata,
  status,
  type ChannelCredentials,
  type ChannelOptions,
} from '@grpc/grpc-js';
import { createAgentsClient, type AgentsClient } from './agent-service.client';
import { createAuditClient, type AuditClient } from './audit-service.client';
import { CallInvoker } from './call-invoker';
import { createCommandsClient, type CommandsClient } from './command-service.client';
import { createGovernanceClient, type GovernanceClient } from './governance-service.client';
import { AosClientError } from './client-error';
import { createContextClient, type ContextClient } from './context-service.client';
import { createKnowledgeClient, type KnowledgeClient } from './knowledge-service.client';
import { createTasksClient, type TasksClient } from './task-service.client';
import { createToolsClient, type ToolsClient } from './tool-service.client';

export interface AosClientOptions {
  /** The gateway, `host:port`. */
  address: string;
  /** Sent as `authorization: Bearer <apiKey>` on every call; omit to call unauthenticated. */
  apiKey?: string;
  /** Default deadline of unary calls in ms (default 30 000; `Infinity` = none). */
  deadlineMs?: number;
  /** Default deadline of server streams in ms (default none: a follow stream runs until cancelled). */
  streamDeadlineMs?: number;
  /** Metadata sent on every call besides the credentials. */
  metadata?: Record<string, string>;
  /** Default: insecure (the gateway listens on plain HTTP/2). */
  credentials?: ChannelCredentials;
  channelOptions?: ChannelOptions;
}

export interface AosClient {
  readonly address: string;
  readonly agents: AgentsClient;
  readonly audit: AuditClient;
  readonly governance: GovernanceClient;
  readonly tools: ToolsClient;
  readonly tasks: TasksClient;
  readonly knowledge: KnowledgeClient;
  readonly context: ContextClient;
  readonly commands: CommandsClient;
  /** Resolves once the channel is connected; rejects with UNAVAILABLE after `timeoutMs`. */
  waitForReady(timeoutMs?: number): Promise<void>;
  /** Closes the channel; calls in flight are cancelled. */
  close(): void;
}

export const DEFAULT_DEADLINE_MS = 30_000;

/**
 * A client for the AgentOS gateway. All services share one channel, and the
 * methods are built once here, so create one client per gateway and reuse it.
 */
export function createAosClient(options: AosClientOptions): AosClient {
  const client = new Client(
    options.address,
    options.credentials ?? grpcCredentials.createInsecure(),
    options.channelOptions,
  );
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
  if (options.apiKey !== undefined) metadata.set('authorization', `Bearer ${options.apiKey}`);
  const invoker = new CallInvoker(
    client,
    metadata,
    options.deadlineMs ?? DEFAULT_DEADLINE_MS,
    options.streamDeadlineMs ?? Number.POSITIVE_INFINITY,
  );
  return {
    address: options.address,
    agents: createAgentsClient(invoker),
    audit: createAuditClient(invoker),
    governance: createGovernanceClient(invoker),
    tools: createToolsClient(invoker),
    tasks: createTasksClient(invoker),
    knowledge: createKnowledgeClient(invoker),
    context: createContextClient(invoker),
    commands: createCommandsClient(invoker),
    waitForReady: (timeoutMs = DEFAULT_DEADLINE_MS) =>
      new Promise<void>((resolve, reject) => {
        client.waitForReady(Date.now() + timeoutMs, (error) => {
          if (error === undefined) resolve();
          else {
            const details = `${options.address} not ready within ${timeoutMs} ms: ${error.message}`;
            reject(new AosClientError(status.UNAVAILABLE, details, undefined, { cause: error }));
          }
        });
      }),
    close: () => client.close(),
  };
}
