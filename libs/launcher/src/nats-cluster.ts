import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort, startNatsServer, type NatsServerHandle } from './nats-server';

export interface StartNatsClusterOptions {
  /** Number of nodes. Default 3, the smallest cluster that survives the loss of one node. */
  nodes?: number;
  /** `--cluster_name`, also the prefix of the server names (`<name>-n0`, …). Default `aos`. */
  name?: string;
  /**
   * Parent of the nodes' store dirs (`<storeRoot>/n0`, …). Default: a fresh temp dir, removed
   * again by `stop()`. A root given here is kept, so a cluster can be started again on it: the
   * server names are derived from the index, which keeps each node's Raft identity.
   */
  storeRoot?: string;
  /** How long start may wait for JetStream to accept a stream replicated on every node. Default 30 s. */
  readyTimeoutMs?: number;
}

export interface NatsClusterHandle {
  readonly name: string;
  /** Client URL of each node, by index. */
  readonly urls: readonly string[];
  /** The client URLs comma-joined, the form AOS_NATS_URL takes. */
  readonly url: string;
  readonly storeRoot: string;
  /** The current process of each node; restart(i) replaces entry i. */
  readonly nodes: readonly NatsServerHandle[];
  /** SIGKILL node i (a crash); its store dir stays for restart(i). */
  kill(i: number): void;
  /**
   * Starts node i again with the same client port, route port, server name and store dir (after
   * stopping it if it still runs), and resolves once its /healthz says it is back in the cluster
   * with its replicas current (the very last committed message may follow with the next heartbeat).
   */
  restart(i: number, opts?: { timeoutMs?: number }): Promise<NatsServerHandle>;
  /** SIGSTOP node i: alive but silent, as in a long GC pause. */
  pause(i: number): void;
  /** SIGCONT node i. */
  resume(i: number): void;
  /** Resolves once every running, unpaused node reports the same JetStream meta leader. */
  waitForJetStream(timeoutMs?: number): Promise<void>;
  /** Index of the node that leads the stream, waiting (default up to 15 s) while it has none. */
  leaderOf(streamName: string, opts?: { timeoutMs?: number }): Promise<number>;
  /** Stops every node, then removes the store root if this launcher created it. Idempotent. */
  stop(): Promise<void>;
}

/** Thrown when the cluster does not reach a state (a meta leader, a stream leader, a rejoined node) in time. */
export class NatsClusterTimeoutError extends Error {
  override name = 'NatsClusterTimeoutError';
  constructor(
    readonly waitingFor: string,
    readonly timeoutMs: number,
    options?: ErrorOptions,
  ) {
    super(`NATS cluster: no ${waitingFor} within ${timeoutMs} ms`, options);
  }
}

interface NodeSpec {
  serverName: string;
  port: number;
  clusterPort: number;
  monitorPort: number;
  storeDir: string;
}

const LOOPBACK = '127.0.0.1';
const POLL_MS = 100;
const START_ATTEMPTS = 3;
const DEFAULT_READY_TIMEOUT_MS = 30_000;
const DEFAULT_LEADER_TIMEOUT_MS = 15_000;
const PROBE_REQUEST_TIMEOUT_MS = 2_000;

/**
 * Starts a JetStream cluster of nats-server processes on loopback ports and resolves once a
 * stream replicated on every node can be created. Each node also serves HTTP monitoring
 * (/healthz, /jsz), which is how readiness and rejoining are observed.
 */
