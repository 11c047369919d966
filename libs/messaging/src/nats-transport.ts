import type { INestMicroservice } from '@nestjs/common';
import { Transport, type NatsOptions } from '@nestjs/microservices';
import { natsServers } from '@aos/config';

/**
 * Options for a service's NestJS NATS microservice: one queue group per service
 * so that several instances share the requests instead of each answering.
 */
export function natsServerOptions(natsUrl: string, queue: string, name: string): NatsOptions {
  return {
    transport: Transport.NATS,
    options: {
      servers: natsServers(natsUrl),
      queue,
      name,
      // Keep trying for as long as the process lives: NATS restarts must not
      // take services down with them.
      maxReconnectAttempts: -1,
      // No Error (with a stack) built ahead of every request/reply just in case it fails.
      noAsyncTraces: true,
      reconnectTimeWait: 250,
    },
  } as NatsOptions;
}

/**
 * Starts answering on NATS. Nest's listen() resolves once the subscriptions
 * exist locally; the flush round trip makes sure the server has them, so a
 * request sent right after start (or after a restart) finds a responder.
 */
export async function listenOnNats(app: INestMicroservice): Promise<void> {
  await app.listen();
  await app.unwrap<{ flush(): Promise<void> }>().flush();
}
