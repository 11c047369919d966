/**
 * Bench (j), issue 15: what each service process holds and how long the stack
 * takes to come up, beside a bare NestJS microservice over NATS (one
 * @MessagePattern handler, bench/fixtures/bare-nest.ts) started in the same
 * run: under tsx, compiled to plain JavaScript with esbuild, and compiled with
 * the services' Node flags (libs/launcher/service-node-flags). The stack is
 * started as `npm start` starts it (the launcher, one process per service,
 * the compiled services, an embedded nats-server) on a fresh data directory;
 * then AOS_BENCH_FOOTPRINT_AGENTS agents are created (and deployed) through
 * the gateway, and the stack is restarted on the same data. The same stack
 * under tsx (AOS_SERVICE_RUNNER=tsx) is started once on a fresh data
 * directory too, for its start time and idle memory. Memory is each
 * process's VmRSS (and VmHWM, its peak) from /proc/<pid>/status and its Pss
 * (RSS with each shared page divided among the processes mapping it: the node
 * binary's text is shared by all) from /proc/<pid>/smaps_rollup, read after
 * the process has been left alone for AOS_BENCH_FOOTPRINT_SETTLE_MS (30 s:
 * V8's memory reducer gives back the heap a start used 8 s after its last
 * full collection, or 8 s later again when the process was still busy then;
 * read at 15 s, the gateway was at 89 MiB in one run and 110 in the next, its
 * heap 27 MiB or 50 with the same 25 MiB in use). It only measures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createAosClient, type AosClient } from '@aos/grpc-client';
import {
  ensureServicesBuilt,
  serviceNodeArgs,
  startNatsServer,
  startStack,
  type ServiceRunner,
  type Stack,
} from '@aos/launcher';
import { closedLoop, percentile } from './measure';

const AGENTS = Number(process.env.AOS_BENCH_FOOTPRINT_AGENTS ?? 10_000);
/** Starts of each bare Nest variant; the medians are printed. */
const STARTS = Number(process.env.AOS_BENCH_FOOTPRINT_STARTS ?? 3);
/** How long a process is left alone before its idle RSS is read. */
const SETTLE_MS = Number(process.env.AOS_BENCH_FOOTPRINT_SETTLE_MS ?? 30_000);
const CONCURRENCY = 32;

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/bare-nest.ts', import.meta.url));
const BARE_SUBJECT = 'bench.bare.echo';
/** The Node flags the launcher gives a service run under tsx, and a compiled one (ServiceProcess). */
const TSX_ARGS = serviceNodeArgs(FIXTURE);
const COMPILED_ARGS = serviceNodeArgs('bare-nest.mjs');

interface Memory {
  rssKb: number;
  peakKb: number;
  pssKb: number;
}

function memoryOf(pid: number | undefined): Memory | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (text: string, field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
    return { rssKb: kb(status, 'VmRSS'), peakKb: kb(status, 'VmHWM'), pssKb: kb(rollup, 'Pss') };
  } catch {
    return undefined;
  }
}

