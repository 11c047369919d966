/**
 * Bench (takeover-routing), issue 15: how soon a replacement routing process
 * answers routing decisions. A log of AOS_BENCH_TAKEOVER_AGENTS (10,000)
 * active agents with AOS_BENCH_TAKEOVER_TASKS (32) completed tasks each is
 * written straight into the event store, in the shapes of libs/domain, on a
 * private nats-server. Then, beside the raw read of the same log:
 * (b) routing started on it with no snapshot (a fresh snapshot bucket): the
 * whole log replayed and every agent indexed with WordNet; it then writes its
 * snapshot; (d) that process is killed with SIGKILL and started again (the
 * launcher's ServiceProcess, as npm start runs it) and (c) stopped and started
 * once more: each timed from the start of the process to the first answered
 * SubmitTask routed to an agent, beside the 10 s target, with routing's RSS.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '@nats-io/transport-node';
import { Objm } from '@nats-io/obj';
import { RoutingSubjects, TaskPriority, type ListTasksResponse, type Task } from '@aos/contracts';
import { createJetStreamEventStore, type EventStore, type NewEvent, type StreamRef } from '@aos/event-store';
import { serviceEntry, ServiceProcess, serviceRunner, startNatsServer, type NatsServerHandle } from '@aos/launcher';
import { ServiceClient, type RequestContext } from '@aos/messaging';
import { SNAPSHOT_BUCKET } from '@aos/service-host';
import { AGENTS as BASE_AGENTS, HISTORY } from '../libs/capability-router/test/routing-set';
import { closedLoop } from './measure';

const AGENT_COUNT = Number(process.env.AOS_BENCH_TAKEOVER_AGENTS ?? 10_000);
const TASKS_PER_AGENT = Number(process.env.AOS_BENCH_TAKEOVER_TASKS ?? 32);
/** Appends in flight while the log is written. */
const CONCURRENCY = Number(process.env.AOS_BENCH_TAKEOVER_CONCURRENCY ?? 64);
const TARGET_SECONDS = 10;
const TENANT = 'bench-takeover';
const SNAPSHOT_KEY = 'routing.log';

