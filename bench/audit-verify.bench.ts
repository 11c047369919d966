/**
 * Bench (h): VerifyLog over a tenant's log of 1M events (issue 14), beside a
 * raw read of the same events through the same EventStore port, and that read
 * with each event's leaf hashed (canonical JSON + SHA-256), all in this run.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditSubjects } from '@aos/contracts';
import { loadConfig } from '@aos/config';
import { CHECKPOINT_CATEGORY, SEALED_DATA_FIELDS } from '@aos/domain';
import { createEventStore, type EventStore, type NewEvent } from '@aos/event-store';
import { ServiceClient, type RequestContext } from '@aos/messaging';
import { eventLeaf } from '@aos/merkle-log';
import { startNatsServer } from '@aos/testing';
import { startAudit } from '../services/audit/src/bootstrap';

const EVENTS = Number(process.env.AOS_BENCH_AUDIT_EVENTS ?? 1_000_000);
const BATCH = 100;
const IN_FLIGHT = 16;
const TENANT = 'bench';
/** VerifyLog and CreateCheckpoint over a million events take minutes, not the client's default seconds. */
const LONG = 900_000;

const ctx = (): RequestContext => ({
  tenantId: TENANT,
  actor: { kind: 'user', id: 'auditor' },
  correlationId: randomUUID(),
});

const TYPES = ['AgentUpdated', 'TaskStarted', 'ToolCalled', 'TaskCompleted'] as const;

/** A batch of one stream's events: full envelopes, data of a few fields, ~200–400 bytes of JSON each. */
function batch(stream: number): NewEvent[] {
  return Array.from({ length: BATCH }, (_, i) => ({
    id: randomUUID(),
    type: i === 0 ? 'AgentCreated' : TYPES[i % TYPES.length]!,
    data: {
      agentId: `agent-${stream}`,
      taskId: randomUUID(),
      step: i,
      status: i % 7 === 0 ? 'FAILED' : 'OK',
      summary: `step ${i} of stream ${stream}: ${'looked up the customer record and drafted a reply '.repeat(1 + (i % 4))}`,
      labels: { team: 'billing', region: i % 2 ? 'eu-west' : 'us-east' },
    },
    metadata: {
      tenantId: TENANT,
      actor: { kind: 'user', id: 'alice' },
      correlationId: randomUUID(),
      causationId: randomUUID(),
      requestId: `req-${randomUUID()}`,
      schemaVersion: 1,
    },
  }));
}