const mib = (kb: number | undefined) => (kb === undefined || Number.isNaN(kb) ? '-' : `${(kb / 1024).toFixed(0)} MiB`);
const secs = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`);
const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

interface BareRun {
  /** Spawn → its "ready" line. */
  readyMs: number;
  /** Spawn → the first request answered (sent right after the ready line). */
  firstReplyMs: number;
  idle: Memory;
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** One start of the bare Nest microservice: its start time, a checked answer, its idle memory. */
async function runBare(nodeArgs: string[], entry: string, nc: NatsConnection, natsUrl: string): Promise<BareRun> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, entry, natsUrl, BARE_SUBJECT], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = exitOf(child);
  try {
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => line === 'ready' && resolve());
      void exited.then(() =>
        reject(new Error(`bare Nest (${nodeArgs.join(' ') || 'node'}) exited before it was ready`)),
      );
    });
    const readyMs = performance.now() - t0;
    const id = randomUUID();
    // Nest's NATS wire format: {pattern, data, id} in, {response, id, ...} out.
    const reply = await nc.request(BARE_SUBJECT, JSON.stringify({ pattern: BARE_SUBJECT, data: id, id }), {
      timeout: 10_000,
    });
    const firstReplyMs = performance.now() - t0;
    if (reply.json<{ response?: unknown }>().response !== id) throw new Error(`bare Nest answered ${reply.string()}`);
    await sleep(SETTLE_MS);
    const idle = memoryOf(child.pid);
    if (!idle) throw new Error('bare Nest: cannot read /proc/<pid>/status');
    return { readyMs, firstReplyMs, idle };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** The fixture as plain JavaScript (esbuild, no bundling), where its imports resolve from node_modules. */
async function compileBare(): Promise<{ entry: string; dir: string }> {
  const { build } = await import('esbuild');
  const cache = join(REPO_ROOT, 'node_modules', '.cache');
  await mkdir(cache, { recursive: true });
  const dir = await mkdtemp(join(cache, 'aos-bench-footprint-'));
  const entry = join(dir, 'bare-nest.mjs');
  await build({
    entryPoints: [FIXTURE],
    outfile: entry,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    tsconfig: join(REPO_ROOT, 'tsconfig.json'),
    logLevel: 'warning',
  });
  return { entry, dir };
}

interface BareFigures {
  label: string;
  readyMs: number;
  firstReplyMs: number;
  rssKb: number;
  pssKb: number;
}

/** STARTS starts of each variant, alternating, on a nats-server of their own. */
async function measureBare(): Promise<{ tsx: BareFigures; compiled: BareFigures; flagged: BareFigures }> {
  const nats = await startNatsServer({ jetstream: false });
  const compiled = await compileBare();
  const nc = await connect({ servers: nats.url });
  try {
    const variants = [
      {
        label: `bare Nest under tsx (node ${TSX_ARGS.join(' ')} bare-nest.ts)`,
        args: TSX_ARGS,
        entry: FIXTURE,
        runs: [] as BareRun[],
      },
      {
        label: 'bare Nest compiled (esbuild, then node bare-nest.mjs)',
        args: [] as string[],
        entry: compiled.entry,
        runs: [] as BareRun[],
      },
      {
        label: `bare Nest compiled, the services' flags (node ${COMPILED_ARGS.join(' ')})`,
        args: COMPILED_ARGS,
        entry: compiled.entry,
        runs: [] as BareRun[],
      },
    ];
    for (let i = 0; i < STARTS; i++) {
      for (const v of i % 2 === 0 ? variants : [...variants].reverse()) {
        v.runs.push(await runBare(v.args, v.entry, nc, nats.url));
      }
    }
    const [tsx, js, flagged] = variants.map((v) => {
      const figures: BareFigures = {
        label: v.label,
        readyMs: median(v.runs.map((r) => r.readyMs)),
        firstReplyMs: median(v.runs.map((r) => r.firstReplyMs)),
        rssKb: median(v.runs.map((r) => r.idle.rssKb)),
        pssKb: median(v.runs.map((r) => r.idle.pssKb)),
      };
      const starts = v.runs.map((r) => (r.readyMs / 1000).toFixed(2)).join(', ');
      process.stdout.write(
        `  ${v.label.padEnd(72)}` +
          ` ready ${secs(figures.readyMs)} (starts ${starts} s), first reply ${secs(figures.firstReplyMs)}, idle RSS ${mib(figures.rssKb)}, Pss ${mib(figures.pssKb)}\n`,
      );
      return figures;
    });
    return { tsx: tsx!, compiled: js!, flagged: flagged! };
  } finally {
    await nc.close();
    await nats.stop();
    await rm(compiled.dir, { recursive: true, force: true });
  }
}

interface RunningStack {
  stack: Stack;
  client: AosClient;
  /** Launch → gateway ready. */
  upMs: number;
  /** Launch → each process's readiness ("nats-server", "lifecycle", …, "gateway"). */
  readyMs: Map<string, number>;
}

/** The stack as `npm start` starts it (one process per service, embedded nats-server), on free ports. */
async function startAgentOs(dataDir: string, apiKey: string, runner: ServiceRunner): Promise<RunningStack> {
  const readyMs = new Map<string, number>();
  const t0 = performance.now();
  const stack = await startStack({
    dataDir,
    gatewayAddr: '127.0.0.1:0',
    topology: 'process-per-service',
    runner,
    output: 'ignore',
    env: { AOS_BOOTSTRAP_API_KEY: apiKey, AOS_MCP_ADDR: '127.0.0.1:0', AOS_CONSOLE_ADDR: '127.0.0.1:0' },
    onEvent: (message) => {
      const ready =
        /^([a-z][a-z0-9-]*) ready/.exec(message)?.[1] ?? (message.startsWith('nats-server ') && 'nats-server');
      // The first readiness only (a supervisor's "ready again" is not the start).
      if (ready && !readyMs.has(ready)) readyMs.set(ready, performance.now() - t0);
    },
  });
  const upMs = performance.now() - t0;
  return { stack, client: createAosClient({ address: stack.gatewayAddr, apiKey }), upMs, readyMs };
}

