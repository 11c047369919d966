import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NatsServerHandle } from './nats-server';
import { startSupervisedNatsServer } from './nats-supervisor';
import { serviceEntry, serviceRunner, type ServiceName, type ServiceRunner } from './service-entry';
import { ServiceProcess, ServiceStartError } from './service-process';

/** Services that own or read the log start first; the gateway last, so it never forwards to no one. */
const BACKEND_SERVICES: ServiceName[] = [
  'lifecycle',
  'audit',
  'governance',
  'resources',
  'routing',
  'runtime',
  'commands',
];

/**
 * `process-per-service` (the default, and what production runs): every
 * service its own process, so one can crash, restart and scale alone.
 * `backends-in-one`: the seven backend services share one process (the gateway
 * keeps its own), still talking over NATS; it starts several times faster on
 * a small machine, which is what the end-to-end tests use.
 */
export type StackTopology = 'process-per-service' | 'backends-in-one';

export interface StackOptions {
  /** AOS_DATA_DIR for the services; the embedded nats-server keeps JetStream under `<dataDir>/nats`. */
  dataDir: string;
  gatewayAddr: string;
  /** An external NATS; unset = start an embedded nats-server. */
  natsUrl?: string;
  /** Port for the embedded nats-server; unset = a free loopback port. */
  natsPort?: number;
  /** Default `process-per-service`. */
  topology?: StackTopology;
  /**
   * How many instances of each service run (default 1): with
   * `backends-in-one`, that many backend processes (each one instance of
   * every backend service) and that many gateways. Instances share the work
   * through NATS queue groups and the log; each gateway listens on its own
   * port (the first on `gatewayAddr`, the others on free ports).
   */
  replicas?: number;
  /** Extra environment for every service (AOS_* settings). */
  env?: NodeJS.ProcessEnv;
  /** How the services run (see ServiceRunner); default AOS_SERVICE_RUNNER, else `compiled`. */
  runner?: ServiceRunner;
  output?: 'prefix' | 'ignore';
  /** Restart a service that exits unexpectedly (with backoff). */
  restartOnCrash?: boolean;
  onEvent?: (message: string) => void;
  /** Aborting while the stack starts stops whatever has started, and startStack rejects. */
  signal?: AbortSignal;
}

export interface Stack {
  readonly natsUrl: string;
  readonly gatewayAddr: string;
  /** Every gateway's address, the first being gatewayAddr. */
  readonly gatewayAddrs: readonly string[];
  /** Every gateway's MCP endpoint address (host:port, served at `/mcp`); undefined where AOS_MCP_ADDR is off. */
  readonly mcpAddrs: readonly (string | undefined)[];
  /** Every gateway's web console address (host:port; Connect/gRPC-web too); undefined where AOS_CONSOLE_ADDR is off. */
  readonly consoleAddrs: readonly (string | undefined)[];
  /**
   * Where each process serves Prometheus /metrics, by process name ("gateway",
   * "lifecycle-2", "backends", …); empty when AOS_METRICS_ADDR and
   * AOS_METRICS_PORT_BASE are unset.
   */
  readonly metricsAddrs: Readonly<Record<string, string>>;
  /**
   * The embedded nats-server (none when natsUrl was given). It is supervised:
   * should it die (kill() simulates that), it is started again on the same
   * port and store, and the services reconnect.
   */
  readonly nats: NatsServerHandle | undefined;
  /**
   * The (first) process of each service. With `backends-in-one` every backend
   * name maps to the one shared process: killing "lifecycle" kills them all.
   */
  readonly services: Record<ServiceName, ServiceProcess>;
  /** Every instance of each service (see StackOptions.replicas); the first is `services[name]`. */
  readonly replicas: Record<ServiceName, readonly ServiceProcess[]>;
  readonly topology: StackTopology;
  /** Stops the gateway, then the other services, then the embedded nats-server. */
  stop(): Promise<void>;
}

