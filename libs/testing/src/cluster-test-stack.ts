import { createEventStore, type EventStore } from '@aos/event-store';
import { startNatsCluster, type NatsClusterHandle } from '@aos/launcher';
import { startTestStack, type TestStack } from './test-stack';

export interface ClusterTestStack {
  /** The 3-node nats-server cluster the stack runs on. */
  readonly cluster: NatsClusterHandle;
  /** The stack: `replicas` instances of every service, the log and the KV buckets at three replicas. */
  readonly t: TestStack;
  /** The log, read through a connection of the test's own (to check what the services wrote). */
  readonly store: EventStore;
  stop(): Promise<void>;
}

/**
 * The production topology in small: a 3-node JetStream cluster on loopback
 * ports and `replicas` instances of every service on it (backend processes
 * and gateways), the log and the KV buckets replicated three times.
 */
export async function startClusterTestStack(
  options: { replicas?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ClusterTestStack> {
  const cluster = await startNatsCluster({ nodes: 3 });
  let t: TestStack | undefined;
  try {
    t = await startTestStack({
      natsUrl: cluster.url,
      replicas: options.replicas ?? 2,
      env: { AOS_JETSTREAM_REPLICAS: '3', ...options.env },
    });
    const store = await createEventStore({ kind: 'jetstream', natsUrl: cluster.url, replicas: 3 });
    const stack = t;
    return {
      cluster,
      t: stack,
      store,
      stop: async () => {
        await store.close();
        await stack.stop();
        await cluster.stop();
      },
    };
  } catch (err) {
    await t?.stop();
    await cluster.stop();
    throw err;
  }
}