export async function benchTakeoverRouting(): Promise<void> {
  process.stdout.write(
    `\n(takeover-routing) a replacement routing process: ${AGENT_COUNT} active agents x ${TASKS_PER_AGENT} completed tasks in the log\n`,
  );
  const dataDir = await mkdtemp(join(tmpdir(), 'aos-bench-takeover-routing-'));
  let nats: NatsServerHandle | undefined;
  let routing: ServiceProcess | undefined;
  try {
    nats = await startNatsServer({ storeDir: dataDir });
    const store = await createJetStreamEventStore({ servers: nats.url });
    try {
      const seeded = await seed(store);
      process.stdout.write(
        `  log written: ${seeded.events} events (${seeded.appends} appends, ${CONCURRENCY} in flight) in ${seeded.seconds.toFixed(1)} s\n`,
      );
      const read = await rawRead(store);
      process.stdout.write(
        `  (a) raw read of the log (store.readAll, the baseline): ${read.count} events in ${read.seconds.toFixed(2)} s\n`,
      );
    } finally {
      await store.close();
    }

    const client = new ServiceClient(nats.url);
    await client.connect();
    const snapshots = await snapshotWatch(nats.url);
    try {
      const env = {
        ...process.env,
        AOS_NATS_URL: nats.url,
        AOS_LOG_LEVEL: process.env.AOS_BENCH_TAKEOVER_LOG_LEVEL ?? 'log',
        AOS_METRICS_ADDR: '',
      };
      routing = new ServiceProcess({
        name: 'routing',
        entry: serviceEntry('routing', serviceRunner()),
        env,
        output: 'prefix',
        readyTimeoutMs: 30 * 60_000,
      });

      const replayed = await timedStart(routing, client, 'b');
      report('(b) start by full replay (no snapshot yet)', replayed);
      const written = await snapshots.waitForNew(replayed.startedAt, 30 * 60_000);
      process.stdout.write(
        `      its snapshot written ${((written.mtime - replayed.startedAt) / 1000).toFixed(1)} s after the start (${(written.size / 1048576).toFixed(1)} MiB)\n`,
      );

      routing.kill();
      await routing.exited;
      const killed = await timedStart(routing, client, 'd');
      report('(d) restart after kill -9, from the snapshot', killed);

      await routing.stop();
      const restarted = await timedStart(routing, client, 'c');
      report('(c) start from the snapshot (after a clean stop)', restarted);
      await readsBack(client, [replayed.taskId, killed.taskId, restarted.taskId]);
      process.stdout.write(
        `  target: a replacement answers within ${TARGET_SECONDS} s at ${AGENT_COUNT} agents -> ${killed.seconds <= TARGET_SECONDS ? 'met' : 'NOT met'} after kill -9 (${killed.seconds.toFixed(2)} s; full replay ${replayed.seconds.toFixed(2)} s)\n`,
      );
      await routing.stop();
      routing = undefined;
    } finally {
      await snapshots.close();
      await client.close();
    }
  } finally {
    if (routing?.running) await routing.stop();
    await nats?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

interface Started {
  startedAt: number;
  /** Process start to the first SubmitTask answered with an agent. */
  seconds: number;
  /** The process's own readiness (listening on NATS). */
  readySeconds: number;
  rssMiB: number;
  chosen: string;
  taskId: string;
}

function report(what: string, s: Started): void {
  process.stdout.write(
    `  ${what}: first routing decision ${s.seconds.toFixed(2)} s after the process started (listening at ${s.readySeconds.toFixed(2)} s), routing RSS then ${s.rssMiB.toFixed(0)} MiB; chose ${s.chosen}\n`,
  );
}

/**
 * Starts the process and submits one task (the same request id, retried every
 * 50 ms while nobody answers) until it is answered routed to an agent.
 */
async function timedStart(routing: ServiceProcess, client: ServiceClient, label: string): Promise<Started> {
  const startedAt = Date.now();
  const t0 = performance.now();
  let readySeconds = NaN;
  let failed: unknown;
  const ready = routing.start().then(
    () => (readySeconds = (performance.now() - t0) / 1000),
    (err: unknown) => {
      failed = err;
    },
  );
  const requestId = randomUUID();
  const base = BASE_AGENTS[3]!;
  const text = `${HISTORY.find((h) => h.kind === 'completed' && h.agentId === base.id)?.text ?? base.description} (${label})`;
  const deadline = t0 + 30 * 60_000;
  for (;;) {
    if (failed) throw failed;
    if (!Number.isNaN(readySeconds) && !routing.running) throw new Error('routing exited after it was ready');
    try {
      const task: Task = await client.request(RoutingSubjects.submit, ctx(), {
        task: { text, requiredCapabilities: [], agentId: '', priority: TaskPriority.TASK_PRIORITY_UNSPECIFIED },
        requestId,
      });
      if (!task.assignedAgentId) throw new Error(`task ${task.id} was not routed: ${task.routing?.rationale ?? ''}`);
      const seconds = (performance.now() - t0) / 1000;
      await ready;
      return {
        startedAt,
        seconds,
        readySeconds,
        rssMiB: rssMiB(routing.pid!),
        chosen: task.assignedAgentId,
        taskId: task.id,
      };
    } catch (err) {
      if (performance.now() > deadline) throw err;
      if (!isNotAnsweringYet(err)) throw err;
      await sleep(50);
    }
  }
}

function isNotAnsweringYet(err: unknown): boolean {
  const text = String((err as { code?: unknown })?.code ?? '') + ' ' + String((err as Error)?.message ?? err);
  return /no responders|503|UNAVAILABLE|timeout|TIMEOUT|DEADLINE|disconnect/i.test(text);
}

function ctx(): RequestContext {
  return { tenantId: TENANT, actor: { kind: 'user', id: 'bench' }, correlationId: randomUUID() };
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** The snapshot object's newest version, polled (the bench only reads its metadata). */
async function snapshotWatch(natsUrl: string) {
  const nc = await connect({ servers: natsUrl });
  return {
    async waitForNew(after: number, timeoutMs: number): Promise<{ mtime: number; size: number }> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          const info = await (await new Objm(nc).open(SNAPSHOT_BUCKET)).info(SNAPSHOT_KEY);
          const mtime = info ? Date.parse(info.mtime) : 0;
          if (info && !info.deleted && mtime >= after) return { mtime, size: info.size };
        } catch {
          // The bucket does not exist until routing creates it.
        }
        if (Date.now() > deadline) throw new Error(`no snapshot ${SNAPSHOT_KEY} within ${timeoutMs} ms`);
        await sleep(500);
      }
    },
    close: () => nc.close(),
  };
}

/** Reads of tasks timed after the restarts. */
const READS = 200;
/** The first task of the first READS agents: finished long ago, so routing keeps them as summaries. */
const FINISHED_SAMPLE: string[] = [];

/**
 * What keeping old finished tasks as summaries costs a reader: GetTask of a
 * task finished long ago (read back from the log) beside one routing keeps
 * whole, and a ListTasks page of 1,000 such tasks beside the first page
 * (newest, mostly kept whole).
 */
