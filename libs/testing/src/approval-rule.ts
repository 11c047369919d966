import { randomUUID } from 'node:crypto';
import type { PolicyRule } from '@aos/contracts';
import type { AosClient } from '@aos/grpc-client';

/** Adds a policy rule through the API: the agent's calls of the tool wait for a person's approval. */
export function requireApproval(api: AosClient, agentId: string, toolId: string): Promise<PolicyRule> {
  return api.governance.addPolicyRule({
    rule: {
      subject: `agent:${agentId}`,
      action: 'tools.call',
      resource: `tools/${toolId}`,
      effect: 'ALLOW' as PolicyRule['effect'],
      requiresApproval: true,
    } as PolicyRule,
    requestId: randomUUID(),
  });
}