/** Every process of the stack with its pid: the services, then the embedded nats-server. */
function processesOf(stack: Stack): [string, number | undefined][] {
  return [
    ...Object.entries(stack.services).map(([name, p]): [string, number | undefined] => [name, p.pid]),
    ['nats-server', stack.nats?.pid],
  ];
}

function snapshot(stack: Stack): Map<string, Memory | undefined> {
  return new Map(processesOf(stack).map(([name, pid]) => [name, memoryOf(pid)]));
}

async function stopAgentOs(running: RunningStack): Promise<void> {
  running.client.close();
  await running.stack.stop();
}

/** Every agent created is there, ACTIVE: the memory measured is the memory of AGENTS agents. */
async function expectActive(client: AosClient, when: string): Promise<void> {
  const { totalSize } = await client.agents.listAgents({ pageSize: 1, filter: 'state = ACTIVE' });
  if (totalSize !== AGENTS) throw new Error(`${when}: ${totalSize} ACTIVE agents listed, ${AGENTS} expected`);
}

/** The stack under tsx on a fresh data directory: its start and its idle memory, then stopped. */
async function measureTsxStack(
  apiKey: string,
): Promise<{ upMs: number; readyMs: Map<string, number>; idle: Map<string, Memory | undefined> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'aos-bench-footprint-tsx-'));
  try {
    const running = await startAgentOs(dataDir, apiKey, 'tsx');
    try {
      process.stdout.write(
        `  AgentOS stack under tsx (AOS_SERVICE_RUNNER=tsx), fresh data dir: up in ${secs(running.upMs)}\n`,
      );
      await sleep(SETTLE_MS);
      return { upMs: running.upMs, readyMs: running.readyMs, idle: snapshot(running.stack) };
    } finally {
      await stopAgentOs(running);
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

export async function benchFootprint(): Promise<void> {
  process.stdout.write(
    `\n(j) footprint: RSS per service idle and at ${AGENTS} agents, the stack's start, beside a bare NestJS microservice (${STARTS} starts each, medians; idle = ${SETTLE_MS} ms left alone)\n`,
  );
  // The build is not part of the start measured (npm start's prestart builds before it launches).
  await ensureServicesBuilt();
  const bare = await measureBare();
  const apiKey = `aos_bench_${randomBytes(24).toString('base64url')}`;
  const tsx = await measureTsxStack(apiKey);

  const dataDir = await mkdtemp(join(tmpdir(), 'aos-bench-footprint-'));
  let running: RunningStack | undefined;
  try {
    running = await startAgentOs(dataDir, apiKey, 'compiled');
    const first = running;
    process.stdout.write(
      `  AgentOS stack compiled (as npm start), fresh data dir: up in ${secs(first.upMs)} (launch → gateway ready; nats-server ready at ${secs(first.readyMs.get('nats-server'))})\n`,
    );
    await sleep(SETTLE_MS);
    const idle = snapshot(first.stack);

    const capabilities = ['billing', 'invoices', 'refunds', 'support', 'shipping', 'legal', 'research', 'sales'];
    const created = await closedLoop(CONCURRENCY, AGENTS, async (i) => {
      const agent = await first.client.agents.createAgent({
        requestId: randomUUID(),
        agent: {
          name: `footprint-${i}`,
          description: `Handles ${capabilities[i % 8]} questions and ${capabilities[(i + 3) % 8]} follow-ups for customers`,
          capabilities: [capabilities[i % 8]!, capabilities[(i + 3) % 8]!],
        },
      });
      await first.client.agents.deployAgent({ id: agent.id, requestId: randomUUID(), reason: '' });
    });
    process.stdout.write(
      `  created and deployed ${AGENTS} agents through the gateway, ${CONCURRENCY} in flight: ${created.seconds.toFixed(1)} s (${created.opsPerSec.toFixed(0)} agents/s, p50 ${created.p50Ms.toFixed(1)} ms, p99 ${created.p99Ms.toFixed(1)} ms)\n`,
    );
    await expectActive(first.client, 'after the load');
    await sleep(SETTLE_MS);
    const loaded = snapshot(first.stack);
    await stopAgentOs(first);
    running = undefined;

    running = await startAgentOs(dataDir, apiKey, 'compiled');
    const again = running;
    await expectActive(again.client, 'after the restart');
    process.stdout.write(`  restarted on the same data with ${AGENTS} agents: up in ${secs(again.upMs)}\n`);
    await sleep(SETTLE_MS);
    const restarted = snapshot(again.stack);

    const columns: [string, number][] = [
      ['process', 12],
      ['ready', 7],
      ['idle RSS', 9],
      ['idle Pss', 9],
      [`RSS at ${AGENTS}`, 13],
      [`Pss at ${AGENTS}`, 13],
      ['peak', 8],
      ['ready again', 12],
      ['RSS again', 10],
      ['tsx: ready', 11],
      ['idle RSS', 9],
      ['idle Pss', 9],
    ];
    const row = (cells: string[]) =>
      `  ${cells.map((c, i) => (i === 0 ? c.padEnd(columns[i]![1]) : c.padStart(columns[i]![1]))).join(' ')}\n`;
    process.stdout.write(`\n  compiled (as npm start), then the same services under tsx in the same run:\n`);
    process.stdout.write(row(columns.map(([title]) => title)));
    const total = { idle: 0, idlePss: 0, loaded: 0, loadedPss: 0, restarted: 0, tsx: 0, tsxPss: 0 };
    for (const [name] of processesOf(first.stack)) {
      const i = idle.get(name);
      const l = loaded.get(name);
      const r = restarted.get(name);
      const t = tsx.idle.get(name);
      total.idle += i?.rssKb ?? 0;
      total.idlePss += i?.pssKb ?? 0;
      total.loaded += l?.rssKb ?? 0;
      total.loadedPss += l?.pssKb ?? 0;
      total.restarted += r?.rssKb ?? 0;
      total.tsx += t?.rssKb ?? 0;
      total.tsxPss += t?.pssKb ?? 0;
      process.stdout.write(
        row([
          name,
          secs(first.readyMs.get(name)),
          mib(i?.rssKb),
          mib(i?.pssKb),
          mib(l?.rssKb),
          mib(l?.pssKb),
          mib(l?.peakKb),
          secs(again.readyMs.get(name)),
          mib(r?.rssKb),
          secs(tsx.readyMs.get(name)),
          mib(t?.rssKb),
          mib(t?.pssKb),
        ]),
      );
    }
    process.stdout.write(
      row([
        'all',
        '',
        mib(total.idle),
        mib(total.idlePss),
        mib(total.loaded),
        mib(total.loadedPss),
        '',
        '',
        mib(total.restarted),
        '',
        mib(total.tsx),
        mib(total.tsxPss),
      ]),
    );
    process.stdout.write(
      `  bare Nest, idle RSS / Pss: under tsx ${mib(bare.tsx.rssKb)} / ${mib(bare.tsx.pssKb)}, compiled ${mib(bare.compiled.rssKb)} / ${mib(bare.compiled.pssKb)}, compiled with the services' flags ${mib(bare.flagged.rssKb)} / ${mib(bare.flagged.pssKb)}\n`,
    );
    process.stdout.write(
      `\n  start: stack ${secs(first.upMs)} fresh compiled (${secs(tsx.upMs)} under tsx), ${secs(again.upMs)} with ${AGENTS} agents; bare Nest ${secs(bare.tsx.readyMs)} under tsx, ${secs(bare.compiled.readyMs)} compiled, ${secs(bare.flagged.readyMs)} with the flags (first reply ${secs(bare.tsx.firstReplyMs)}, ${secs(bare.compiled.firstReplyMs)}, ${secs(bare.flagged.firstReplyMs)})\n`,
    );
    process.stdout.write(
      `  targets (issue 15): <= 100 MB RSS per idle service, <= 300 MB per service at 10k agents, the stack up in <= 10 s\n`,
    );
  } finally {
    if (running) await stopAgentOs(running);
    await rm(dataDir, { recursive: true, force: true });
  }
}
