import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface StartNatsServerOptions {
  /** Enable JetStream (`-js`). Default true. */
  jetstream?: boolean;
  /** JetStream store directory. Default: a fresh temp dir, removed again by `stop()`. */
  storeDir?: string;
  /** Client port. Default: a free loopback port. Pass the port of a killed server to restart it in place. */
  port?: number;
  /**
   * `--server_name`. A JetStream cluster needs it unique per node and the same across restarts on
   * one store dir: the server's Raft identity is derived from it. Default: chosen by nats-server.
   */
  serverName?: string;
  /** Join a cluster: listen for routes on `nats://127.0.0.1:<port>` and solicit `routes`. */
  cluster?: NatsClusterMembership;
  /** HTTP monitoring port (`-m`: /healthz, /jsz, /varz), on loopback. Default: none. */
  monitorPort?: number;
  /** Further nats-server arguments, appended last. */
  extraArgs?: string[];
}

export interface NatsClusterMembership {
  /** `--cluster_name`; every node of one cluster uses the same. */
  name: string;
  /** Route (cluster) port on loopback. */
  port: number;
  /** Route URLs of the other nodes, `nats://127.0.0.1:<port>`. */
  routes: string[];
}

export interface NatsServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when stop() asked for this exit; false for a crash, kill(), or a signal from someone else. */
  requested: boolean;
}

export interface NatsServerHandle {
  /** `nats://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  readonly pid: number;
  /** `--server_name` when one was given. */
  readonly serverName: string | undefined;
  /** `http://127.0.0.1:PORT` when a monitorPort was given. */
  readonly monitorUrl: string | undefined;
  /** Resolves once the process has exited, for whatever reason; never rejects. */
  readonly exited: Promise<NatsServerExit>;
  /** SIGTERM, wait for the exit, then remove the store dir if this launcher created it. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL, to simulate a crash. Keeps the store dir so a new server can be started on it. */
  kill(): void;
  /**
   * SIGSTOP: the process stays alive and keeps its sockets but answers nothing, like a server
   * stuck in a long GC pause or on a frozen VM, which peers only notice by missing heartbeats.
   */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
}

const LOOPBACK = '127.0.0.1';
const STARTUP_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5_000;
const STDERR_TAIL_BYTES = 16 * 1024;
const FALLBACK_BINARY = '/usr/sbin/nats-server';
const READY_LOG_LINE = 'Server is ready';
// nats-server logs "Server is ready" before it binds the route port, and exits when that bind
// fails, so a clustered node is only ready once this line is there too.
const ROUTES_READY_LOG_LINE = 'Listening for route connections on';

/**
 * Resolves the nats-server executable: `AOS_NATS_SERVER_BIN`, else `nats-server` on PATH,
 * else /usr/sbin/nats-server.
 */
export function findNatsServerBinary(): string {
  const fromEnv = process.env.AOS_NATS_SERVER_BIN;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new Error(`AOS_NATS_SERVER_BIN=${fromEnv} is not an executable file`);
    }
    return fromEnv;
  }
  const onPath = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir.length > 0)
    .map((dir) => join(dir, 'nats-server'))
    .find(isExecutable);
  if (onPath) return onPath;
  if (isExecutable(FALLBACK_BINARY)) return FALLBACK_BINARY;
  throw new Error(
    'nats-server not found: set AOS_NATS_SERVER_BIN, put nats-server on PATH, or install it at /usr/sbin/nats-server',
  );
}

/** Asks the kernel for a free loopback TCP port. Another process may take it before it is used. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not read the bound port'))));
    });
  });
}

/** Starts a private nats-server on a loopback port and resolves once it accepts client connections. */
export async function startNatsServer(opts: StartNatsServerOptions = {}): Promise<NatsServerHandle> {
  const binary = findNatsServerBinary();
  const ownsStoreDir = opts.storeDir === undefined;
  const storeDir = opts.storeDir ?? (await mkdtemp(join(tmpdir(), 'aos-nats-')));
  if (ownsStoreDir) ownedStoreDirs.add(storeDir);
  // The port from freePort() can be taken by someone else before nats-server binds it, so a
  // failed start on a port we picked ourselves is retried on a new one.
  const attempts = opts.port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = opts.port ?? (await freePort());
    try {
      return await launch(binary, port, storeDir, ownsStoreDir, opts);
    } catch (err) {
      lastError = err;
    }
  }
  if (ownsStoreDir) await removeStoreDir(storeDir);
  throw lastError;
}

