/**
 * Bench (takeover-lifecycle), issue 15: how fast a replacement lifecycle
 * process is ready on a long log. AOS_BENCH_TAKEOVER_EVENTS (default
 * 1,000,000) events of agent-* and run-* streams in the domain's shapes
 * (services/lifecycle/test/support/lifecycle-history.ts: agents created,
 * deployed, updated, renamed, paused, retired, external sessions, health
 * changes, and runs with model calls, usage and their ends) are seeded into
 * an embedded nats-server; then, in this run:
 *
 *  - the raw read of the same events: readAll of agent-* and run-*, side by
 *    side as lifecycle's two subscriptions read them (the floor of a replay);
 *  - lifecycle (its own process, as npm start runs it) on an empty log: the
 *    fixed cost of a start (Node, Nest, NATS);
 *  - lifecycle by full replay (AOS_SNAPSHOT_EVENTS=0) until it answers
 *    ListAgents over NATS the way the gateway asks;
 *  - lifecycle with snapshots on and none kept yet: the same replay, then its
 *    snapshots written (what that costs, while it already answers);
 *  - after a tail of AOS_BENCH_TAKEOVER_TAIL more events, lifecycle from its
 *    snapshots until it answers; its answers checked against the log;
 *
 * each against the 10 s target, with the process's RSS once it answers.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { AGENT_CATEGORY, LifecycleSubjects, RUN_CATEGORY, type ListAgentsRequest } from '@aos/contracts';
import { createEventStore, type EventStore } from '@aos/event-store';
import { serviceEnv, serviceNodeArgs } from '@aos/launcher';
import { ServiceClient } from '@aos/messaging';
import { startNatsServer } from '@aos/testing';
import { appendHistory, settledHead } from '../services/lifecycle/test/support/lifecycle-history';

const EVENTS = Number(process.env.AOS_BENCH_TAKEOVER_EVENTS ?? 1_000_000);
const TAIL = Number(process.env.AOS_BENCH_TAKEOVER_TAIL ?? 5_000);
const TARGET_S = 10;
const TENANTS = Array.from({ length: 8 }, (_, i) => `tenant-${i}`);
const ENTRY = 'services/lifecycle/src/main.ts';

interface Started {
  /** From spawn to the first ListAgents answer. */
  readySeconds: number;
  rssMiB: number;
  lines: string[];
  /** Agents per tenant, as ListAgents counts them. */
  totals: number[];
  stop: () => Promise<void>;
}

