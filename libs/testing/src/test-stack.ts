import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAosClient, type AosClient } from '@aos/grpc-client';
import { startStack, type Stack, type StackTopology } from '@aos/launcher';

export interface TestStack {
  readonly stack: Stack;
  readonly gatewayAddr: string;
  readonly natsUrl: string;
  readonly dataDir: string;
  /** The bootstrap admin key of the default tenant. */
  readonly apiKey: string;
  /** A client authenticated with apiKey. */
  readonly client: AosClient;
  /** A client with another key (or none), for authentication tests. */
  clientWithKey(apiKey: string | undefined): AosClient;
  /** Every gateway's address (several with `replicas`). */
  readonly gatewayAddrs: readonly string[];
  /** The (first) gateway's MCP endpoint, `http://<host:port>/mcp`; undefined when AOS_MCP_ADDR is off. */
  readonly mcpUrl: string | undefined;
  /**
   * host:port of the (first) gateway's web console, where browsers call aos.v1
   * over Connect and gRPC-web; undefined when AOS_CONSOLE_ADDR is off.
   */
  readonly consoleAddr: string | undefined;
  /** A client of gateway `index` (0 is the first), with `apiKey` (default the admin key). */
  clientOf(index: number, apiKey?: string): AosClient;
  /** Everything the service processes wrote to stdout and stderr so far (only with `output: 'capture'`). */
  capturedOutput(): string;
  stop(): Promise<void>;
}

/**
 * The whole system for an end-to-end test, started by the launcher `npm start`
 * uses, on free loopback ports in a temp directory that stop() removes. By
 * default the backend services share one process (topology
 * `backends-in-one`; they still talk over a real NATS) because a stack of
 * seven processes costs a two-core machine ~15 s to start; a test that kills
 * or restarts one service asks for `process-per-service`, as `npm start` runs.
 */
export async function startTestStack(
  options: {
    output?: 'prefix' | 'ignore' | 'capture';
    env?: NodeJS.ProcessEnv;
    topology?: StackTopology;
    /** Instances of every service (see StackOptions.replicas); default 1. */
    replicas?: number;
    /** A NATS (cluster) of the test's own, e.g. startNatsCluster()'s url; default an embedded nats-server. */
    natsUrl?: string;
  } = {},
): Promise<TestStack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'aos-e2e-'));
  const apiKey = `aos_test_${randomBytes(24).toString('base64url')}`;
  const output = options.output ?? (process.env.AOS_TEST_LOGS ? 'prefix' : 'ignore');
  const capture = output === 'capture' ? captureServiceOutput() : undefined;
  let stack: Stack;
  try {
    stack = await startStack({
      dataDir,
      // Port 0: the gateway binds a free port itself and reports it; a port picked
      // here could be taken by a parallel test before the gateway binds it.
      gatewayAddr: '127.0.0.1:0',
      // The MCP endpoint and the console on free ports too (their defaults would be shared by every test).
      env: {
        AOS_BOOTSTRAP_API_KEY: apiKey,
        AOS_LOG_LEVEL: 'warn',
        AOS_MCP_ADDR: '127.0.0.1:0',
        AOS_CONSOLE_ADDR: '127.0.0.1:0',
        // No checkpoints on a timer: a test's tenant log holds what the test did (a test of the cadence sets it).
        AOS_AUDIT_CHECKPOINT_INTERVAL_MS: '0',
        ...options.env,
      },
      output: output === 'ignore' ? 'ignore' : 'prefix',
      topology: options.topology ?? 'backends-in-one',
      replicas: options.replicas,
      natsUrl: options.natsUrl,
    });
  } catch (err) {
    capture?.restore();
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  const { gatewayAddr } = stack;
  const clients: AosClient[] = [];
  const clientWithKey = (key: string | undefined) => {
    const c = createAosClient({ address: gatewayAddr, apiKey: key });
    clients.push(c);
    return c;
  };
  const client = clientWithKey(apiKey);
  const clientOf = (index: number, key: string = apiKey) => {
    const address = stack.gatewayAddrs[index];
    if (!address) throw new Error(`startTestStack: there is no gateway ${index} (${stack.gatewayAddrs.length} run)`);
    const c = createAosClient({ address, apiKey: key });
    clients.push(c);
    return c;
  };
  return {
    stack,
    gatewayAddr,
    natsUrl: stack.natsUrl,
    dataDir,
    apiKey,
    client,
    clientWithKey,
    gatewayAddrs: stack.gatewayAddrs,
    mcpUrl: stack.mcpAddrs[0] && `http://${stack.mcpAddrs[0]}/mcp`,
    consoleAddr: stack.consoleAddrs[0],
    clientOf,
    capturedOutput: () => {
      if (!capture) throw new Error("startTestStack: capturedOutput() needs output: 'capture'");
      return capture.text();
    },
    stop: async () => {
      for (const c of clients) c.close();
      try {
        await stack.stop();
      } finally {
        capture?.restore();
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

// The launcher copies each service's lines onto our stdout/stderr as "[<service>] <line>".
const SERVICE_LINE = /^\[[a-z][a-z0-9-]*\] /;

/**
 * Keeps the service lines the launcher writes onto this process's stdout and
 * stderr (and does not print them), so a test can search everything the
 * services logged. Other writes pass through.
 */
function captureServiceOutput(): { text(): string; restore(): void } {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((s) => s.write);
  streams.forEach((stream, i) => {
    const original = originals[i]!;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : undefined;
      if (text !== undefined && SERVICE_LINE.test(text)) {
        chunks.push(text);
        const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
        callback?.();
        return true;
      }
      return (original as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
    }) as typeof stream.write;
  });
  return {
    text: () => chunks.join(''),
    restore: () => streams.forEach((stream, i) => (stream.write = originals[i]!)),
  };
}