/**
 * Starts the whole system: NATS with JetStream (embedded unless natsUrl is
 * given), every service as its own process, then the gateway. Used by
 * `npm start` and by the end-to-end tests, so both run the same thing.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const say = options.onEvent ?? (() => undefined);
  await mkdir(options.dataDir, { recursive: true });
  const nats = options.natsUrl
    ? undefined
    : await startSupervisedNatsServer({
        storeDir: join(options.dataDir, 'nats'),
        port: options.natsPort,
        onEvent: say,
      });
  const natsUrl = options.natsUrl ?? nats!.url;
  if (nats) {
    // Lets a service started by hand (or `aos`) find the embedded server.
    await writeFile(join(options.dataDir, 'nats.url'), natsUrl + '\n');
    say(`nats-server (JetStream) on ${natsUrl}, data in ${nats.storeDir}`);
  }

  const env: NodeJS.ProcessEnv = {
    // Colours only when our own output is a terminal; a log file gets plain text.
    ...(process.stdout.isTTY ? {} : { NO_COLOR: '1' }),
    ...process.env,
    ...options.env,
    AOS_NATS_URL: natsUrl,
    AOS_DATA_DIR: options.dataDir,
    AOS_GATEWAY_ADDR: options.gatewayAddr,
  };
  const count = Math.max(1, Math.floor(options.replicas ?? 1));
  const runner = options.runner ?? serviceRunner(env);
  let made = 0;
  const make = (name: ServiceName | 'backends', replica: number, extraEnv: NodeJS.ProcessEnv = {}) =>
    new ServiceProcess({
      name: replica === 0 ? name : `${name}-${replica + 1}`,
      entry: serviceEntry(name, runner),
      env: { ...env, ...metricsEnv(env, made++), ...extraEnv },
      output: options.output ?? 'prefix',
    });
  const topology = options.topology ?? 'process-per-service';
  const instances = (name: ServiceName): ServiceProcess[] =>
    Array.from({ length: count }, (_, i) =>
      // Gateways after the first listen on a free port of the same host.
      make(name, i, name === 'gateway' && i > 0 ? otherGatewayEnv(options.gatewayAddr, env) : {}),
    );
  const shared =
    topology === 'backends-in-one' ? Array.from({ length: count }, (_, i) => make('backends', i)) : undefined;
  const replicas = Object.fromEntries(
    [...BACKEND_SERVICES, 'gateway' as const].map((name) => [
      name,
      shared && name !== 'gateway' ? shared : instances(name),
    ]),
  ) as Record<ServiceName, ServiceProcess[]>;
  const services = Object.fromEntries(
    Object.entries(replicas).map(([name, processes]) => [name, processes[0]!]),
  ) as Record<ServiceName, ServiceProcess>;
  const backendProcesses = [...new Set(BACKEND_SERVICES.flatMap((n) => replicas[n]))];
  const gateways = replicas.gateway;

  let stopped = false;
  const stop = async () => {
    stopped = true;
    await Promise.all(gateways.map((g) => g.stop()));
    await Promise.all(backendProcesses.map((p) => p.stop()));
    await nats?.stop();
  };

  const abortStart = () => void stop();
  options.signal?.addEventListener('abort', abortStart, { once: true });
  const gatewayAddrs: string[] = [];
  const mcpAddrs: (string | undefined)[] = [];
  const consoleAddrs: (string | undefined)[] = [];
  const metricsAddrs: Record<string, string> = {};
  const noteMetrics = (name: string, details: Record<string, unknown> | undefined) => {
    if (typeof details?.metricsAddress !== 'string') return;
    metricsAddrs[name] = details.metricsAddress;
    say(`${name} metrics on http://${details.metricsAddress}/metrics`);
  };
  try {
    await Promise.all(
      backendProcesses.map((p) =>
        p.start().then((ready) => {
          say(`${p.name} ready`);
          noteMetrics(p.name, ready.details);
        }),
      ),
    );
    for (const gateway of gateways) {
      const ready = await gateway.start();
      noteMetrics(gateway.name, ready.details);
      // The gateway reports the address it actually bound (it differs for port 0).
      const bound = typeof ready.details?.address === 'string' ? ready.details.address : options.gatewayAddr;
      gatewayAddrs.push(bound);
      mcpAddrs.push(typeof ready.details?.mcpAddress === 'string' ? ready.details.mcpAddress : undefined);
      consoleAddrs.push(typeof ready.details?.consoleAddress === 'string' ? ready.details.consoleAddress : undefined);
      say(`${gateway.name} ready on ${bound}`);
    }
  } catch (err) {
    await stop();
    throw options.signal?.aborted ? new ServiceStartError('stack', 'start interrupted') : err;
  } finally {
    options.signal?.removeEventListener('abort', abortStart);
  }

  if (options.restartOnCrash) {
    for (const service of [...backendProcesses, ...gateways]) superviseRestarts(service, () => stopped, say);
  }
  return {
    natsUrl,
    gatewayAddr: gatewayAddrs[0]!,
    gatewayAddrs,
    mcpAddrs,
    consoleAddrs,
    metricsAddrs,
    nats,
    services,
    replicas,
    topology,
    stop,
  };
}

/**
 * The N-th process's AOS_METRICS_ADDR: 127.0.0.1:<AOS_METRICS_PORT_BASE + N>
 * when the base is set and AOS_METRICS_ADDR is not (a set AOS_METRICS_ADDR,
 * e.g. a port 0, applies to every process as it is).
 */
