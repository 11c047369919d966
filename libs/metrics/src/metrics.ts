import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's Prometheus metrics. Every family is `aos_*`, times are in
 * seconds, and a label only ever holds a bounded value — a method or subject
 * name, a status code, a stream category, an outcome, a decision — never a
 * tenant, agent, task or principal id (those go on traces, not on series).
 * Counters cost an increment when nothing scrapes them; the HTTP server (and
 * the default process metrics) exist only when AOS_METRICS_ADDR is set.
 */
export const metricsRegistry = new Registry();

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A request counter and its latency histogram: `<prefix>s_total` and `<prefix>_duration_seconds`, by `<by>` and status code. */
function requestFamilies<By extends string>(prefix: string, by: By, what: string) {
  const labelNames = [by, 'code'] as const;
  return {
    total: new Counter({
      name: `${prefix}s_total`,
      help: `${what}, by ${by} and status code`,
      labelNames,
      registers: [metricsRegistry],
    }),
    seconds: new Histogram({
      name: `${prefix}_duration_seconds`,
      help: `Time taken to answer ${what}, by ${by} and status code`,
      labelNames,
      buckets: LATENCY_BUCKETS,
      registers: [metricsRegistry],
    }),
  };
}

/** NATS requests a service handled, by subject and status code (OK or the error's code name). */
const nats = requestFamilies('aos_nats_request', 'subject', 'NATS requests handled by a service');
/** gRPC calls the gateway answered, by method (AgentService.CreateAgent) and status code; only unary ones are timed. */
const grpc = requestFamilies('aos_grpc_request', 'method', 'gRPC calls answered by the gateway');

export const metrics = {
  natsRequests: nats.total,
  natsRequestSeconds: nats.seconds,
  grpcRequests: grpc.total,
  grpcRequestSeconds: grpc.seconds,
  /** Appends to the log, by stream category (agent, task, run, …). */
  appendSeconds: new Histogram({
    name: 'aos_event_append_duration_seconds',
    help: 'Time an append to the event log took, by stream category and result (ok or error)',
    labelNames: ['category', 'result'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [metricsRegistry],
  }),
  /** Runs ended, by outcome (succeeded, failed, stopped). */
  runs: new Counter({
    name: 'aos_runs_total',
    help: 'Runs the runtime ended, by outcome',
    labelNames: ['outcome'] as const,
    registers: [metricsRegistry],
  }),
  modelTokens: new Counter({
    name: 'aos_model_tokens_total',
    help: 'Model tokens the runtime used, by direction (input or output)',
    labelNames: ['direction'] as const,
    registers: [metricsRegistry],
  }),
  modelCostMicros: new Counter({
    name: 'aos_model_cost_micros_total',
    help: 'Cost of the model calls the runtime made, in micro-units of the price currency',
    registers: [metricsRegistry],
  }),
  /** Tool calls, by the decision taken on them (allowed, denied, approval_required, …). */
  toolCalls: new Counter({
    name: 'aos_tool_calls_total',
    help: 'Tool calls the runtime decided on, by decision',
    labelNames: ['decision'] as const,
    registers: [metricsRegistry],
  }),
};

/** A projection's lag, read when scraped: the log head position minus the position it applied. */
export interface LagSource {
  projection: string;
  applied(): number;
  head(): Promise<number>;
}

const lagSources = new Set<LagSource>();
new Gauge({
  name: 'aos_projection_lag_positions',
  help: 'Log head position minus the last position a projection applied, by projection name',
  labelNames: ['projection'] as const,
  registers: [metricsRegistry],
  async collect() {
    this.reset();
    const heads = new Map<LagSource['head'], Promise<number>>();
    for (const source of lagSources) {
      const head = heads.get(source.head) ?? source.head();
      heads.set(source.head, head);
      try {
        this.inc({ projection: source.projection }, Math.max(0, (await head) - source.applied()));
      } catch {
        // The log cannot be reached: the lag is unknown, so no sample.
      }
    }
  },
});

/** Counts the projection in aos_projection_lag_positions until the returned function is called. */
export function reportProjectionLag(source: LagSource): () => void {
  lagSources.add(source);
  return () => lagSources.delete(source);
}

/** A gauge whose value is read when scraped (e.g. approvals waiting, from a read model). */
export function gaugeFromReadModel(name: string, help: string, read: () => number): void {
  const existing = metricsRegistry.getSingleMetric(name);
  if (existing) metricsRegistry.removeSingleMetric(name);
  new Gauge({
    name,
    help,
    registers: [metricsRegistry],
    collect() {
      this.set(read());
    },
  });
}

/** Seconds since `started` (a process.hrtime.bigint()), for a histogram. */
export function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** AOS_METRICS_ADDR as a listen address: undefined when empty or `off` (no server). */
export function metricsListenAddress(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' || trimmed === 'off' ? undefined : trimmed;
}

let serving: Promise<{ server: Server; address: string }> | undefined;
let boundAddress: string | undefined;

/**
 * Serves GET /metrics (Prometheus text format) on `addr` (host:port; port 0
 * picks a free one), once per process: several services in one process share
 * the server and the registry. Resolves with the bound address, or undefined
 * when `addr` is empty or `off`.
 */
export async function serveMetrics(addr: string | undefined): Promise<string | undefined> {
  const listen = metricsListenAddress(addr);
  if (listen === undefined) return undefined;
  serving ??= startServer(listen);
  return (await serving).address;
}

/** The address /metrics is served on in this process, once serveMetrics resolved; undefined when off. */
export function metricsAddress(): string | undefined {
  return boundAddress;
}

/** Stops the server (tests; a process that exits needs not). */
export async function stopMetricsServer(): Promise<void> {
  const current = serving;
  serving = undefined;
  boundAddress = undefined;
  if (!current) return;
  const { server } = await current;
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function startServer(listen: string): Promise<{ server: Server; address: string }> {
  const colon = listen.lastIndexOf(':');
  const host = colon > 0 ? listen.slice(0, colon).replace(/^\[|\]$/g, '') : '127.0.0.1';
  const port = Number(colon >= 0 ? listen.slice(colon + 1) : listen);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`AOS_METRICS_ADDR: "${listen}" is not host:port (or off)`);
  if (!metricsRegistry.getSingleMetric('process_cpu_seconds_total'))
    collectDefaultMetrics({ register: metricsRegistry });
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at GET /metrics\n');
      return;
    }
    metricsRegistry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  const bound = server.address() as AddressInfo;
  const address = `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
  boundAddress = address;
  return { server, address };
}
