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
}

export interface NatsServerHandle {
  /** `nats://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  readonly pid: number;
  /** SIGTERM, wait for the exit, then remove the store dir if this launcher created it. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL, to simulate a crash. Keeps the store dir so a new server can be started on it. */
  kill(): void;
}

const LOOPBACK = '127.0.0.1';
const STARTUP_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5_000;
const STDERR_TAIL_BYTES = 16 * 1024;
const FALLBACK_BINARY = '/usr/sbin/nats-server';
const READY_LOG_LINE = 'Server is ready';

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
      return await launch(binary, port, storeDir, ownsStoreDir, opts.jetstream ?? true);
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
  jetstream: boolean,
): Promise<NatsServerHandle> {
  const args = ['-a', LOOPBACK, '-p', String(port)];
  if (jetstream) args.push('-js', '-sd', storeDir);
  // Its own process group: a terminal's Ctrl-C must not stop NATS before the services that use it.
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  const stderr = captureTail(child);
  const exited = waitForExit(child);
  // A forgotten handle must not keep the test process alive; the exit hook below kills it.
  child.unref();
  liveServers.add(child);
  exited.then(() => liveServers.delete(child));

  try {
    await waitUntilReady(port, stderr, exited, STARTUP_TIMEOUT_MS);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(
      `nats-server (${binary} ${args.join(' ')}) did not come up: ${(err as Error).message}\n--- server stderr ---\n${stderr()}`,
      { cause: err },
    );
  }

  let stopping: Promise<void> | undefined;
  return {
    url: `nats://${LOOPBACK}:${port}`,
    port,
    storeDir,
    pid: child.pid ?? -1,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    stop: () => {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
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

function waitForExit(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
    // A spawn failure (ENOENT, EACCES) emits 'error' and never 'exit'.
    child.once('error', () => resolve());
  });
}

/** Keeps the last few KiB of stderr: nats-server logs there both its readiness and why it failed. */
function captureTail(child: ChildProcess): () => string {
  let tail = '';
  const stream = child.stderr as (NodeJS.ReadableStream & { unref?: () => void }) | null;
  stream?.unref?.();
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-STDERR_TAIL_BYTES);
  });
  return () => tail;
}

/**
 * Ready means: our process logged "Server is ready" and the port accepts connections. The
 * log line matters because a port check alone is fooled by another server already on that port.
 */
async function waitUntilReady(
  port: number,
  stderr: () => string,
  exited: Promise<void>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  while (Date.now() < deadline) {
    if (hasExited) throw new Error('the process exited during startup');
    if (stderr().includes(READY_LOG_LINE) && (await canConnect(port))) return;
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
