import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '@aos/contracts';
import { createEventStore, type EventStore } from '@aos/event-store';
import type { AosClient } from '@aos/grpc-client';
import { startTestStack, type TestStack } from '@aos/testing';
import { startExampleAgent, type ExampleAgentProcess } from '../../runtime/test/support/example-agent';
import { watchAgentChanges, type AgentChanges } from './support/agent-changes';

/**
 * An external agent's health from its sessions, through the whole stack: a
 * child process (clients/agent-example, on the SDK) attaches over
 * RuntimeService.Connect; the runtime instance hosting the session has
 * lifecycle record its start and end on the agent's stream, and lifecycle
 * records the health's changes, which WatchAgents delivers. The process is
 * killed with SIGKILL (no goodbye): the agent must be UNHEALTHY within two
 * lease periods, and HEALTHY again once a new process attaches. When the
 * runtime instance hosting the session dies instead, nothing records the
 * end but lifecycle's sweep, which finds no host for the session.
 */
const LEASE_MS = 1500;
let t: TestStack;
let api: AosClient;
let store: EventStore;
let agent: Agent;
let changes: AgentChanges;
let example: ExampleAgentProcess | undefined;

const rid = () => randomUUID();

beforeAll(async () => {
  // Every service its own process: the second test kills the runtime alone.
  t = await startTestStack({ topology: 'process-per-service', env: { AOS_RUN_LEASE_MS: String(LEASE_MS) } });
  api = t.client;
  store = await createEventStore({ kind: 'jetstream', natsUrl: t.natsUrl });
  const created = await api.agents.createAgent({
    agent: {
      name: `outside-${rid().slice(0, 6)}`,
      description: 'an external process',
      labels: { 'aos.runtime': 'external' },
    } as Partial<Agent> as Agent,
    requestId: rid(),
  });
  agent = await api.agents.deployAgent({ id: created.id, requestId: rid(), reason: '' });
  changes = watchAgentChanges(api, agent.logPosition);
}, 120_000);

afterAll(async () => {
  example?.child.kill('SIGKILL');
  changes?.close();
  await store?.close();
  await t?.stop();
});

const healthChange = (status: string, after = 0, timeoutMs?: number) =>
  changes.next(
    (c) => c.eventType === 'AgentHealthChanged' && c.position > after && c.agent?.health?.status === status,
    timeoutMs,
  );

describe("an external agent's health from its sessions", () => {
  it('is HEALTHY once attached, UNHEALTHY within two lease periods of a SIGKILL, HEALTHY again on reattaching', async () => {
    expect(agent.health?.status).toBe('UNKNOWN');
    example = await startExampleAgent(['--agent', agent.id], t);
    const attached = await changes.next((c) => c.eventType === 'AgentSessionAttached');
    const healthy = await healthChange('HEALTHY');
    expect(healthy.position).toBeGreaterThan(attached.position);
    expect(healthy.agent!.health).toMatchObject({
      status: 'HEALTHY',
      reason: 'no run ended yet; 1 external session open',
      openSessions: 1,
    });

    const killedAt = Date.now();
    example.child.kill('SIGKILL');
    const unhealthy = await healthChange('UNHEALTHY', healthy.position);
    const detectedMs = Date.now() - killedAt;
    expect(detectedMs).toBeLessThan(2 * LEASE_MS);
    const ended = changes.received.find((c) => c.eventType === 'AgentSessionEnded')!;
    expect(ended.position).toBeLessThan(unhealthy.position);
    expect(unhealthy.agent!.health).toMatchObject({ status: 'UNHEALTHY', openSessions: 0 });
    expect(unhealthy.agent!.health!.reason).toMatch(
      /^external session [0-9a-f-]{36} lost at \S+ \(.+\); no session is open$/,
    );

    // The log holds the session's start and end, and each health change once.
    const events = await store.readStream({ tenantId: 'default', category: 'agent', id: agent.id });
    const kinds = events
      .map((e) => e.type)
      .filter((type) => type.startsWith('AgentSession') || type === 'AgentHealthChanged');
    expect(kinds).toEqual(['AgentSessionAttached', 'AgentHealthChanged', 'AgentSessionEnded', 'AgentHealthChanged']);
    const sessionEnd = events.find((e) => e.type === 'AgentSessionEnded')!;
    expect(sessionEnd.metadata.actor).toEqual({ kind: 'service', id: 'runtime' });

    example = await startExampleAgent(['--agent', agent.id], t);
    const healed = await healthChange('HEALTHY', unhealthy.position);
    expect(healed.agent!.health).toMatchObject({ status: 'HEALTHY', openSessions: 1 });
    expect((await api.agents.getAgent({ id: agent.id, minPosition: healed.position })).health?.status).toBe('HEALTHY');
  });

  it('is UNHEALTHY when the runtime instance hosting the session dies (no end recorded by it), HEALTHY once it is back', async () => {
    const before = changes.received.at(-1)!.position;
    expect((await api.agents.getAgent({ id: agent.id })).health).toMatchObject({ status: 'HEALTHY', openSessions: 1 });
    const killedAt = Date.now();
    t.stack.services.runtime.kill();
    await t.stack.services.runtime.exited;
    const unhealthy = await healthChange('UNHEALTHY', before);
    // Two probes a lease apart once the session is a lease old: within four lease periods.
    expect(Date.now() - killedAt).toBeLessThan(4 * LEASE_MS + 1_000);
    const ended = changes.received.find((c) => c.eventType === 'AgentSessionEnded' && c.position > before)!;
    const endEvent = (await store.readStream({ tenantId: 'default', category: 'agent', id: agent.id })).find(
      (e) => e.position === ended.position,
    )!;
    expect(endEvent.metadata.actor).toEqual({ kind: 'service', id: 'lifecycle' });
    expect(endEvent.data).toMatchObject({ reason: expect.stringMatching(/^no runtime instance hosts it any more/) });
    expect(unhealthy.agent!.health).toMatchObject({ status: 'UNHEALTHY', openSessions: 0 });

    await t.stack.services.runtime.start();
    // The example agent reconnects on its own (the SDK retries with a backoff).
    const healed = await healthChange('HEALTHY', unhealthy.position, 20_000);
    expect(healed.agent!.health).toMatchObject({ status: 'HEALTHY', openSessions: 1 });
  }, 40_000);
});
