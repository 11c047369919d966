import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AgentState,
  HealthStatus,
  LifecycleSubjects,
  RUN_CATEGORY,
  type Agent,
  type AgentTransitionRequest,
  type CreateAgentRequest,
  type ListAgentsRequest,
} from '@aos/contracts';
import { loadConfig, type AosConfig } from '@aos/config';
import { createEventStore, type EventStore } from '@aos/event-store';
import { ServiceClient, type RequestContext } from '@aos/messaging';
import { startNatsServer, type NatsServerHandle } from '@aos/testing';
import { startLifecycle, type LifecycleService } from '../src/bootstrap';
import { appendHistory, settledHead } from './support/lifecycle-history';

const TENANTS = ['acme', 'globex'];

let nats: NatsServerHandle;
let config: AosConfig;
let store: EventStore;
let client: ServiceClient;
let service: LifecycleService | undefined;
/** What the services of this file wrote on stderr (they run in this process). */
const stderr: string[] = [];
const write = process.stderr.write.bind(process.stderr);

beforeAll(async () => {
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    stderr.push(String(chunk));
    return write(chunk, ...rest);
  }) as typeof process.stderr.write;
  nats = await startNatsServer();
  config = loadConfig({
    AOS_NATS_URL: nats.url,
    AOS_LOG_LEVEL: 'log',
    // A snapshot right after the first catch-up, and none later: what follows it is the log's tail.
    AOS_SNAPSHOT_EVENTS: '50',
    AOS_SNAPSHOT_INTERVAL_MS: '600000',
    // No session sweep during the test: the history's sessions have no host.
    AOS_RUN_LEASE_MS: '600000',
  });
  store = await createEventStore({ kind: 'jetstream', natsUrl: nats.url });
  client = new ServiceClient(nats.url);
  await client.connect();
});

afterAll(async () => {
  process.stderr.write = write;
  await service?.close();
  await client?.close();
  await store?.close();
  await nats?.stop();
});

const ctxFor = (tenantId: string): RequestContext => ({
  tenantId,
  actor: { kind: 'user', id: 'alice' },
  correlationId: randomUUID(),
});

/** Every agent of every tenant as ListAgents pages them and GetAgent answers for each, the way the gateway asks. */
async function answers(minPosition: number) {
  const result: Record<string, { pages: unknown[]; agents: Agent[] }> = {};
  for (const tenantId of TENANTS) {
    const pages: unknown[] = [];
    const agents: Agent[] = [];
    let pageToken = '';
    do {
      const body: ListAgentsRequest = { pageSize: 100, pageToken, filter: '', minPosition };
      const page = await client.request(LifecycleSubjects.list, ctxFor(tenantId), body);
      pages.push({ ids: page.agents.map((a) => a.id), next: page.nextPageToken, total: page.totalSize });
      for (const listed of page.agents) {
        const got = await client.request(LifecycleSubjects.get, ctxFor(tenantId), {
          id: listed.id,
          name: '',
          minPosition,
        });
        expect(got).toEqual(listed);
        agents.push(got);
      }
      pageToken = page.nextPageToken;
    } while (pageToken);
    result[tenantId] = { pages, agents };
  }
  return result;
}

