import { randomUUID } from 'node:crypto';
import { runExternalAgent, type ExternalAgent, type TaskContext } from '@aos/agent-sdk';
import type { Task } from '@aos/contracts';
import type { AosClient } from '@aos/grpc-client';
import type { TestStack } from '@aos/testing';

/** Attaches an agent process with the SDK (no reconnect), kept in `agents` for the suite to close. */
export function attachAgent(
  t: TestStack,
  agents: ExternalAgent[],
  agentId: string,
  handleTask: (ctx: TaskContext) => Promise<string>,
  apiKey = t.apiKey,
): ExternalAgent {
  const agent = runExternalAgent({ address: t.gatewayAddr, apiKey, agentId, handleTask, reconnect: false });
  agents.push(agent);
  return agent;
}

/** Submits a task for the agent (routing assigns it without choosing). */
export function submitTo(api: AosClient, text: string, agentId: string): Promise<Task> {
  return api.tasks.submitTask({
    task: { text, agentId, requiredCapabilities: [], priority: 'TASK_PRIORITY_UNSPECIFIED' } as Partial<Task> as Task,
    requestId: randomUUID(),
  });
}
