/**
 * Bench (b): replaying 100k events through the lifecycle projection (the
 * start-up path of the lifecycle service), beside a raw JetStream
 * ordered-consumer read of the same stream, measured in this run.
 */
import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { createJetStreamEventStore, type NewEvent } from '@aos/event-store';
import { startNatsServer } from '@aos/testing';
import { AgentProjection } from '../services/lifecycle/src/agent/agent.projection';

const EVENTS = Number(process.env.AOS_BENCH_EVENTS ?? 100_000);
const PER_AGENT = 5; // created, deployed, then pause/resume pairs

function agentEvents(tenantId: string, agentId: string, i: number): NewEvent[] {
  const metadata = (n: number) => ({
    tenantId,
    actor: { kind: 'user' as const, id: 'bench' },
    correlationId: `c-${i}`,
    causationId: `r-${i}-${n}`,
    requestId: `r-${i}-${n}`,
    schemaVersion: 1,
  });
  const definition = {
    name: `agent-${i}`,
    description: 'bench agent',
    capabilities: ['billing'],
    instructions: '',
    model: 'm',
    toolIds: [],
    knowledgeBaseIds: [],
    labels: {},
  };
  const types = ['AgentCreated', 'AgentDeployed', 'AgentPaused', 'AgentResumed', 'AgentPaused'];
  return types.map((type, n) => ({
    id: randomUUID(),
    type,
    data: n === 0 ? { agentId, definition, definitionVersion: 1, createdBy: 'user:bench' } : { agentId, reason: '' },
    metadata: metadata(n),
  }));
}

export async function benchReplay(): Promise<void> {
  process.stdout.write(`\n(b) replaying ${EVENTS} events\n`);
  const nats = await startNatsServer();
  const store = await createJetStreamEventStore({ servers: nats.url });
  const nc = await connect({ servers: nats.url });
  try {
    const agents = EVENTS / PER_AGENT;
    const fillStart = Date.now();
    const inFlight = new Set<Promise<unknown>>();
    for (let i = 0; i < agents; i++) {
      const agentId = randomUUID();
      const p = store.append({ tenantId: 'bench', category: 'agent', id: agentId }, agentEvents('bench', agentId, i), {
        expectedRevision: 'no_stream',
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      if (inFlight.size >= 256) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    process.stdout.write(`  wrote ${EVENTS} events in ${((Date.now() - fillStart) / 1000).toFixed(1)} s\n`);

    // Raw: an ordered consumer over the whole stream, counting messages, nothing decoded.
    const rawStart = process.hrtime.bigint();
    const consumer = await jetstream(nc).consumers.get('AOS_EVENTS');
    const messages = await consumer.consume();
    let raw = 0;
    for await (const m of messages) {
      raw++;
      if (m.info.pending === 0) break;
    }
    const rawSeconds = Number(process.hrtime.bigint() - rawStart) / 1e9;

    // Projection: the lifecycle service's start-up replay through the EventStore port.
    const projection = new AgentProjection();
    const projStart = process.hrtime.bigint();
    const sub = store.subscribe({ after: 0, filter: { category: 'agent' } }, (e) => projection.apply(e));
    await sub.caughtUp;
    const projSeconds = Number(process.hrtime.bigint() - projStart) / 1e9;
    await sub.close();

    if (raw !== EVENTS || projection.eventsApplied !== EVENTS) {
      throw new Error(`replay incomplete: raw ${raw}, projection ${projection.eventsApplied}, expected ${EVENTS}`);
    }
    const rawRate = raw / rawSeconds;
    const projRate = projection.eventsApplied / projSeconds;
    process.stdout.write(
      `  raw JetStream ordered consumer   ${rawRate.toFixed(0).padStart(9)} events/s  (${rawSeconds.toFixed(2)} s)\n`,
    );
    process.stdout.write(
      `  lifecycle projection replay      ${projRate.toFixed(0).padStart(9)} events/s  (${projSeconds.toFixed(2)} s)  ${((projRate / rawRate) * 100).toFixed(1)}% of raw\n`,
    );
    process.stdout.write(`  target: >= 50% of raw -> ${projRate / rawRate >= 0.5 ? 'met' : 'NOT met'}\n`);
  } finally {
    await nc.close();
    await store.close();
    await nats.stop();
  }
}