export function metricsEnv(env: NodeJS.ProcessEnv, index: number): NodeJS.ProcessEnv {
  const base = Number(env.AOS_METRICS_PORT_BASE);
  if (env.AOS_METRICS_ADDR || !env.AOS_METRICS_PORT_BASE || !Number.isInteger(base)) return {};
  return { AOS_METRICS_ADDR: `127.0.0.1:${base + index}` };
}

/** The same host as `addr`, any free port: where a second gateway listens. */
function otherGatewayAddr(addr: string): string {
  const colon = addr.lastIndexOf(':');
  return `${colon > 0 ? addr.slice(0, colon) : '127.0.0.1'}:0`;
}

/**
 * A second gateway's addresses: gRPC and, unless turned off, MCP and the web
 * console on free ports of the same hosts (their defaults, 127.0.0.1:50053 and
 * 127.0.0.1:8080, are one port each).
 */
function otherGatewayEnv(gatewayAddr: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const other: NodeJS.ProcessEnv = { AOS_GATEWAY_ADDR: otherGatewayAddr(gatewayAddr) };
  const defaults = { AOS_MCP_ADDR: '127.0.0.1:0', AOS_CONSOLE_ADDR: '127.0.0.1:0' } as const;
  for (const [name, fallback] of Object.entries(defaults)) {
    const addr = env[name];
    if (addr !== 'off' && addr !== '') other[name] = otherGatewayAddr(addr ?? fallback);
  }
  return other;
}

/** Restarts a service that died on its own, waiting longer after each quick failure (max 30 s). */
function superviseRestarts(service: ServiceProcess, stopped: () => boolean, say: (m: string) => void): void {
  let delayMs = 500;
  const watch = () => {
    void service.exited.then(async ({ code, signal }) => {
      if (stopped() || service.isStopping) return;
      say(`${service.name} exited (code ${code}, signal ${signal}); restarting in ${delayMs} ms`);
      await new Promise((r) => setTimeout(r, delayMs));
      if (stopped()) return;
      const startedAt = Date.now();
      try {
        await service.start();
        say(`${service.name} ready again`);
      } catch (err) {
        say(`${service.name} failed to restart: ${(err as Error).message}`);
      }
      delayMs = Date.now() - startedAt > 60_000 ? 500 : Math.min(delayMs * 2, 30_000);
      watch();
    });
  };
  watch();
}