async function launch(
  binary: string,
  port: number,
  storeDir: string,
  ownsStoreDir: boolean,
  opts: StartNatsServerOptions,
): Promise<NatsServerHandle> {
  const args = ['-a', LOOPBACK, '-p', String(port)];
  if (opts.jetstream ?? true) args.push('-js', '-sd', storeDir);
  if (opts.serverName !== undefined) args.push('--server_name', opts.serverName);
  if (opts.cluster) {
    args.push('--cluster', `nats://${LOOPBACK}:${opts.cluster.port}`, '--cluster_name', opts.cluster.name);
    if (opts.cluster.routes.length > 0) args.push('--routes', opts.cluster.routes.join(','));
  }
  if (opts.monitorPort !== undefined) args.push('-m', String(opts.monitorPort));
  args.push(...(opts.extraArgs ?? []));
  // Its own process group: a terminal's Ctrl-C must not stop NATS before the services that use it.
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  const log = watchLog(child, opts.cluster ? [READY_LOG_LINE, ROUTES_READY_LOG_LINE] : [READY_LOG_LINE]);
  let stopRequested = false;
  const exited = waitForExit(child).then((exit): NatsServerExit => ({ ...exit, requested: stopRequested }));
  // A forgotten handle must not keep the test process alive; the exit hook below kills it.
  child.unref();
  liveServers.add(child);
  void exited.then(() => liveServers.delete(child));

  try {
    await waitUntilReady(port, log, exited, STARTUP_TIMEOUT_MS);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(
      `nats-server (${binary} ${args.join(' ')}) did not come up: ${(err as Error).message}\n--- server stderr ---\n${log.tail()}`,
      { cause: err },
    );
  }

  const running = () => child.exitCode === null && child.signalCode === null;
  let stopping: Promise<void> | undefined;
  return {
    url: `nats://${LOOPBACK}:${port}`,
    port,
    storeDir,
    pid: child.pid ?? -1,
    serverName: opts.serverName,
    monitorUrl: opts.monitorPort === undefined ? undefined : `http://${LOOPBACK}:${opts.monitorPort}`,
    exited,
    kill: () => {
      if (running()) child.kill('SIGKILL');
    },
    pause: () => {
      if (running()) child.kill('SIGSTOP');
    },
    resume: () => {
      if (running()) child.kill('SIGCONT');
    },
    stop: () => {
      stopping ??= (async () => {
        if (running()) {
          stopRequested = true;
          child.kill('SIGTERM');
          // A paused process holds SIGTERM until it is continued.
          child.kill('SIGCONT');
          const killTimer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
          await exited;
          clearTimeout(killTimer);
        }
        if (ownsStoreDir) await removeStoreDir(storeDir);
      })();
      return stopping;
    },
  };
}

function waitForExit(child: ChildProcess): Promise<Omit<NatsServerExit, 'requested'>> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A spawn failure (ENOENT, EACCES) emits 'error' and never 'exit'.
    child.once('error', () => resolve({ code: null, signal: null }));
  });
}

interface ServerLog {
  /** The last few KiB of stderr. */
  tail(): string;
  /** Whether every marker line has been logged so far (remembered even after it left the tail). */
  hasAllMarkers(): boolean;
}

/** Watches stderr: nats-server logs there both its readiness and why it failed. */
function watchLog(child: ChildProcess, markers: string[]): ServerLog {
  let tail = '';
  const pending = new Set(markers);
  const stream = child.stderr as (NodeJS.ReadableStream & { unref?: () => void }) | null;
  stream?.unref?.();
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    // Searched in tail + chunk, so a marker split across two chunks is still found.
    tail = (tail + chunk).slice(-STDERR_TAIL_BYTES);
    for (const marker of pending) if (tail.includes(marker)) pending.delete(marker);
  });
  return { tail: () => tail, hasAllMarkers: () => pending.size === 0 };
}

/**
 * Ready means: our process logged "Server is ready" (and, in a cluster, that it listens for
 * routes) and the port accepts connections. The log line matters because a port check alone is
 * fooled by another server already on that port.
 */
async function waitUntilReady(
  port: number,
  log: ServerLog,
  exited: Promise<unknown>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  while (Date.now() < deadline) {
    if (hasExited) throw new Error('the process exited during startup');
    if (log.hasAllMarkers() && (await canConnect(port))) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`not ready on port ${port} within ${timeoutMs} ms`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: LOOPBACK, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(200, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function removeStoreDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  ownedStoreDirs.delete(dir);
}

// A test run that ends without stop() (a failed beforeAll, a forgotten handle) must not leave
// servers running or temp dirs behind.
const liveServers = new Set<ChildProcess>();
const ownedStoreDirs = new Set<string>();
process.once('exit', () => {
  for (const child of liveServers) child.kill('SIGKILL');
  for (const dir of ownedStoreDirs) rmSync(dir, { recursive: true, force: true });
});
