import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { Agent } from '@aos/contracts';
import { createEventStore } from '@aos/event-store';
import { AosClientError, createAosClient, type AosClient } from '@aos/grpc-client';
import { startNatsServer, startTestStack, type NatsServerHandle, type TestStack } from '@aos/testing';

/**
 * NATS going away under load. The embedded default: the launcher restarts a
 * killed nats-server on the same port and store, the services reconnect and
 * no acknowledged command is lost. A NATS that stays away: every call
 * answers UNAVAILABLE (retryable), never INTERNAL or UNKNOWN, and the stack
 * recovers once it is back.
 */
const stacks: TestStack[] = [];
const servers: NatsServerHandle[] = [];

afterAll(async () => {
  for (const t of stacks) await t.stop();
  for (const s of servers) await s.stop();
});

const rid = () => randomUUID();

interface Acked {
  id: string;
  name: string;
}

/**
 * Clients creating agents, each retrying a call with the same request id
 * until it is answered (as a client that wants no duplicates does), and
 * recording every refusal's code.
 */
function createLoad(api: AosClient, workers: number) {
  const acked: Acked[] = [];
  const refusals: Record<string, number> = {};
  let running = true;
  const worker = async () => {
    while (running) {
      const name = `outage-${rid().slice(0, 12)}`;
      const requestId = rid();
      for (;;) {
        try {
          const agent = await api.agents.createAgent({ agent: { name } as Agent, requestId }, { deadlineMs: 20_000 });
          acked.push({ id: agent.id, name });
          break;
        } catch (err) {
          const code = err instanceof AosClientError ? err.code : `not a status: ${String(err)}`;
          refusals[code] = (refusals[code] ?? 0) + 1;
          if (code !== 'UNAVAILABLE' && code !== 'DEADLINE_EXCEEDED') break;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
  };
  const done = Promise.all(Array.from({ length: workers }, worker));
  return {
    acked,
    refusals,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

/** Polls with short calls until one succeeds; resolves to how long it took. */
async function recovery(api: AosClient, since: number, timeoutMs: number): Promise<number> {
  for (;;) {
    try {
      await api.agents.listAgents({ pageSize: 1 }, { deadlineMs: 1_000 });
      return Date.now() - since;
    } catch {
      if (Date.now() - since > timeoutMs) throw new Error(`no call succeeded within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Every acknowledged agent is readable, and its AgentCreated is in the log exactly once. */
async function expectNothingLost(t: TestStack, acked: Acked[]): Promise<void> {
  const store = await createEventStore({ kind: 'jetstream', natsUrl: t.natsUrl });
  try {
    const created = new Map<string, number>();
    for await (const e of store.readAll({ filter: { category: 'agent' } })) {
      if (e.type !== 'AgentCreated') continue;
      const name = (e.data as { definition: { name: string } }).definition.name;
      created.set(name, (created.get(name) ?? 0) + 1);
    }
    for (const { name } of acked) expect(created.get(name), name).toBe(1);
    for (const { id } of acked.slice(-20)) expect((await t.client.agents.getAgent({ id })).id).toBe(id);
  } finally {
    await store.close();
  }
}

describe('NATS going away', () => {
  it('embedded: kill -9 of nats-server under load, it is back within 5 s and no acknowledged command is lost', async () => {
    const t = await startTestStack();
    stacks.push(t);
    const load = createLoad(t.client, 6);
    await new Promise((r) => setTimeout(r, 1_500));
    const before = load.acked.length;
    const killedAt = Date.now();
    t.stack.nats!.kill();
    const back = await recovery(t.client, killedAt, 5_000);
    await new Promise((r) => setTimeout(r, 1_500));
    await load.stop();
    process.stdout.write(
      `embedded nats-server killed after ${before} acked CreateAgent: calls succeed again after ${back} ms; ` +
        `${load.acked.length} acked in all; refusals ${JSON.stringify(load.refusals)}\n`,
    );
    expect(back).toBeLessThan(5_000);
    expect(load.acked.length).toBeGreaterThan(before);
    expect(Object.keys(load.refusals).filter((code) => code !== 'UNAVAILABLE')).toEqual([]);
    await expectNothingLost(t, load.acked);
  });

  it('a NATS that stays away: every call is UNAVAILABLE meanwhile, and the stack recovers when it returns', async () => {
    const nats = await startNatsServer();
    servers.push(nats);
    const t = await startTestStack({ natsUrl: nats.url });
    stacks.push(t);
    const acked: Acked[] = [];
    for (let i = 0; i < 5; i++) {
      const name = `before-${rid().slice(0, 8)}`;
      acked.push({ id: (await t.client.agents.createAgent({ agent: { name } as Agent, requestId: rid() })).id, name });
    }
    nats.kill();
    await nats.exited;
    const quick = createAosClient({ address: t.gatewayAddr, apiKey: t.apiKey, deadlineMs: 20_000 });
    try {
      const calls = await Promise.allSettled([
        quick.agents.getAgent({ id: acked[0]!.id }),
        quick.agents.listAgents({}),
        quick.agents.createAgent({ agent: { name: `during-${rid().slice(0, 8)}` } as Agent, requestId: rid() }),
        quick.tasks.listTasks({}),
        quick.audit.listEvents({ pageSize: 1 }),
      ]);
      const codes = calls.map((c) => (c.status === 'fulfilled' ? 'OK' : (c.reason as AosClientError).code));
      expect(codes).toEqual(['UNAVAILABLE', 'UNAVAILABLE', 'UNAVAILABLE', 'UNAVAILABLE', 'UNAVAILABLE']);
    } finally {
      quick.close();
    }
    const restartedAt = Date.now();
    servers.push(await startNatsServer({ port: nats.port, storeDir: nats.storeDir }));
    const back = await recovery(t.client, restartedAt, 10_000);
    process.stdout.write(`NATS back after an outage: calls succeed again ${back} ms after it restarted\n`);
    await expectNothingLost(t, acked);
    const after = await t.client.agents.createAgent({
      agent: { name: `after-${rid().slice(0, 8)}` } as Agent,
      requestId: rid(),
    });
    expect(after.state).toBe('DRAFT');
  });
});
