import {
  startNatsServer,
  type NatsServerExit,
  type NatsServerHandle,
  type StartNatsServerOptions,
} from './nats-server';

export interface NatsSupervisorOptions {
  /** Starts the server again on the same port and store dir; called after every unrequested exit. */
  restart: () => Promise<NatsServerHandle>;
  onEvent?: (message: string) => void;
  /** Pause between failed restart attempts. Default 250 ms. */
  retryEveryMs?: number;
  /** Supervision ends (and `exited` resolves) once restarts have failed for this long. Default 30 s. */
  giveUpAfterMs?: number;
}

/**
 * A nats-server kept running: shaped like NatsServerHandle, so code holding one need not care.
 * `kill()` simulates a crash, after which the supervisor starts a new process on the same port
 * and store dir; `stop()` is final. `pid`, `pause()` and `resume()` act on the current process.
 */
export interface SupervisedNatsServer extends NatsServerHandle {
  /** The process running now; a new handle (and pid) after every restart. */
  readonly current: NatsServerHandle;
  /** How many times the server has been started again after an unrequested exit. */
  readonly restarts: number;
  /**
   * Resolves when supervision ends: after stop() (or `current.stop()`), or after restarts kept
   * failing for giveUpAfterMs. An unrequested exit that is followed by a restart does not resolve it.
   */
  readonly exited: Promise<NatsServerExit>;
}

const DEFAULT_RETRY_EVERY_MS = 250;
const DEFAULT_GIVE_UP_AFTER_MS = 30_000;
/** A process that dies sooner than this after its start died quickly; two in a row is a crash loop. */
const CRASH_LOOP_WINDOW_MS = 5_000;
const MAX_CRASH_LOOP_DELAY_MS = 5_000;

/**
 * Starts an embedded nats-server and restarts it whenever it exits without having been asked
 * to (its own crash, a kill -9 by someone): clients with reconnect enabled find it again on the
 * same port, with the same JetStream data.
 */
export async function startSupervisedNatsServer(
  opts: StartNatsServerOptions & Pick<NatsSupervisorOptions, 'onEvent' | 'retryEveryMs' | 'giveUpAfterMs'> = {},
): Promise<SupervisedNatsServer> {
  const { onEvent, retryEveryMs, giveUpAfterMs, ...serverOptions } = opts;
  const first = await startNatsServer(serverOptions);
  return superviseNatsServer(first, {
    onEvent,
    retryEveryMs,
    giveUpAfterMs,
    // A temp store dir stays owned by the first handle (stop() removes it); restarts borrow it.
    restart: () =>
      startNatsServer({ ...serverOptions, port: first.port, storeDir: first.storeDir, serverName: first.serverName }),
  });
}

/**
 * Watches `first` and every process started after it by `opts.restart`. stop() stops the
 * current process and then calls `first.stop()`, so a store dir that `first` created (and the
 * restarted processes reused) is removed once, at the end.
 */
export function superviseNatsServer(first: NatsServerHandle, opts: NatsSupervisorOptions): SupervisedNatsServer {
  const say = opts.onEvent ?? (() => undefined);
  const retryEveryMs = opts.retryEveryMs ?? DEFAULT_RETRY_EVERY_MS;
  const giveUpAfterMs = opts.giveUpAfterMs ?? DEFAULT_GIVE_UP_AFTER_MS;
  let current = first;
  let startedAt = Date.now();
  let restarts = 0;
  let quickDeaths = 0;
  let stopRequested = false;
  // Wakes a restart that is waiting out a back-off when stop() is called.
  const stopSignal = new AbortController();
  let restarting: Promise<void> | undefined;
  let endSupervision!: (exit: NatsServerExit) => void;
  const ended = new Promise<NatsServerExit>((resolve) => (endSupervision = resolve));

  const restartAfter = async (exit: NatsServerExit, pid: number): Promise<void> => {
    const ranForMs = Date.now() - startedAt;
    // The first quick death is restarted at once like any other; from the second one in a row
    // on, the server is crash-looping and each restart waits twice as long as the one before.
    quickDeaths = ranForMs < CRASH_LOOP_WINDOW_MS ? quickDeaths + 1 : 0;
    const crashLoopDelayMs =
      quickDeaths < 2 ? 0 : Math.min(retryEveryMs * 2 ** (quickDeaths - 2), MAX_CRASH_LOOP_DELAY_MS);
    say(
      `nats-server (pid ${pid}) exited unexpectedly (code ${exit.code}, signal ${exit.signal}); restarting on ${first.url}` +
        (crashLoopDelayMs > 0 ? ` in ${crashLoopDelayMs} ms, it ran only ${ranForMs} ms` : ''),
    );
    await sleep(crashLoopDelayMs, stopSignal.signal);
    const since = Date.now();
    for (;;) {
      if (stopRequested) return endSupervision(exit);
      try {
        const next = await opts.restart();
        if (stopRequested) {
          await next.stop();
          return endSupervision(exit);
        }
        current = next;
        startedAt = Date.now();
        restarts++;
        say(`nats-server ready again on ${next.url} (pid ${next.pid}) after ${Date.now() - since} ms`);
        watch(next);
        return;
      } catch (err) {
        if (Date.now() - since >= giveUpAfterMs) {
          say(`nats-server could not be restarted for ${giveUpAfterMs} ms, giving up: ${(err as Error).message}`);
          return endSupervision(exit);
        }
        await sleep(retryEveryMs, stopSignal.signal);
      }
    }
  };

  const watch = (handle: NatsServerHandle) => {
    void handle.exited.then((exit) => {
      if (exit.requested || stopRequested) return endSupervision(exit);
      restarting = restartAfter(exit, handle.pid).finally(() => (restarting = undefined));
    });
  };
  watch(first);

  let stopping: Promise<void> | undefined;
  return {
    url: first.url,
    port: first.port,
    storeDir: first.storeDir,
    serverName: first.serverName,
    monitorUrl: first.monitorUrl,
    exited: ended,
    get pid() {
      return current.pid;
    },
    get current() {
      return current;
    },
    get restarts() {
      return restarts;
    },
    kill: () => current.kill(),
    pause: () => current.pause(),
    resume: () => current.resume(),
    stop: () => {
      stopping ??= (async () => {
        stopRequested = true;
        stopSignal.abort();
        await restarting;
        await current.stop();
        if (current !== first) await first.stop();
        await ended;
      })();
      return stopping;
    },
  };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