export async function startNatsCluster(opts: StartNatsClusterOptions = {}): Promise<NatsClusterHandle> {
  const size = opts.nodes ?? 3;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`nodes must be a positive integer, not ${size}`);
  const name = opts.name ?? 'aos';
  const ownsStoreRoot = opts.storeRoot === undefined;
  const storeRoot = opts.storeRoot ?? (await mkdtemp(join(tmpdir(), 'aos-nats-cluster-')));
  if (ownsStoreRoot) ownedStoreRoots.add(storeRoot);
  const readyTimeoutMs = opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;

  // Every port must be known before the first node starts (each node lists the others' routes),
  // so a port taken by someone else in between fails the whole start, which then picks new ones.
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const specs = await planNodes(name, size, storeRoot);
    await Promise.all(specs.map((spec) => mkdir(spec.storeDir, { recursive: true })));
    const started = await Promise.allSettled(specs.map((spec) => startNode(name, spec, specs)));
    const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failure = started.find((result) => result.status === 'rejected');
    if (failure === undefined) {
      const cluster = new Cluster(name, storeRoot, ownsStoreRoot, specs, nodes);
      try {
        await cluster.waitUntilReplicable(readyTimeoutMs);
        return cluster;
      } catch (err) {
        await cluster.stop();
        throw err;
      }
    }
    lastError = failure.reason;
    await Promise.all(nodes.map((node) => node.stop()));
    // A half-formed cluster's Raft state names peers that the next attempt starts afresh.
    if (ownsStoreRoot) await Promise.all(specs.map((spec) => rm(spec.storeDir, { recursive: true, force: true })));
  }
  if (ownsStoreRoot) await removeStoreRoot(storeRoot);
  throw lastError;
}

class Cluster implements NatsClusterHandle {
  readonly urls: readonly string[];
  readonly url: string;
  private readonly paused = new Set<number>();
  /** Processes that have exited, whether killed, crashed or stopped. */
  private readonly exited = new WeakSet<NatsServerHandle>();
  private stopping: Promise<void> | undefined;

  constructor(
    readonly name: string,
    readonly storeRoot: string,
    private readonly ownsStoreRoot: boolean,
    private readonly specs: readonly NodeSpec[],
    private readonly current: NatsServerHandle[],
  ) {
    this.urls = specs.map((spec) => `nats://${LOOPBACK}:${spec.port}`);
    this.url = this.urls.join(',');
    for (const node of current) this.track(node);
  }

  get nodes(): readonly NatsServerHandle[] {
    return [...this.current];
  }

  kill(i: number): void {
    const node = this.node(i);
    node.kill();
    // Counted as gone at once, not when the exit event arrives: nothing may route to it any more.
    this.exited.add(node);
    this.paused.delete(i);
  }

  pause(i: number): void {
    this.node(i).pause();
    this.paused.add(i);
  }

  resume(i: number): void {
    this.node(i).resume();
    this.paused.delete(i);
  }

  async restart(i: number, opts: { timeoutMs?: number } = {}): Promise<NatsServerHandle> {
    const previous = this.node(i);
    await previous.stop();
    this.paused.delete(i);
    const node = await startNode(this.name, this.specs[i]!, this.specs);
    this.current[i] = node;
    this.track(node);
    await waitUntilHealthy(node, opts.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
    return node;
  }

  async waitForJetStream(timeoutMs = DEFAULT_READY_TIMEOUT_MS): Promise<void> {
    await pollUntil('JetStream meta leader', timeoutMs, async () => {
      const live = this.liveNodes();
      const names = new Set(live.map((node) => node.serverName));
      const leaders = await Promise.all(live.map((node) => metaLeaderSeenBy(node)));
      const leader = leaders[0];
      return leader !== undefined && names.has(leader) && leaders.every((seen) => seen === leader);
    });
  }

  async leaderOf(streamName: string, opts: { timeoutMs?: number } = {}): Promise<number> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_LEADER_TIMEOUT_MS;
    let index = -1;
    await pollUntil(`leader for stream ${streamName}`, timeoutMs, () =>
      this.withManager(async (jsm) => {
        const leader = (await jsm.streams.info(streamName)).cluster?.leader;
        index = this.current.findIndex((node, i) => node.serverName === leader && this.isLive(i));
        return index >= 0;
      }),
    );
    return index;
  }