async function fill(store: EventStore): Promise<number> {
  const streams = Math.ceil(EVENTS / BATCH);
  const inFlight = new Set<Promise<unknown>>();
  let bytes = 0;
  for (let s = 0; s < streams; s++) {
    const events = batch(s);
    if (s === 0) bytes = events.reduce((n, e) => n + JSON.stringify(e.data).length, 0) / events.length;
    const p = store.append({ tenantId: TENANT, category: 'agent', id: `a${s}` }, events, {
      expectedRevision: 'no_stream',
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return bytes;
}

const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;
const rate = (n: number, s: number) => `${(n / s).toFixed(0).padStart(9)} events/s  (${s.toFixed(1)} s)`;

export async function benchAuditVerify(): Promise<void> {
  process.stdout.write(`\n(h) VerifyLog over ${EVENTS} events of one tenant\n`);
  const nats = await startNatsServer();
  const dataDir = await mkdtemp(join(tmpdir(), 'aos-bench-audit-'));
  const store = await createEventStore({ kind: 'jetstream', natsUrl: nats.url });
  const client = new ServiceClient(nats.url);
  let audit: Awaited<ReturnType<typeof startAudit>> | undefined;
  try {
    let t = process.hrtime.bigint();
    const dataBytes = await fill(store);
    process.stdout.write(
      `  wrote ${EVENTS} events (${BATCH} a stream, ${IN_FLIGHT} appends in flight, data ~${dataBytes.toFixed(0)} bytes of JSON) in ${seconds(t).toFixed(1)} s\n`,
    );

    t = process.hrtime.bigint();
    audit = await startAudit(
      loadConfig({
        AOS_NATS_URL: nats.url,
        AOS_DATA_DIR: dataDir,
        AOS_LOG_LEVEL: 'warn',
        AOS_AUDIT_CHECKPOINT_INTERVAL_MS: '0',
      }),
    );
    await client.connect();
    process.stdout.write(`  audit service started (its index replayed the log) in ${seconds(t).toFixed(1)} s\n`);

    t = process.hrtime.bigint();
    const checkpoint = await client.request(AuditSubjects.createCheckpoint, ctx(), {}, LONG);
    const signing = seconds(t);
    const checkpoints = (await store.readStream({ tenantId: TENANT, category: CHECKPOINT_CATEGORY, id: TENANT }))
      .length;
    process.stdout.write(
      `  CreateCheckpoint: ${checkpoints} checkpoints over ${checkpoint.treeSize} leaves in ${signing.toFixed(1)} s (${(checkpoint.treeSize / signing).toFixed(0)} leaves/s, hashed and signed)\n`,
    );

    // Untimed: CreateCheckpoint again waits until the audit index holds the checkpoints' own events, and signs nothing.
    await client.request(AuditSubjects.createCheckpoint, ctx(), {}, LONG);

    // (a) The raw read VerifyLog does: the tenant's events through the EventStore port, counted.
    t = process.hrtime.bigint();
    let raw = 0;
    for await (const _ of store.readAll({ filter: { tenantId: TENANT } })) raw++;
    const rawSeconds = seconds(t);
    const rawRate = raw / rawSeconds;
    process.stdout.write(`  raw read (EventStore readAll, tenant filter)  ${rate(raw, rawSeconds)}\n`);

    // (b) The same read with each event's leaf computed: canonical JSON of the sealed event + SHA-256.
    t = process.hrtime.bigint();
    let hashed = 0;
    let xor = 0;
    for await (const e of store.readAll({ filter: { tenantId: TENANT } })) {
      xor ^= eventLeaf(e, SEALED_DATA_FIELDS)[0]!;
      hashed++;
    }
    const hashSeconds = seconds(t);
    process.stdout.write(
      `  raw read + leaf hash (canonical JSON, SHA-256) ${rate(hashed, hashSeconds)}  ${((hashed / hashSeconds / rawRate) * 100).toFixed(1)}% of raw  (xor ${xor})\n`,
    );

    // (c) VerifyLog through NATS: the checkpoint chain checked, then every event read, hashed and compared.
    t = process.hrtime.bigint();
    const result = await client.request(AuditSubjects.verifyLog, ctx(), {}, LONG);
    const verifySeconds = seconds(t);
    const verifyRate = result.eventsChecked / verifySeconds;
    process.stdout.write(
      `  VerifyLog via NATS                            ${rate(result.eventsChecked, verifySeconds)}  ${((verifyRate / rawRate) * 100).toFixed(1)}% of raw\n`,
    );
    process.stdout.write(
      `  VerifyLog: ok ${result.ok}, ${result.eventsChecked} events checked, ${result.checkpointsChecked} checkpoints, verified tree size ${result.verifiedTreeSize}, ${result.unverifiedEvents} unverified\n`,
    );
    if (hashed !== raw) throw new Error(`the hashed read saw ${hashed} events, the raw read ${raw}`);
    if (result.eventsChecked !== raw) {
      process.stdout.write(`  NOTE: VerifyLog read ${result.eventsChecked} events, the raw reads ${raw}\n`);
    }
    if (!result.ok || result.eventsChecked < EVENTS) {
      throw new Error(`VerifyLog did not verify the untouched log: ${result.problem}: ${result.reason}`);
    }
    process.stdout.write(
      `  bench process (audit service in it) max RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB, RSS now ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB\n`,
    );
  } finally {
    await client.close();
    await audit?.close();
    await store.close();
    await nats.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
