import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  evolveAgentSnapshot,
  evolveTask,
  initialTaskState,
  parseAgentEvent,
  parseRunEvent,
  parseTaskEvent,
  type AgentSnapshot,
  type TaskAggregateState,
} from '@aos/domain';
import type { Agent, PolicyRule, Task, Tool } from '@aos/contracts';
import type { EventStore, RecordedEvent } from '@aos/event-store';
import { AosClientError, type AosClient } from '@aos/grpc-client';
import {
  startClusterTestStack,
  startScriptedModelServer,
  type ClusterTestStack,
  type NatsClusterHandle,
  type ScriptedModelServer,
  type TestStack,
} from '@aos/testing';

/**
 * The chaos suite: two instances of every service on a 3-node JetStream
 * cluster (the log and the KV buckets at three replicas), under a steady mix
 * of CreateAgent, UpdateAgent and SubmitTask whose runs call an HTTP tool,
 * from clients that retry a call with the same request id (through the other
 * gateway) until it is answered. Meanwhile: one instance of every backend
 * service is killed (kill -9) three times, a gateway once, the log's
 * JetStream leader once (and restarted), and a node is paused (SIGSTOP) for
 * longer than the cluster's heartbeat. Then the log must show: every
 * acknowledged command's events exactly once, no name held twice, never two
 * running attempts of a task, every task ended, and every read model in
 * agreement with a fresh replay of the log.
 */
const CHAOS_MS = Number(process.env.AOS_CHAOS_MS ?? 60_000);
const WORKERS = 3;
const LEASE_MS = 3_000;
const AGENT_LIMIT = 2;

let stack: ClusterTestStack;
let cluster: NatsClusterHandle;
let model: ScriptedModelServer;
let echo: Server;
let t: TestStack;
let store: EventStore;
let gateways: AosClient[];

beforeAll(async () => {
  model = await startScriptedModelServer();
  // Each run: the model calls the tool once, then answers.
  model.otherwise((request) =>
    request.messages.some((m) => m.role === 'tool')
      ? { content: 'done', delayMs: 50 }
      : { toolCalls: [{ name: 'chaos_echo', arguments: { n: 1 } }], delayMs: 50 },
  );
  echo = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"echo":true}'));
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  stack = await startClusterTestStack({
    env: { AOS_OPENAI_BASE_URL: model.baseURL, AOS_ROUTER: 'lexical', AOS_RUN_LEASE_MS: String(LEASE_MS) },
  });
  ({ cluster, t, store } = stack);
  gateways = [t.clientOf(0), t.clientOf(1)];
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  await model?.stop();
  await new Promise((r) => echo?.close(r));
});

const rid = () => randomUUID();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RETRYABLE = new Set(['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'ABORTED', 'CANCELLED', 'UNKNOWN_CONNECTION']);

type Kind = 'CreateAgent' | 'UpdateAgent' | 'SubmitTask';
interface Attempted {
  kind: Kind;
  requestId: string;
  acked: boolean;
  /** The code that ended it, when it was refused for good. */
  refusal?: string;
}

const attempted: Attempted[] = [];
const refusals: Record<string, number> = {};
const ackTimes: number[] = [];

/** Calls until answered, alternating gateways, with the same request id: how a client that wants no duplicates retries. */
async function reliably<T>(
  kind: Kind,
  requestId: string,
  call: (api: AosClient) => Promise<T>,
): Promise<T | undefined> {
  const record: Attempted = { kind, requestId, acked: false };
  attempted.push(record);
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      const result = await call(gateways[attempt % 2]!);
      record.acked = true;
      ackTimes.push(Date.now());
      return result;
    } catch (err) {
      const code = err instanceof AosClientError ? err.code : 'UNKNOWN_CONNECTION';
      refusals[code] = (refusals[code] ?? 0) + 1;
      if (!RETRYABLE.has(code) || Date.now() - started > 90_000) {
        record.refusal = code;
        return undefined;
      }
      await sleep(150);
    }
  }
}

async function logEvents(): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const e of store.readAll({ filter: { tenantId: 'default' } })) events.push(e);
  return events;
}

