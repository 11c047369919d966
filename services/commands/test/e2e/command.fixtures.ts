import { randomUUID } from 'node:crypto';
import type { Agent, Event, Execution, Plan, Principal, Tool } from '@aos/contracts';
import type { AosClient } from '@aos/grpc-client';
import type { TestStack } from '@aos/testing';

export const rid = () => randomUUID();
export const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/** An HTTP tool to register under `name` (never called by these tests). */
export function httpTool(name: string): Tool {
  return {
    name,
    description: 'Reads and writes the ledger',
    risk: 'WRITE' as Tool['risk'],
    http: { endpoint: 'https://ledger.example.com/entries', method: 'POST' },
    inputSchemaJson: '{"type":"object"}',
  } as Tool;
}

export interface PrincipalClient {
  principal: Principal;
  client: AosClient;
}

/** A user principal created by the admin, holding `role`, with a client on its own API key. */
export async function principalWithRole(t: TestStack, role: string, name = unique(role)): Promise<PrincipalClient> {
  const admin = t.client.governance;
  const principal = await admin.createPrincipal({
    principal: { kind: 'USER' as Principal['kind'], name },
    requestId: rid(),
  });
  await admin.assignRole({ subject: principal.subject, role, requestId: rid() });
  const key = await admin.createApiKey({ principalId: principal.id, description: 'commands e2e', requestId: rid() });
  return { principal, client: t.clientWithKey(key.secret) };
}

/** An agent created and deployed by the admin (ACTIVE). */
export async function activeAgent(api: AosClient, name: string, capabilities: string[] = ['billing']): Promise<Agent> {
  const created = await api.agents.createAgent({ requestId: rid(), agent: { name, capabilities } });
  return api.agents.deployAgent({ id: created.id, requestId: rid() });
}

/** Every event of one stream, in order. */
export async function streamEvents(api: AosClient, stream: string): Promise<Event[]> {
  const events: Event[] = [];
  let pageToken = '';
  do {
    const page = await api.audit.listEvents({ stream, pageSize: 1000, pageToken });
    events.push(...page.events);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return events;
}

export const methodsOf = (plan: Plan): string[] => plan.steps.map((s) => `${s.service}.${s.method}`);
export const statusesOf = (execution: Execution): string[] => execution.outcomes.map((o) => o.status);

/** Executes a plan the caller reviewed: the digest it was shown, destructive steps confirmed. */
export function confirm(api: AosClient, plan: Plan): Promise<Execution> {
  return api.commands.execute({ planId: plan.id, digest: plan.digest, confirmDestructive: true });
}
