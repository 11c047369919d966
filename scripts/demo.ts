/**
 * `npm run demo` (= `npm start -- --demo`): AgentOS plus a small fleet that
 * works without a model, in a tenant of its own (`demo`). The demo is
 * ordinary data made through the public API: a tenant, three tools served by
 * a local HTTP server, three agents labelled demo=true attached as example
 * external agent processes (clients/agent-example, unchanged), a rule that
 * puts every refund before a person, a daily token budget, and a trickle of
 * "[demo]" tasks. Nothing is simulated inside AgentOS: routing, governance,
 * the tool calls and the audit trail are the real ones.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createAosClient, type AosClient } from '@aos/grpc-client';
import { DEMO_TENANT, seedDemo, type DemoAgentSpec, type DemoSeed } from './demo.seed';
import { startDemoToolServer, type DemoToolServer } from './demo.tool-server';
import { startDemoTraffic, type DemoTraffic } from './demo.traffic';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLE_AGENT = join(REPO_ROOT, 'clients', 'agent-example', 'src', 'main.ts');
const AGENT_STOP_GRACE_MS = 5_000;

export interface DemoOptions {
  gatewayAddr: string;
  /** The bootstrap admin key: only it may create a tenant. */
  adminKey: string;
  dataDir: string;
  log: (message: string) => void;
  /** How often a task is submitted (default 5000 ms). */
  taskIntervalMs?: number;
  /** Where agent processes' output goes: prefixed onto ours (default), or dropped. */
  agentOutput?: 'prefix' | 'ignore';
}

export interface RunningDemo {
  readonly seed: DemoSeed;
  readonly toolServer: DemoToolServer;
  readonly traffic: DemoTraffic;
  /** A client with the demo tenant's admin key. */
  readonly client: AosClient;
  stop(): Promise<void>;
}

/** Seeds the demo tenant, starts its tool server and agent processes, and begins submitting tasks. */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    let toolServer: DemoToolServer | undefined;
    const seed = await seedDemo({
      gatewayAddr: options.gatewayAddr,
      adminKey: options.adminKey,
      dataDir: options.dataDir,
      toolServer: async (registered) => {
        // Registered tools keep their endpoint, so a later run listens where the first one did.
        toolServer = await startDemoToolServer(registered?.hostname ?? '127.0.0.1', Number(registered?.port ?? 0));
        stops.push(() => toolServer!.stop());
        return toolServer.url;
      },
    });
    options.log(`demo: tenant ${DEMO_TENANT} seeded (${seed.agents.length} agents, ${seed.tools.length} tools)`);
    for (const { spec, agent } of seed.agents) {
      const child = spawnExampleAgent(spec, agent.id, seed.apiKey, options);
      stops.push(() => stopChild(child));
    }
    const client = createAosClient({ address: options.gatewayAddr, apiKey: seed.apiKey });
    stops.push(async () => client.close());
    const traffic = startDemoTraffic({ client, intervalMs: options.taskIntervalMs ?? 5_000, log: options.log });
    stops.push(() => traffic.stop());
    return { seed, toolServer: toolServer!, traffic, client, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** What to look at, for the banner of `npm run demo`. */
export function demoBanner(demo: RunningDemo): string[] {
  const key = `"$(cat ${demo.seed.keyPath})"`;
  return [
    `Demo tenant "${DEMO_TENANT}" (agents labelled demo=true, task texts starting with [demo]):`,
    `  its admin key: ${demo.seed.keyPath}   (sign in to the web console with it)`,
    `  agents       : ${demo.seed.agents.map((a) => a.spec.name).join(', ')} (example external agent processes)`,
    `  tool server  : ${demo.toolServer.url}  (tools called through AgentOS; issue-refund waits for a person)`,
    `Look:   npx aos --key ${key} tasks list`,
    `        npx aos --key ${key} approvals list --state pending`,
    `        npx aos --key ${key} approvals approve <approval-id> --reason "checked"   (another refund follows)`,
    `        npx aos --key ${key} audit list --type ToolCalled`,
    `Remove: stop, then start with a fresh AOS_DATA_DIR (the demo is ordinary data in the log).`,
  ];
}

/** One clients/agent-example process working as `agentId` with the demo key. */
function spawnExampleAgent(spec: DemoAgentSpec, agentId: string, apiKey: string, options: DemoOptions): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', EXAMPLE_AGENT, '--agent', agentId, '--tool', spec.tool], {
    cwd: REPO_ROOT,
    env: { ...process.env, AOS_GATEWAY_ADDR: options.gatewayAddr, AOS_API_KEY: apiKey },
    // Its own process group, like the services: a Ctrl-C reaches only the launcher, which stops it in order.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout!, child.stderr!]) {
    const lines = createInterface({ input: stream });
    if (options.agentOutput !== 'ignore') lines.on('line', (line) => process.stdout.write(`[${spec.name}] ${line}\n`));
  }
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') options.log(`demo: agent process ${spec.name} exited (${signal ?? code})`);
  });
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), AGENT_STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
