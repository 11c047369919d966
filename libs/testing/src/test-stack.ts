import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAosClient, type AosClient } from '@aos/grpc-client';
import { freePort, startStack, type Stack } from '@aos/launcher';

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
  stop(): Promise<void>;
}

/**
 * The whole system for an end-to-end test, exactly as `npm start` runs it
 * (same launcher, every service its own process), on free loopback ports in a
 * temp directory that stop() removes.
 */
export async function startTestStack(options: { output?: 'prefix' | 'ignore'; env?: NodeJS.ProcessEnv } = {}): Promise<TestStack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'aos-e2e-'));
  const apiKey = `aos_test_${randomBytes(24).toString('base64url')}`;
  const gatewayAddr = `127.0.0.1:${await freePort()}`;
  let stack: Stack;
  try {
    stack = await startStack({
      dataDir,
      gatewayAddr,
      env: { AOS_BOOTSTRAP_API_KEY: apiKey, AOS_LOG_LEVEL: 'warn', ...options.env },
      output: options.output ?? (process.env.AOS_TEST_LOGS ? 'prefix' : 'ignore'),
    });
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  const clients: AosClient[] = [];
  const clientWithKey = (key: string | undefined) => {
    const c = createAosClient({ address: gatewayAddr, apiKey: key });
    clients.push(c);
    return c;
  };
  const client = clientWithKey(apiKey);
  return {
    stack,
    gatewayAddr,
    natsUrl: stack.natsUrl,
    dataDir,
    apiKey,
    client,
    clientWithKey,
    stop: async () => {
      for (const c of clients) c.close();
      await stack.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
