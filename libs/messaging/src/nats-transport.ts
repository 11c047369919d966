import type { INestMicroservice } from '@nestjs/common';
import { ServerNats, Transport, type NatsOptions } from '@nestjs/microservices';
import type { MsgHdrs } from '@nats-io/transport-node';
import { context } from '@opentelemetry/api';
import { natsServers } from '@aos/config';
import { readTraceContext } from '@aos/telemetry';

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

/** A header of a NATS message ('' when absent, as nats.js answers), for the trace context. */
export const readNatsHeader = (headers: MsgHdrs, key: string): string | undefined => headers.get(key) || undefined;

/**
 * Nest's NATS server, each request handled in the trace context its sender
 * put in the message headers (W3C traceparent; no NATS instrumentation does
 * it), so the handler's span continues the caller's trace. Without the header
 * the handler runs in the context it would have anyway.
 */
export class TracedServerNats extends ServerNats {
  override handleMessage(channel: string, natsMsg: Parameters<ServerNats['handleMessage']>[1]): Promise<unknown> {
    const headers = (natsMsg as { headers?: MsgHdrs }).headers;
    if (!headers) return super.handleMessage(channel, natsMsg);
    return context.with(readTraceContext(headers, readNatsHeader), () => super.handleMessage(channel, natsMsg));
  }
}
