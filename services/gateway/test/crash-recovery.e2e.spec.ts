import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AosClientError } from '@aos/grpc-client';
import { startTestStack, type TestStack } from '@aos/testing';
import type { Agent } from '@aos/contracts';

let t: TestStack;
beforeAll(async () => {
  // lifecycle is killed and restarted alone: every service its own process, as npm start runs them.
  t = await startTestStack({ topology: 'process-per-service' });
});
afterAll(async () => {
  await t?.stop();
});

describe('kill -9 of the lifecycle process under load', () => {
  it('keeps every acknowledged command, and GetAgent answers as before the crash', async () => {
    const acked = new Map<string, Agent>(); // agent id → the reply of its last acknowledged command
    const failedRequests: { requestId: string; name: string }[] = [];
    let stop = false;

    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const requestId = randomUUID();
        const name = `crash-${w}-${i}-${requestId.slice(0, 6)}`;
        try {
          const created = await t.client.agents.createAgent({ requestId, agent: { name } }, { deadlineMs: 3000 });
          acked.set(created.id, created);
          const deployed = await t.client.agents.deployAgent(
            { id: created.id, requestId: randomUUID() },
            { deadlineMs: 3000 },
          );
          acked.set(deployed.id, deployed);
        } catch (err) {
          if (!(err instanceof AosClientError) || !['UNAVAILABLE', 'DEADLINE_EXCEEDED'].includes(err.code)) throw err;
          failedRequests.push({ requestId, name });
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));

    await new Promise((r) => setTimeout(r, 1500));
    const beforeKill = acked.size;
    t.stack.services.lifecycle.kill();
    await t.stack.services.lifecycle.exited;
    await new Promise((r) => setTimeout(r, 300));
    await t.stack.services.lifecycle.start();
    // Calls that were in flight at the kill get no reply and run into their 3 s
    // deadline; wait until the restarted service has acknowledged new work.
    const atRestart = acked.size;
    for (const deadline = Date.now() + 15_000; acked.size < atRestart + 20 && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 100));
    }
    stop = true;
    await load;

    expect(beforeKill).toBeGreaterThan(0);
    expect(acked.size).toBeGreaterThan(beforeKill);
    for (const [id, reply] of acked) {
      const now = await t.client.agents.getAgent({ id, minPosition: reply.logPosition });
      expect(now.revision).toBeGreaterThanOrEqual(reply.revision);
      if (now.revision === reply.revision) expect(now.state).toBe(reply.state);
      const events = await t.client.audit.listEvents({ stream: `agent-${id}`, minPosition: reply.logPosition });
      expect(events.events.length).toBe(now.revision + 1);
    }

    // A command that got no answer is safe to retry with its request_id: it is recorded once.
    for (const { requestId, name } of failedRequests) {
      const retried = await t.client.agents.createAgent({ requestId, agent: { name } });
      const again = await t.client.agents.createAgent({ requestId, agent: { name } });
      expect(again).toEqual(retried);
      const events = await t.client.audit.listEvents({
        stream: `agent-${retried.id}`,
        minPosition: retried.logPosition,
      });
      expect(events.events.filter((e) => e.type === 'AgentCreated')).toHaveLength(1);
    }
  });
});