describe('chaos: two instances of every service on a 3-node cluster', () => {
  it(
    'keeps every invariant through kills of service instances, of the JetStream leader, and a paused node',
    { timeout: CHAOS_MS + 300_000 },
    async () => {
      const api = gateways[0]!;
      const tool = await api.tools.registerTool({
        tool: {
          name: 'chaos_echo',
          risk: 'READ',
          http: { endpoint: `http://127.0.0.1:${(echo.address() as AddressInfo).port}/echo`, method: 'POST' },
          inputSchemaJson: '{"type":"object","properties":{"n":{"type":"number"}}}',
        } as unknown as Tool,
        requestId: rid(),
      });
      const workers: Agent[] = [];
      for (let i = 0; i < 4; i++) {
        const created = await api.agents.createAgent({
          agent: {
            name: `chaos-worker-${i}-${rid().slice(0, 6)}`,
            description: 'chaos work',
            toolIds: [tool.id],
            labels: { 'aos.max_concurrent_tasks': String(AGENT_LIMIT) },
          } as unknown as Agent,
          requestId: rid(),
        });
        await api.governance.addPolicyRule({
          rule: {
            subject: `agent:${created.id}`,
            action: 'tools.call',
            resource: `tools/${tool.id}`,
            effect: 'ALLOW' as PolicyRule['effect'],
          } as PolicyRule,
          requestId: rid(),
        });
        workers.push(await api.agents.deployAgent({ id: created.id, requestId: rid(), reason: '' }));
      }

      // Probes: one short call every 200 ms, through each gateway in turn.
      const probes: { at: number; ok: boolean }[] = [];
      let probing = true;
      const prober = (async () => {
        for (let i = 0; probing; i++) {
          const at = Date.now();
          const ok = await gateways[i % 2]!.agents.listAgents({ pageSize: 1 }, { deadlineMs: 2_000 }).then(
            () => true,
            () => false,
          );
          probes.push({ at, ok });
          await sleep(200);
        }
      })();

      // The load.
      const names: string[] = [];
      const mine: string[] = [];
      const tasks: string[] = [];
      let loading = true;
      const worker = async (w: number) => {
        for (let n = 0; loading; n++) {
          const roll = (n * 7 + w * 3) % 10;
          if (roll < 4) {
            // Now and then a name already taken: it must stay held by one agent.
            const name =
              names.length > 0 && n % 5 === 0 ? names[n % names.length]! : `chaos-${w}-${n}-${rid().slice(0, 6)}`;
            const requestId = rid();
            const agent = await reliably('CreateAgent', requestId, (g) =>
              g.agents.createAgent({ agent: { name, description: 'v0' } as Agent, requestId }, { deadlineMs: 10_000 }),
            );
            if (agent) {
              names.push(name);
              mine.push(agent.id);
            }
          } else if (roll < 6 && mine.length > 0) {
            const requestId = rid();
            const id = mine[n % mine.length]!;
            await reliably('UpdateAgent', requestId, (g) =>
              g.agents.updateAgent(
                { id, agent: { description: `v${n}` } as Agent, updateMask: ['description'], requestId },
                { deadlineMs: 10_000 },
              ),
            );
          } else {
            const requestId = rid();
            const task = await reliably('SubmitTask', requestId, (g) =>
              g.tasks.submitTask(
                {
                  task: {
                    text: `chaos task ${w}/${n}`,
                    agentId: workers[n % workers.length]!.id,
                  } as Partial<Task> as Task,
                  requestId,
                },
                { deadlineMs: 10_000 },
              ),
            );
            if (task) tasks.push(task.id);
          }
        }
      };
      const load = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));

      // The chaos, spread over CHAOS_MS.
      const actions: { what: string; at: number }[] = [];
      const act = async (what: string, fn: () => Promise<void> | void) => {
        actions.push({ what, at: Date.now() });
        await fn();
      };
      const killBackend = async (i: number, downMs: number) => {
        const backend = t.stack.replicas.lifecycle[i]!;
        await act(`kill -9 ${backend.name} (one instance of every backend service)`, async () => {
          backend.kill();
          await backend.exited;
        });
        await sleep(downMs);
        await backend.start();
      };
      const step = CHAOS_MS / 8;
      await sleep(step);
      await killBackend(1, 2_000);
      await sleep(step / 2);
      const gateway = t.stack.replicas.gateway[1]!;
      await act(`kill -9 ${gateway.name}`, async () => {
        gateway.kill();
        await gateway.exited;
      });
      await sleep(2_000);
      // It comes back on the same port (its clients reconnect to it).
      await restartGatewayOnItsPort(gateway, t.gatewayAddrs[1]!);
      await sleep(step / 2);
      const leader = await cluster.leaderOf('AOS_EVENTS');
      await act(`kill -9 nats node ${leader} (the AOS_EVENTS leader)`, () => cluster.kill(leader));
      await sleep(5_000);
      await cluster.restart(leader);
      await sleep(step);
      await killBackend(0, 2_000);
      await sleep(step / 2);
      const paused = ((await cluster.leaderOf('AOS_EVENTS')) + 1) % 3;
      await act(`SIGSTOP nats node ${paused} for 6 s`, () => cluster.pause(paused));
      await sleep(6_000);
      cluster.resume(paused);
      await sleep(step / 2);
      await killBackend(1, 2_000);
      await sleep(step);

      loading = false;
      const loadEnded = Date.now();
      await load;
      // Drain: every task ends (or the wait gives up and the assertions say which did not).
      const submitted = new Set(tasks);
      const deadline = Date.now() + 120_000;
      let states = new Map<string, string>();
      while (Date.now() < deadline) {
        states = await taskStates(submitted);
        if ([...states.values()].every((s) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(s))) break;
        await sleep(500);
      }
      probing = false;
      await prober;

      // ---- the figures ----
      const byKind = (kind: Kind, acked: boolean) =>
        attempted.filter((a) => a.kind === kind && a.acked === acked).length;
      const sortedAcks = ackTimes.slice().sort((a, b) => a - b);
      // Each fault is measured until the next one (or for 15 s after the last), so one outage is not counted twice.
      const recovery = actions.map(({ what, at }, i) => {
        const until = Math.min(actions[i + 1]?.at ?? at + 15_000, loadEnded);
        return {
          what,
          unavailableMs: unavailabilityAfter(probes, at, until),
          writeGapMs: longestGap(sortedAcks, at, until),
        };
      });
      const gaps = longestGap(sortedAcks, sortedAcks[0] ?? 0, Infinity);
      const stateCounts: Record<string, number> = {};
      for (const s of states.values()) stateCounts[s] = (stateCounts[s] ?? 0) + 1;
      process.stdout.write(
        [
          `chaos over ${CHAOS_MS} ms, ${WORKERS} clients, ${actions.length} actions:`,
          ...recovery.map(
            (r) =>
              `  ${r.what}: reads (probes) failed for ${r.unavailableMs} ms at most; longest wait between two acknowledged commands before the next fault: ${r.writeGapMs} ms`,
          ),
          `  acked: CreateAgent ${byKind('CreateAgent', true)}, UpdateAgent ${byKind('UpdateAgent', true)}, SubmitTask ${byKind('SubmitTask', true)}`,
          `  refused for good: ${attempted.filter((a) => a.refusal).length} (${JSON.stringify(countBy(attempted.filter((a) => a.refusal).map((a) => a.refusal!)))})`,
          `  answers that were retried, by code: ${JSON.stringify(refusals)}`,
          `  longest gap between two acknowledged commands: ${gaps} ms`,
          `  tasks: ${JSON.stringify(stateCounts)}`,
          ...(await failureReasons(states)).map((reason) => `  a task failed: ${reason}`),
        ].join('\n') + '\n',
      );

      // ---- the invariants, from the log ----
      const log = await logEvents();
      const byRequest = new Map<string, RecordedEvent[]>();
      for (const e of log) {
        const list = byRequest.get(e.metadata.requestId) ?? [];
        list.push(e);
        byRequest.set(e.metadata.requestId, list);
      }
      const firstEventOf: Record<Kind, string> = {
        CreateAgent: 'AgentCreated',
        UpdateAgent: 'AgentUpdated',
        SubmitTask: 'TaskSubmitted',
      };
      let lost = 0;
      let duplicated = 0;
      for (const a of attempted) {
        const count = (byRequest.get(a.requestId) ?? []).filter((e) => e.type === firstEventOf[a.kind]).length;
        if (a.acked && count === 0) lost++;
        if (count > 1) duplicated++;
      }
      process.stdout.write(`  acknowledged commands lost: ${lost}; commands written more than once: ${duplicated}\n`);
      expect(lost).toBe(0);
      expect(duplicated).toBe(0);
      expect(attempted.filter((a) => a.acked).length).toBeGreaterThan(50);
      // Refused for good only where the command itself was refused (a name already held), never for the outage.
      expect(new Set(attempted.filter((a) => a.refusal).map((a) => a.refusal))).toEqual(
        new Set(attempted.some((a) => a.refusal) ? ['ALREADY_EXISTS'] : []),
      );

      // No name held by two agents.
      const heldNames = log
        .filter((e) => e.type === 'AgentCreated')
        .map((e) => (e.data as { definition: { name: string } }).definition.name.toLowerCase());
      expect(heldNames.length - new Set(heldNames).size).toBe(0);

      // Never two running attempts of a task, never more than the limit per agent.
      expect(runningViolations(log)).toEqual([]);

      // Every task ended.
      expect([...states.entries()].filter(([, s]) => !['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(s))).toEqual([]);

      // Every read model agrees with a fresh replay of the log, whichever instance answers.
      const head = await store.headPosition();
      const replayedAgents = replayAgents(log);
      for (const g of gateways) {
        for (let round = 0; round < 3; round++) {
          const served = await eventually(() => allAgents(g, head));
          expect(served.size).toBe(replayedAgents.size);
          for (const [id, agent] of replayedAgents) {
            const answer = served.get(id);
            expect(answer && [answer.state, answer.revision, answer.definitionVersion], id).toEqual([
              agent.snapshot.status,
              agent.revision,
              agent.snapshot.definitionVersion,
            ]);
          }
        }
      }
      const replayedTasks = replayTasks(log);
      for (const id of submitted) {
        const task = await eventually(() => gateways[tasks.indexOf(id) % 2]!.tasks.getTask({ id, minPosition: head }));
        const replayed = replayedTasks.get(id)!;
        expect([task.state, task.attempt], id).toEqual([replayed.status, 'attempt' in replayed ? replayed.attempt : 0]);
      }
    },
  );
});

/** A read as a client makes it: retried while the answer is UNAVAILABLE (the cluster may still be settling). */
async function eventually<T>(read: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await read();
    } catch (err) {
      const retry = err instanceof AosClientError && RETRYABLE.has(err.code) && Date.now() < deadline;
      if (!retry) throw err;
      await sleep(250);
    }
  }
}