  /** Waits for a meta leader, then until a stream replicated on every node can be created. */
  async waitUntilReplicable(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await this.waitForJetStream(timeoutMs);
    // A meta leader alone is not enough: until it has heard from every peer, an R<n> stream is
    // refused for lack of servers. Creating one (and deleting it again) is the direct proof.
    const probe = `aos_cluster_probe_${process.pid}_${Date.now()}`;
    await pollUntil(`room for a stream with ${this.specs.length} replicas`, deadline - Date.now(), () =>
      this.withManager(async (jsm) => {
        await jsm.streams.add({
          name: probe,
          subjects: [probe],
          num_replicas: this.specs.length,
          storage: StorageType.Memory,
        });
        await jsm.streams.delete(probe);
        return true;
      }),
    );
    // On a store root that already holds streams, those elect their own leaders after the meta
    // group has; until then they refuse requests.
    await Promise.all(this.current.map((node) => waitUntilHealthy(node, deadline - Date.now())));
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all(this.current.map((node) => node.stop()));
      if (this.ownsStoreRoot) await removeStoreRoot(this.storeRoot);
    })();
    return this.stopping;
  }

  private node(i: number): NatsServerHandle {
    const node = this.current[i];
    if (node === undefined) throw new RangeError(`no node ${i} in a cluster of ${this.current.length}`);
    return node;
  }

  private track(node: NatsServerHandle): void {
    void node.exited.then(() => this.exited.add(node));
  }

  private isLive(i: number): boolean {
    return !this.paused.has(i) && !this.exited.has(this.current[i]!);
  }

  private liveNodes(): NatsServerHandle[] {
    return this.current.filter((_, i) => this.isLive(i));
  }

  /** A short-lived connection to the live nodes only: a paused node would accept and then hang. */
  private async withManager<T>(use: (jsm: JetStreamManager) => Promise<T>): Promise<T> {
    const servers = this.liveNodes().map((node) => node.url);
    const nc = await connect({ servers, timeout: PROBE_REQUEST_TIMEOUT_MS, maxReconnectAttempts: 0 });
    try {
      return await use(await jetstreamManager(nc, { timeout: PROBE_REQUEST_TIMEOUT_MS }));
    } finally {
      await nc.close();
    }
  }
}

async function planNodes(name: string, size: number, storeRoot: string): Promise<NodeSpec[]> {
  const ports = await distinctFreePorts(size * 3);
  return Array.from({ length: size }, (_, i) => ({
    serverName: `${name}-n${i}`,
    port: ports[i * 3]!,
    clusterPort: ports[i * 3 + 1]!,
    monitorPort: ports[i * 3 + 2]!,
    storeDir: join(storeRoot, `n${i}`),
  }));
}

/** freePort() can hand out a port it handed out a moment ago, once that one was closed again. */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

function startNode(name: string, spec: NodeSpec, all: readonly NodeSpec[]): Promise<NatsServerHandle> {
  return startNatsServer({
    port: spec.port,
    storeDir: spec.storeDir,
    serverName: spec.serverName,
    monitorPort: spec.monitorPort,
    cluster: {
      name,
      port: spec.clusterPort,
      // Its own route would only be dialled and dropped as a duplicate.
      routes: all.filter((other) => other !== spec).map((other) => `nats://${LOOPBACK}:${other.clusterPort}`),
    },
  });
}

/**
 * /healthz answers 200 once the node follows the meta leader and every stream and consumer
 * replica it holds is current. In 2.9 "current" allows the last committed entry to arrive with
 * the leader's next heartbeat, so a replica can still be one message short for about a second.
 */
async function waitUntilHealthy(node: NatsServerHandle, timeoutMs: number): Promise<void> {
  await pollUntil(`healthy ${node.serverName}`, timeoutMs, async () => {
    const response = await fetch(`${node.monitorUrl}/healthz`, { signal: AbortSignal.timeout(1_000) });
    return response.ok;
  });
}

async function metaLeaderSeenBy(node: NatsServerHandle): Promise<string | undefined> {
  try {
    const response = await fetch(`${node.monitorUrl}/jsz`, { signal: AbortSignal.timeout(1_000) });
    if (!response.ok) return undefined;
    const jsz = (await response.json()) as { meta_cluster?: { leader?: string } };
    return jsz.meta_cluster?.leader || undefined;
  } catch {
    return undefined;
  }
}

/** Calls `check` every POLL_MS until it returns true; errors count as "not yet". */
async function pollUntil(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) throw new NatsClusterTimeoutError(what, timeoutMs, { cause: lastError });
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function removeStoreRoot(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  ownedStoreRoots.delete(dir);
}

// The nodes themselves are killed by the exit hook in nats-server.ts; their temp root goes here.
const ownedStoreRoots = new Set<string>();
process.once('exit', () => {
  for (const dir of ownedStoreRoots) rmSync(dir, { recursive: true, force: true });
});