async function readsBack(client: ServiceClient, whole: string[]): Promise<void> {
  const timed = async (ids: string[]) => {
    const ms: number[] = [];
    for (let i = 0; i < READS; i++) {
      const t0 = performance.now();
      const task: Task = await client.request(RoutingSubjects.get, ctx(), { id: ids[i % ids.length]!, minPosition: 0 });
      ms.push(performance.now() - t0);
      if (!task.id || task.steps.length === 0) throw new Error(`GetTask ${task.id} came back without its steps`);
    }
    ms.sort((a, b) => a - b);
    return `p50 ${ms[Math.floor(ms.length / 2)]!.toFixed(1)} ms, p99 ${ms[Math.floor(ms.length * 0.99)]!.toFixed(1)} ms`;
  };
  const list = async (pageToken: string) => {
    const t0 = performance.now();
    const page: ListTasksResponse = await client.request(RoutingSubjects.list, ctx(), {
      pageSize: 1000,
      pageToken,
      filter: '',
      minPosition: 0,
    });
    return { page, ms: performance.now() - t0 };
  };
  const summarised = await timed(FINISHED_SAMPLE);
  const kept = await timed(whole);
  const first = await list('');
  const second = await list(first.page.nextPageToken);
  process.stdout.write(
    `  reads: GetTask of a task finished long ago (read back from the log) ${summarised}; of one kept whole ${kept} (${READS} calls each); ` +
      `ListTasks of 1,000 finished long ago ${second.ms.toFixed(0)} ms (${second.page.tasks.length} tasks), of the newest 1,000 (kept whole) ${first.ms.toFixed(0)} ms\n`,
  );
}

async function rawRead(store: EventStore): Promise<{ count: number; seconds: number }> {
  const t0 = performance.now();
  let count = 0;
  for await (const event of store.readAll()) if (event) count++;
  return { count, seconds: (performance.now() - t0) / 1000 };
}

const texts = (agentId: string) =>
  HISTORY.filter((h) => h.kind === 'completed' && h.agentId === agentId).map((h) => h.text);

/** Every agent created and deployed, then its tasks submitted, routed to it, started and succeeded by their runs. */
async function seed(store: EventStore): Promise<{ events: number; appends: number; seconds: number }> {
  const byBase = new Map(BASE_AGENTS.map((a) => [a.id, texts(a.id)]));
  let events = 0;
  let appends = 0;
  const append = async (category: string, id: string, batch: NewEvent[]) => {
    const ref: StreamRef = { tenantId: TENANT, category, id };
    await store.append(ref, batch, { expectedRevision: 'no_stream' });
    events += batch.length;
    appends++;
  };
  const result = await closedLoop(CONCURRENCY, AGENT_COUNT, async (i) => {
    const base = BASE_AGENTS[i % BASE_AGENTS.length]!;
    const agentId = `agent-${String(i).padStart(6, '0')}`;
    const name = `${base.name} ${i}`;
    await append('agent', agentId, [
      newEvent('AgentCreated', {
        agentId,
        definition: {
          name,
          description: base.description,
          capabilities: base.capabilities,
          instructions: '',
          model: '',
          toolIds: [],
          knowledgeBaseIds: [],
          labels: {},
        },
        definitionVersion: 1,
        createdBy: 'bench',
      }),
      newEvent('AgentDeployed', { agentId, reason: '' }),
    ]);
    const learned = byBase.get(base.id)!;
    for (let t = 0; t < TASKS_PER_AGENT; t++) {
      const taskId = randomUUID();
      if (FINISHED_SAMPLE.length < READS && t === 0) FINISHED_SAMPLE.push(taskId);
      const runId = `${taskId}-1`;
      const text = `${learned[(i + t) % learned.length]!} #${t}`;
      const decision = {
        router: 'lexical',
        chosenAgentId: agentId,
        candidates: [{ agentId, agentName: name, score: 1, lexicalScore: 1, loadPenalty: 0, queueLength: 0 }],
        rationale: `chose ${name}`,
      };
      const request = `req-${taskId}`;
      await append('task', taskId, [
        newEvent(
          'TaskSubmitted',
          { taskId, text, requiredCapabilities: [], requestedAgentId: '', priority: 'NORMAL', submittedBy: 'bench' },
          request,
        ),
        newEvent('TaskRouted', { taskId, agentId, cause: 'submitted', decision }, request),
        newEvent('TaskStarted', { taskId, runId, attempt: 1, agentId, runner: 'bench' }, `claim-${taskId}`),
      ]);
      await append('run', runId, [
        newEvent('RunStarted', {
          runId,
          taskId,
          attempt: 1,
          agentId,
          definitionVersion: 1,
          model: '',
          runner: 'bench',
          previousRunId: '',
        }),
        newEvent('RunSucceeded', { runId, result: `done #${t}` }),
      ]);
    }
  });
  return { events, appends, seconds: result.seconds };
}

function newEvent(type: string, data: unknown, requestId: string = randomUUID()): NewEvent {
  const id = randomUUID();
  return {
    id,
    type,
    data,
    metadata: {
      tenantId: TENANT,
      actor: { kind: 'system', id: 'bench' },
      correlationId: requestId,
      causationId: requestId,
      requestId,
      schemaVersion: 1,
    },
  };
}