/** Starts lifecycle as its own process and asks ListAgents until it answers. */
async function startLifecycle(natsUrl: string, client: ServiceClient, env: Record<string, string>): Promise<Started> {
  const started = performance.now();
  const child = spawn(process.execPath, [...serviceNodeArgs(ENTRY), ENTRY], {
    // The environment the launcher gives a service (serviceEnv: glibc's mmap threshold).
    env: serviceEnv({
      ...process.env,
      AOS_NATS_URL: natsUrl,
      AOS_LOG_LEVEL: 'log',
      AOS_RUN_LEASE_MS: '600000',
      ...env,
    }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines: string[] = [];
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exit.then(() => (exited = true));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)));
  const list = (tenantId: string) =>
    client.request(
      LifecycleSubjects.list,
      { tenantId, actor: { kind: 'user', id: 'bench' }, correlationId: randomUUID() },
      { pageSize: 1, pageToken: '', filter: '', minPosition: 0 } satisfies ListAgentsRequest,
      60_000,
    );
  for (;;) {
    if (exited) throw new Error(`lifecycle exited before answering:\n${lines.slice(-20).join('\n')}`);
    try {
      await list(TENANTS[0]!);
      break;
    } catch {
      // No responders yet: it is still replaying.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  const readySeconds = (performance.now() - started) / 1000;
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const rssMiB = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) / 1024;
  const totals: number[] = [];
  for (const tenantId of TENANTS) totals.push((await list(tenantId)).totalSize);
  return {
    readySeconds,
    rssMiB,
    lines,
    totals,
    stop: async () => {
      if (!exited) child.kill('SIGTERM');
      await exit;
    },
  };
}

/** Every agent-* and run-* event read through the port, the two categories side by side; agents created per tenant. */
async function rawRead(store: EventStore) {
  const created = new Map<string, number>();
  const started = performance.now();
  const counts = await Promise.all(
    [AGENT_CATEGORY, RUN_CATEGORY].map(async (category) => {
      let n = 0;
      for await (const event of store.readAll({ filter: { category } })) {
        n++;
        if (event.type === 'AgentCreated')
          created.set(event.metadata.tenantId, (created.get(event.metadata.tenantId) ?? 0) + 1);
      }
      return n;
    }),
  );
  return { agent: counts[0]!, run: counts[1]!, seconds: (performance.now() - started) / 1000, created };
}

const secs = (s: number) => `${s.toFixed(2)} s`;
const target = (s: number) => (s <= TARGET_S ? `met (<= ${TARGET_S} s)` : `NOT met (> ${TARGET_S} s)`);
const line = (text: string) => process.stdout.write(`  ${text}\n`);
/** The service's own log line that matches, without Nest's prefix. */
const logged = (lines: string[], match: string) =>
  lines
    .filter((l) => l.includes(match))
    // eslint-disable-next-line no-control-regex
    .map((l) => l.replace(/\u001b\[[0-9;]*m/g, '').replace(/^.*\[lifecycle\]\s*/, ''));

export async function benchTakeoverLifecycle(): Promise<void> {
  process.stdout.write(
    `\n(takeover-lifecycle) a replacement lifecycle process on ${EVENTS} agent-* and run-* events\n`,
  );
  const nats = await startNatsServer();
  const store = await createEventStore({ kind: 'jetstream', natsUrl: nats.url });
  const client = new ServiceClient(nats.url);
  await client.connect();
  try {
    const empty = await startLifecycle(nats.url, client, { AOS_SNAPSHOT_EVENTS: '0' });
    await empty.stop();
    line(
      `lifecycle on an empty log (fixed cost: Node, Nest, NATS): answers after ${secs(empty.readySeconds)}, RSS ${empty.rssMiB.toFixed(0)} MiB`,
    );

    const seeding = performance.now();
    const seeded = await appendHistory(store, EVENTS, { tenants: TENANTS, runShare: 0.3, concurrency: 512 });
    const seedSeconds = (performance.now() - seeding) / 1000;
    line(
      `seeded ${seeded} events in ${secs(seedSeconds)} (${(seeded / seedSeconds).toFixed(0)} events/s, appends of 1-4 events, 512 in flight)`,
    );

    // The first start on this log: no snapshot yet. Its health reactions record the health the seeded runs give
    // (a log the runtime and lifecycle wrote would hold them already); it writes snapshots as it applies them.
    const settledFrom = await store.headPosition();
    // A smaller log than AOS_SNAPSHOT_EVENTS per subscription would never be snapshotted: the threshold follows it.
    const writer = await startLifecycle(nats.url, client, {
      AOS_SNAPSHOT_INTERVAL_MS: '1000',
      AOS_SNAPSHOT_EVENTS: String(Math.min(10_000, Math.max(1, Math.floor(EVENTS / 10)))),
    });
    const settled = await settledHead(store, 3000);
    const until = Date.now() + 600_000;
    const written = (name: string) => logged(writer.lines, `wrote snapshot lifecycle.${name} `).length > 0;
    while (!(written('agent') && written('run')) && Date.now() < until)
      await new Promise((resolve) => setTimeout(resolve, 200));
    await writer.stop();
    line(
      `first start, snapshots on, none kept yet: answers after ${secs(writer.readySeconds)}; its health reactions then recorded ${settled - settledFrom} AgentHealthChanged; it wrote:`,
    );
    for (const l of [...logged(writer.lines, 'wrote snapshot'), ...logged(writer.lines, 'not written')])
      line(`    its log: ${l}`);

    const raw = await rawRead(store);
    const rawEvents = raw.agent + raw.run;
    line(
      `raw read (readAll, agent-* and run-* side by side): ${rawEvents} events (${raw.agent} agent, ${raw.run} run) in ${secs(raw.seconds)}, ${(rawEvents / raw.seconds).toFixed(0)} events/s; ${[...raw.created.values()].reduce((a, b) => a + b, 0)} agents`,
    );

    const full = await startLifecycle(nats.url, client, { AOS_SNAPSHOT_EVENTS: '0' });
    await full.stop();
    line(
      `lifecycle by full replay (AOS_SNAPSHOT_EVENTS=0): answers after ${secs(full.readySeconds)} = ${(full.readySeconds / raw.seconds).toFixed(2)}x the raw read; RSS ${full.rssMiB.toFixed(0)} MiB; target ${target(full.readySeconds)}`,
    );
    for (const l of logged(full.lines, 'caught up')) line(`    its log: ${l}`);

    const tail = await appendHistory(store, TAIL, { tenants: TENANTS, runShare: 0.3, prefix: 'tail', seed: 2 });
    const restored = await startLifecycle(nats.url, client, {});
    await restored.stop();
    line(
      `lifecycle from its snapshots, ${tail} events of tail: answers after ${secs(restored.readySeconds)} = ${(restored.readySeconds / raw.seconds).toFixed(2)}x the raw read, ${(restored.readySeconds / full.readySeconds).toFixed(2)}x the full replay; RSS ${restored.rssMiB.toFixed(0)} MiB; target ${target(restored.readySeconds)}`,
    );
    for (const l of [
      ...logged(restored.lines, 'restored'),
      ...logged(restored.lines, 'not used'),
      ...logged(restored.lines, 'caught up'),
    ])
      line(`    its log: ${l}`);

    // Its answers: every tenant's agent count as the log has it (the tail's agents included), as the full replay's plus the tail.
    const after = await rawRead(store);
    const expected = TENANTS.map((t) => after.created.get(t) ?? 0);
    const answered =
      expected.every((n, i) => restored.totals[i] === n) &&
      full.totals.every((n, i) => n === (raw.created.get(TENANTS[i]!) ?? 0));
    line(
      `ListAgents totals per tenant as the log counts them, full replay and from the snapshots: ${answered ? 'yes' : `NO (log ${expected.join(',')}; replay ${full.totals.join(',')}; restored ${restored.totals.join(',')})`}`,
    );
    if (!answered) throw new Error('lifecycle restored from its snapshots answers otherwise than the log says');
  } finally {
    await client.close();
    await store.close();
    await nats.stop();
  }
}