async function taskStates(ids: ReadonlySet<string>): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  for (const id of ids) {
    const task = await eventually(() => gateways[0]!.tasks.getTask({ id })).catch(() => undefined);
    states.set(id, task?.state ?? 'UNREADABLE');
  }
  return states;
}

/**
 * The longest run of failed probes that began in [at, until), in ms (0 if every probe succeeded);
 * a run still failing at `until` is measured to its end.
 */
function unavailabilityAfter(probes: { at: number; ok: boolean }[], at: number, until: number): number {
  let longest = 0;
  let failingSince: number | undefined;
  for (const p of probes) {
    if (p.at < at) continue;
    if (!p.ok && p.at < until) failingSince ??= p.at;
    else if (failingSince !== undefined) {
      longest = Math.max(longest, p.at - failingSince);
      failingSince = undefined;
    }
    if (p.at >= until && failingSince === undefined) break;
  }
  return longest;
}

/**
 * The longest time in [from, to] without an acknowledgement (times sorted): between two of them,
 * from `from` to the first, and (for a finite `to`) from the last to `to` — a window with none is a gap as long as itself.
 */
function longestGap(sorted: number[], from: number, to: number): number {
  let longest = 0;
  let previous = from;
  for (const time of sorted) {
    if (time < from) continue;
    if (time > to) break;
    longest = Math.max(longest, time - previous);
    previous = time;
  }
  if (Number.isFinite(to)) longest = Math.max(longest, to - previous);
  return longest;
}

