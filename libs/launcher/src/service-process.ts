import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { isReadyMessage, type ReadyMessage } from './ready-signal';
import { ensureServicesBuilt, isCompiledEntry, serviceEnv, serviceNodeArgs } from './service-entry';

export interface ServiceProcessOptions {
  name: string;
  /** Absolute path of what the process runs: a bundle in dist/services (see serviceEntry), or a .ts file run through tsx. */
  entry: string;
  env: NodeJS.ProcessEnv;
  /** Where the child's output goes: prefixed onto ours, or dropped. */
  output: 'prefix' | 'ignore';
  readyTimeoutMs?: number;
}

export interface ServiceExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Thrown when a service process exits or stays silent before it says it is ready. */
export class ServiceStartError extends Error {
  override name = 'ServiceStartError';
  constructor(
    readonly service: string,
    message: string,
  ) {
    super(`${service}: ${message}`);
  }
}

/**
 * One service as a child process running its compiled entry (built first when
 * stale) or a TypeScript entry through tsx, with the Node flags of
 * serviceNodeArgs, and an IPC channel over which it reports readiness (see ready-signal.ts).
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private exitPromise: Promise<ServiceExit> = Promise.resolve({ code: 0, signal: null });
  private stopping = false;

  constructor(readonly options: ServiceProcessOptions) {}

  get name(): string {
    return this.options.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves when the current child exits (whether asked to or not). */
  get exited(): Promise<ServiceExit> {
    return this.exitPromise;
  }

  /** True while stop() is in progress: an exit then is not a crash. */
  get isStopping(): boolean {
    return this.stopping;
  }

  async start(): Promise<ReadyMessage> {
    if (this.running) throw new ServiceStartError(this.name, 'already running');
    this.stopping = false;
    const { entry, env, output, readyTimeoutMs = 60_000 } = this.options;
    if (isCompiledEntry(entry)) await ensureServicesBuilt();
    const child = fork(entry, [], {
      // AOS_SERVICE_NODE_ARGS adds Node flags that NODE_OPTIONS refuses, e.g. --cpu-prof.
      execArgv: [...serviceNodeArgs(entry), ...(env.AOS_SERVICE_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
      env: serviceEnv(env),
      // Its own process group: a terminal's Ctrl-C reaches only the launcher,
      // which then stops the services in order (gateway first, NATS last).
      detached: true,
      // stderr is always read: its last lines explain an exit before readiness, even with output 'ignore'.
      stdio: output === 'prefix' ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child = child;
    const lastErrors: string[] = [];
    // 'exit' can come before the last stderr lines are read: a start failure waits (briefly) for them.
    const stderrDone = child.stderr
      ? new Promise<void>((resolve) => child.stderr!.once('close', () => resolve()))
      : Promise.resolve();
    if (child.stderr) {
      const prefixed = output === 'prefix' ? prefixer(process.stderr, this.name) : undefined;
      onLines(child.stderr, (line) => {
        lastErrors.push(line);
        if (lastErrors.length > STDERR_LINES_KEPT) lastErrors.shift();
        prefixed?.(line);
      });
    }
    if (output === 'prefix' && child.stdout) onLines(child.stdout, prefixer(process.stdout, this.name));
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', () => resolve({ code: null, signal: null }));
    });

    return new Promise<ReadyMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new ServiceStartError(this.name, `not ready within ${readyTimeoutMs} ms`));
      }, readyTimeoutMs);
      child.on('message', (message) => {
        if (!isReadyMessage(message)) return;
        clearTimeout(timer);
        resolve(message);
      });
      void this.exitPromise.then(async ({ code, signal }) => {
        clearTimeout(timer);
        await Promise.race([stderrDone, new Promise((r) => setTimeout(r, 1_000).unref())]);
        const said = lastErrors.length > 0 ? `; its last words:\n  ${lastErrors.join('\n  ')}` : '';
        reject(new ServiceStartError(this.name, `exited before it was ready (code ${code}, signal ${signal})${said}`));
      });
    });
  }

  /** SIGTERM, then SIGKILL after the grace period. */
  async stop(graceMs = 10_000): Promise<ServiceExit> {
    const child = this.child;
    if (!child || !this.running) return this.exitPromise;
    this.stopping = true;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const exit = await this.exitPromise;
    clearTimeout(timer);
    return exit;
  }

  /** SIGKILL: a crash, for tests of recovery. */
  kill(): void {
    if (this.running) this.child?.kill('SIGKILL');
  }
}

/** How many of a child's last stderr lines a start failure quotes. */
const STDERR_LINES_KEPT = 20;

function onLines(from: NodeJS.ReadableStream, each: (line: string) => void): void {
  createInterface({ input: from }).on('line', each);
}

/** Writes a child's line onto ours, tagged with the service's name. */
function prefixer(to: NodeJS.WritableStream, name: string): (line: string) => void {
  return (line) => to.write(`[${name}] ${line}\n`);
}
