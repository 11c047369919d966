import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNatsServer, type NatsServerHandle } from './nats-server';
import { ServiceProcess, ServiceStartError } from './service-process';

export type ServiceName = 'lifecycle' | 'audit' | 'governance' | 'resources' | 'routing' | 'runtime' | 'gateway';

/** Services that own or read the log start first; the gateway last, so it never forwards to no one. */
const BACKEND_SERVICES: ServiceName[] = ['lifecycle', 'audit', 'governance', 'resources', 'routing', 'runtime'];

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

export function serviceEntry(name: ServiceName | 'backends'): string {
  return join(REPO_ROOT, 'services', name, 'src', 'main.ts');
}

/**
 * `process-per-service` (the default, and what production runs): every
 * service its own process, so one can crash, restart and scale alone.
 * `backends-in-one`: the six backend services share one process (the gateway
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
  /** Extra environment for every service (AOS_* settings). */
  env?: NodeJS.ProcessEnv;
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
  readonly nats: NatsServerHandle | undefined;
  /**
   * The process of each service. With `backends-in-one` every backend name
   * maps to the one shared process: killing "lifecycle" kills them all.
   */
  readonly services: Record<ServiceName, ServiceProcess>;
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
    : await startNatsServer({ storeDir: join(options.dataDir, 'nats'), port: options.natsPort });
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
  const make = (name: ServiceName | 'backends') =>
    new ServiceProcess({ name, entry: serviceEntry(name), env, output: options.output ?? 'prefix' });
  const topology = options.topology ?? 'process-per-service';
  const shared = topology === 'backends-in-one' ? make('backends') : undefined;
  const backend = (name: ServiceName) => shared ?? make(name);
  const services: Record<ServiceName, ServiceProcess> = {
    lifecycle: backend('lifecycle'),
    audit: backend('audit'),
    governance: backend('governance'),
    resources: backend('resources'),
    routing: backend('routing'),
    runtime: backend('runtime'),
    gateway: make('gateway'),
  };
  const backendProcesses = [...new Set(BACKEND_SERVICES.map((n) => services[n]))];

  let stopped = false;
  const stop = async () => {
    stopped = true;
    await services.gateway.stop();
    await Promise.all(backendProcesses.map((p) => p.stop()));
    await nats?.stop();
  };

  const abortStart = () => void stop();
  options.signal?.addEventListener('abort', abortStart, { once: true });
  let gatewayAddr = options.gatewayAddr;
  try {
    await Promise.all(backendProcesses.map((p) => p.start().then(() => say(`${p.name} ready`))));
    const ready = await services.gateway.start();
    // The gateway reports the address it actually bound (it differs for port 0).
    if (typeof ready.details?.address === 'string') gatewayAddr = ready.details.address;
    say(`gateway ready on ${gatewayAddr}`);
  } catch (err) {
    await stop();
    throw options.signal?.aborted ? new ServiceStartError('stack', 'start interrupted') : err;
  } finally {
    options.signal?.removeEventListener('abort', abortStart);
  }

  if (options.restartOnCrash) {
    for (const service of new Set(Object.values(services))) superviseRestarts(service, () => stopped, say);
  }
  return { natsUrl, gatewayAddr, nats, services, topology, stop };
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