/** Why the failed tasks failed (a run may fail legitimately when what it called was unavailable). */
async function failureReasons(states: Map<string, string>): Promise<string[]> {
  const failed = [...states.entries()].filter(([, s]) => s === 'FAILED').map(([id]) => id);
  const reasons: string[] = [];
  for (const id of failed.slice(0, 5)) {
    const task = await eventually(() => gateways[0]!.tasks.getTask({ id }));
    reasons.push(`${task.failureCode}: ${task.failureReason}`);
  }
  return reasons;
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

/** Each violation found in log order: a second running attempt of a task, or an agent above its limit. */
function runningViolations(log: RecordedEvent[]): string[] {
  const violations: string[] = [];
  const runningRun = new Map<string, string>(); // taskId -> runId
  const runAgent = new Map<string, string>(); // runId -> agentId
  const perAgent = new Map<string, number>();
  const end = (taskId: string, runId: string) => {
    if (runningRun.get(taskId) !== runId) return;
    runningRun.delete(taskId);
    const agentId = runAgent.get(runId)!;
    perAgent.set(agentId, perAgent.get(agentId)! - 1);
  };
  for (const e of log) {
    const data = e.data as { runId?: string; agentId?: string };
    if (e.type === 'TaskStarted') {
      if (runningRun.has(e.streamId))
        violations.push(`task ${e.streamId}: ${data.runId} started while ${runningRun.get(e.streamId)} ran`);
      runningRun.set(e.streamId, data.runId!);
      runAgent.set(data.runId!, data.agentId!);
      const now = (perAgent.get(data.agentId!) ?? 0) + 1;
      perAgent.set(data.agentId!, now);
      if (now > AGENT_LIMIT) violations.push(`agent ${data.agentId}: ${now} runs at once at position ${e.position}`);
    } else if (e.type === 'TaskAttemptAbandoned' || e.type === 'TaskCancelled') {
      const runId = data.runId ?? runningRun.get(e.streamId);
      if (runId) end(e.streamId, runId);
    } else if (e.category === 'run' && (e.type === 'RunSucceeded' || e.type === 'RunFailed')) {
      end(e.streamId.slice(0, 36), data.runId!);
    }
  }
  return violations;
}

function replayAgents(log: RecordedEvent[]): Map<string, { snapshot: AgentSnapshot; revision: number }> {
  const agents = new Map<string, { snapshot: AgentSnapshot; revision: number }>();
  for (const e of log) {
    if (e.category !== 'agent') continue;
    const event = parseAgentEvent(e.type, e.data);
    if (!event) continue;
    agents.set(e.streamId, {
      snapshot: evolveAgentSnapshot(agents.get(e.streamId)?.snapshot, event),
      revision: e.revision,
    });
  }
  return agents;
}

function replayTasks(log: RecordedEvent[]): Map<string, TaskAggregateState> {
  const tasks = new Map<string, TaskAggregateState>();
  for (const e of log) {
    const taskId = e.category === 'task' ? e.streamId : e.category === 'run' ? e.streamId.slice(0, 36) : undefined;
    if (!taskId) continue;
    const event = e.category === 'task' ? parseTaskEvent(e.type, e.data) : parseRunEvent(e.type, e.data);
    if (!event) continue;
    tasks.set(taskId, evolveTask(tasks.get(taskId) ?? initialTaskState, event));
  }
  return tasks;
}

async function allAgents(api: AosClient, minPosition: number): Promise<Map<string, Agent>> {
  const agents = new Map<string, Agent>();
  let pageToken = '';
  do {
    const page = await api.agents.listAgents({ pageSize: 1000, pageToken, minPosition });
    for (const a of page.agents) agents.set(a.id, a);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return agents;
}

/** Starts a killed gateway again on the port it had, so its clients find it where they left it. */
async function restartGatewayOnItsPort(
  gateway: (typeof t.stack.replicas.gateway)[number],
  address: string,
): Promise<void> {
  gateway.options.env.AOS_GATEWAY_ADDR = address;
  await gateway.start();
}