async function waitForLine(match: (line: string) => boolean, from: number, timeoutMs = 15_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const line = stderr.slice(from).find(match);
    if (line) return line;
    if (Date.now() > until) throw new Error(`no such line on stderr within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('lifecycle restarted on the same log', () => {
  it('restores both projections from their snapshots and answers GetAgent/ListAgents as before, tail included', async () => {
    const seeded = await appendHistory(store, 1_500, { tenants: TENANTS, prefix: 'e2e', concurrency: 16 });
    expect(seeded).toBeGreaterThanOrEqual(1_500);

    let mark = stderr.length;
    service = await startLifecycle(config, { shutdownHooks: false });
    expect(stderr.slice(mark).some((l) => l.includes('from its snapshot'))).toBe(false);
    const agentWrite = await waitForLine((l) => l.includes('wrote snapshot lifecycle.agent at position'), mark);
    await waitForLine((l) => l.includes('wrote snapshot lifecycle.run at position'), mark);
    const snapshotAt = Number(/at position (\d+)/.exec(agentWrite)![1]);

    // After the snapshot: a new agent deployed, a seeded one paused, one renamed, and runs that fail.
    const created = await client.request(LifecycleSubjects.create, ctxFor('acme'), {
      agent: { name: 'after-the-snapshot', capabilities: ['billing'], labels: {} } as unknown as Agent,
      requestId: randomUUID(),
    } satisfies CreateAgentRequest);
    const transition = (id: string, tenantId: string, subject: 'deploy' | 'pause') =>
      client.request(LifecycleSubjects[subject], ctxFor(tenantId), {
        id,
        requestId: randomUUID(),
        reason: 'e2e',
      } satisfies AgentTransitionRequest);
    await transition(created.id, 'acme', 'deploy');
    const before = await answers(0);
    const active = before.acme!.agents.find((a) => a.state === AgentState.ACTIVE && a.id !== created.id)!;
    const paused = await transition(active.id, 'acme', 'pause');
    expect(paused.logPosition).toBeGreaterThan(snapshotAt);
    const renamed = before.globex!.agents.find((a) => a.state !== AgentState.RETIRED)!;
    await client.request(LifecycleSubjects.update, ctxFor('globex'), {
      id: renamed.id,
      requestId: randomUUID(),
      agent: { ...renamed, name: 'renamed-after-the-snapshot' },
      updateMask: ['name'],
    });
    for (let i = 0; i < 3; i++) {
      const runId = `e2e-tail-task-${i}-1`;
      const metadata = { tenantId: 'acme', actor: { kind: 'agent' as const, id: created.id }, correlationId: 'c' };
      await store.append({ tenantId: 'acme', category: RUN_CATEGORY, id: runId }, [
        {
          id: randomUUID(),
          type: 'RunStarted',
          data: {
            runId,
            taskId: `e2e-tail-task-${i}`,
            attempt: 1,
            agentId: created.id,
            definitionVersion: 1,
            model: '',
            runner: 'loop',
            previousRunId: '',
          },
          metadata: { ...metadata, causationId: runId, requestId: runId, schemaVersion: 1 },
        },
        {
          id: randomUUID(),
          type: 'RunFailed',
          data: { runId, code: 'INTERNAL', reason: 'broke' },
          metadata: { ...metadata, causationId: runId, requestId: runId, schemaVersion: 1 },
        },
      ]);
    }
    const head = await settledHead(store, 1000);
    const expected = await answers(head);
    const newAgent = expected.acme!.agents.find((a) => a.id === created.id)!;
    expect(newAgent.health?.status).toBe(HealthStatus.DEGRADED);
    expect(expected.acme!.agents.find((a) => a.id === active.id)!.state).toBe(AgentState.PAUSED);
    expect(expected.globex!.agents.find((a) => a.id === renamed.id)!.name).toBe('renamed-after-the-snapshot');

    await service.close();
    service = undefined;
    mark = stderr.length;
    service = await startLifecycle(config, { shutdownHooks: false });
    const restored = stderr.slice(mark).find((l) => l.includes('restored agent from its snapshot at position'));
    expect(restored).toContain(`restored agent from its snapshot at position ${snapshotAt} `);
    expect(stderr.slice(mark).some((l) => l.includes('restored run from its snapshot at position'))).toBe(true);
    expect(stderr.slice(mark).some((l) => l.includes('not used'))).toBe(false);

    // Nothing recorded again (the health reactions find every status recorded), and the same answers.
    expect(await settledHead(store, 1000)).toBe(head);
    expect(await answers(head)).toEqual(expected);
  }, 120_000);
});
