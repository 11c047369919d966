import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent, Task, Tool } from '@aos/contracts';
import type { AosClient } from '@aos/grpc-client';
import {
  startScriptedModelServer,
  startTestStack,
  statusOf,
  taskEnd,
  type ScriptedModelServer,
  type TestStack,
} from '@aos/testing';
import { createEventStore, type EventStore } from '@aos/event-store';

/**
 * Prometheus /metrics of every process of the stack (the backend services
 * share one process here, the gateway has its own), each on a free port
 * (AOS_METRICS_ADDR=127.0.0.1:0; the launcher learns the bound address from
 * the process's ready message). The work done — CreateAgent calls, one
 * refused, a task whose model calls a tool — moves the families by exactly
 * what was done, and no label value is an id or the tenant.
 */
let t: TestStack;
let api: AosClient;
let model: ScriptedModelServer;
let toolServer: Server;
let store: EventStore;
const rid = () => randomUUID();

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

async function scrape(addr: string): Promise<Sample[]> {
  const res = await fetch(`http://${addr}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  const samples: Sample[] = [];
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    expect(match, line).not.toBeNull();
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match![2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: match![1]!, labels, value: Number(match![3]) });
  }
  return samples;
}

/** The value of the sample `name` with (at least) `labels`; 0 when there is none yet. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

async function scrapeAll(): Promise<{ gateway: Sample[]; backends: Sample[] }> {
  const [gateway, backends] = await Promise.all([
    scrape(t.stack.metricsAddrs.gateway!),
    scrape(t.stack.metricsAddrs.backends!),
  ]);
  return { gateway, backends };
}

beforeAll(async () => {
  model = await startScriptedModelServer();
  toolServer = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"shipped"}'));
  });
  await new Promise<void>((r) => toolServer.listen(0, '127.0.0.1', r));
  t = await startTestStack({
    env: {
      ...model.env,
      AOS_MODEL_PRICES: 'scripted-model=1000/2000',
      AOS_ROUTER: 'lexical',
      AOS_METRICS_ADDR: '127.0.0.1:0',
    },
  });
  api = t.client;
  store = await createEventStore({ kind: 'jetstream', natsUrl: t.natsUrl });
});

afterAll(async () => {
  await store?.close();
  await t?.stop();
  await model?.stop();
  await new Promise((r) => toolServer?.close(r));
});

function createAgent(name: string, toolIds: string[] = []): Promise<Agent> {
  return api.agents.createAgent({
    agent: { name, description: 'metrics', instructions: '', toolIds } as Partial<Agent> as Agent,
    requestId: rid(),
  });
}

describe('Prometheus /metrics on every process', () => {
  it('the launcher reports one address per process and each serves the process metrics; other paths are 404', async () => {
    expect(Object.keys(t.stack.metricsAddrs).sort()).toEqual(['backends', 'gateway']);
    const { gateway, backends } = await scrapeAll();
    for (const samples of [gateway, backends]) {
      expect(value(samples, 'process_cpu_seconds_total')).toBeGreaterThan(0);
      expect(samples.some((s) => s.name === 'nodejs_heap_size_used_bytes')).toBe(true);
    }
    expect((await fetch(`http://${t.stack.metricsAddrs.gateway}/other`)).status).toBe(404);
  });

  it('requests, appends, runs, tokens, cost and tool calls move by exactly the work done; no label holds an id or the tenant', async () => {
    const before = await scrapeAll();
    const created = [];
    for (let i = 0; i < 3; i++) created.push(await createAgent(`metrics-${rid().slice(0, 8)}`));
    // An agent with no name: refused at the service with INVALID_ARGUMENT.
    expect((await statusOf(createAgent(''))).code).toBe('INVALID_ARGUMENT');

    // A task whose model calls one tool (allowed: a READ tool), then answers.
    const port = (toolServer.address() as AddressInfo).port;
    const tool = await api.tools.registerTool({
      tool: {
        name: `order_status_${rid().slice(0, 6)}`,
        description: 'Status of an order',
        risk: 'READ' as Tool['risk'],
        http: { endpoint: `http://127.0.0.1:${port}/orders`, method: 'POST' },
        inputSchemaJson: '{"type":"object","properties":{"order":{"type":"string"}}}',
      } as Tool,
      requestId: rid(),
    });
    const worker = await createAgent(`metrics-worker-${rid().slice(0, 8)}`, [tool.id]);
    await api.agents.deployAgent({ id: worker.id, requestId: rid(), reason: '' });
    model.scriptFor(
      'metrics-case',
      {
        toolCalls: [{ id: 'call-m1', name: tool.name, arguments: { order: '7' } }],
        usage: { promptTokens: 40, completionTokens: 8 },
      },
      { content: 'Order 7 has shipped.', usage: { promptTokens: 7, completionTokens: 3 } },
    );
    const task = await api.tasks.submitTask({
      task: { text: 'metrics-case: where is order 7?', agentId: worker.id } as Partial<Task> as Task,
      requestId: rid(),
    });
    const ended = await taskEnd(store, task.id);
    expect(ended.type, JSON.stringify(ended.data)).toBe('RunSucceeded');

    // The runtime counts after its append returns; a scrape may come just before that.
    let after = await scrapeAll();
    for (let i = 0; i < 50 && value(after.backends, 'aos_runs_total', { outcome: 'succeeded' }) === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await scrapeAll();
    }
    const moved = (which: 'gateway' | 'backends', name: string, labels: Record<string, string> = {}) =>
      value(after[which], name, labels) - value(before[which], name, labels);

    // gRPC at the gateway: 4 CreateAgent calls (the last one with an empty name), 3 OK + the worker, 1 refused.
    const createAgentOk = { method: 'AgentService.CreateAgent', code: 'OK' };
    expect(moved('gateway', 'aos_grpc_requests_total', createAgentOk)).toBe(4);
    expect(moved('gateway', 'aos_grpc_requests_total', { ...createAgentOk, code: 'INVALID_ARGUMENT' })).toBe(1);
    expect(moved('gateway', 'aos_grpc_request_duration_seconds_count', createAgentOk)).toBe(4);
    expect(moved('gateway', 'aos_grpc_request_duration_seconds_sum', createAgentOk)).toBeGreaterThan(0);
    // NATS at lifecycle: the same calls, by subject.
    const lifecycleCreate = { subject: 'aos.lifecycle.create' };
    expect(moved('backends', 'aos_nats_requests_total', { ...lifecycleCreate, code: 'OK' })).toBe(4);
    expect(moved('backends', 'aos_nats_request_duration_seconds_count', { ...lifecycleCreate, code: 'OK' })).toBe(4);
    expect(moved('backends', 'aos_nats_requests_total', { ...lifecycleCreate, code: 'INVALID_ARGUMENT' })).toBe(1);
    // Appends: at least one per agent created, and the run's events.
    expect(
      moved('backends', 'aos_event_append_duration_seconds_count', { category: 'agent', result: 'ok' }),
    ).toBeGreaterThanOrEqual(4);
    expect(
      moved('backends', 'aos_event_append_duration_seconds_count', { category: 'run', result: 'ok' }),
    ).toBeGreaterThanOrEqual(3);
    // The runtime: one run succeeded, 47 input and 11 output tokens, 47 x 1000 + 11 x 2000 micros, one tool call allowed.
    expect(moved('backends', 'aos_runs_total', { outcome: 'succeeded' })).toBe(1);
    expect(moved('backends', 'aos_model_tokens_total', { direction: 'input' })).toBe(47);
    expect(moved('backends', 'aos_model_tokens_total', { direction: 'output' })).toBe(11);
    expect(moved('backends', 'aos_model_cost_micros_total')).toBe(47 * 1000 + 11 * 2000);
    expect(moved('backends', 'aos_tool_calls_total', { decision: 'allowed' })).toBe(1);
    // Governance's read model and the projections' lag are read when scraped.
    expect(after.backends.some((s) => s.name === 'aos_approvals_waiting')).toBe(true);
    expect(value(after.backends, 'aos_approvals_waiting')).toBe(0);
    const lags = after.backends.filter((s) => s.name === 'aos_projection_lag_positions');
    expect(lags.map((s) => s.labels.projection)).toContain('lifecycle.agent');
    for (const lag of lags) expect(lag.value).toBeGreaterThanOrEqual(0);

    // No label value anywhere is an id (UUID), the tenant, or an agent's, task's or tool's id or name.
    const forbidden = new Set([
      'default',
      task.id,
      worker.id,
      worker.name,
      tool.id,
      ...created.flatMap((a) => [a.id, a.name]),
    ]);
    const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
    for (const sample of [...after.gateway, ...after.backends])
      for (const [label, v] of Object.entries(sample.labels)) {
        expect(uuid.test(v), `${sample.name} ${label}="${v}"`).toBe(false);
        expect(forbidden.has(v), `${sample.name} ${label}="${v}"`).toBe(false);
        for (const id of [task.id, worker.id, tool.id]) expect(v.includes(id), `${sample.name} ${label}`).toBe(false);
      }
  });
});
