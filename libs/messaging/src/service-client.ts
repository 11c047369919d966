import { ClientNats, NatsRecord } from '@nestjs/microservices';
import { natsServers } from '@aos/config';
import { AosError, InvalidArgumentError, UnavailableError, fromWireError } from '@aos/errors';
import {
  EmptyError,
  lastValueFrom,
  Subject as Signal,
  takeUntil,
  timeout,
  TimeoutError,
  type Subscription,
} from 'rxjs';
import type { Subject } from '@aos/contracts';
import type { MsgHdrs } from '@nats-io/transport-node';
import type { RequestContext, ServiceRequest } from './request-context';
import { tracedRequest } from './request-tracing';

/**
 * Request/reply to another service over NATS, with the request context attached
 * and the callee's WireError turned back into an AosError (so codes survive).
 */
export class ServiceClient {
  private readonly proxy: ClientNats;
  /** Whether the connection is up; false from a disconnect until the reconnect. */
  private connected = true;
  /** Fires when the connection is lost: what was in flight will not be answered (see ConnectionWatch). */
  private readonly lost = new Signal<void>();
  private readonly watching: Subscription;

  constructor(
    natsUrl: string,
    // Longer than any service's own bounded waits (lifecycle: 10 s for its
    // projection), so that their DEADLINE_EXCEEDED reaches the caller instead of this timeout.
    private readonly defaultTimeoutMs = 15_000,
  ) {
    this.proxy = new ClientNats({
      servers: natsServers(natsUrl),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      // No Error (with a stack) built ahead of every request just in case it fails.
      noAsyncTraces: true,
    } as ConstructorParameters<typeof ClientNats>[0]);
    this.watching = this.proxy.status.subscribe((status) => {
      const up = status === 'connected';
      if (this.connected && !up) this.lost.next();
      this.connected = up;
    });
  }

  connect(): Promise<unknown> {
    return this.proxy.connect();
  }

  /**
   * Sends `body` on `subject`: its body and reply types are the subject's (see
   * subjects.ts). In a span of its own (a CLIENT span named by the subject)
   * whose W3C trace context travels in the message headers.
   */
  request<TBody, TReply>(
    to: Subject<TBody, TReply>,
    ctx: RequestContext,
    body: TBody,
    timeoutMs = this.defaultTimeoutMs,
  ): Promise<TReply> {
    return tracedRequest(to.name, ctx, (traced, headers) => this.send(to, traced, body, timeoutMs, headers));
  }

  private async send<TBody, TReply>(
    to: Subject<TBody, TReply>,
    ctx: RequestContext,
    body: TBody,
    timeoutMs: number,
    headers: MsgHdrs | undefined,
  ): Promise<TReply> {
    const payload: ServiceRequest<TBody> = { ctx, body };
    const subject = to.name;
    // Sent while reconnecting, a request is discarded: UNAVAILABLE at once, not at the timeout.
    if (!this.connected) throw new UnavailableError(`${subject}: not connected to NATS (reconnecting)`);
    try {
      return await lastValueFrom(
        this.proxy
          .send<TReply>(subject, headers ? new NatsRecord(payload, headers) : payload)
          .pipe(timeout(timeoutMs), takeUntil(this.lost)),
      );
    } catch (err) {
      if (err instanceof TimeoutError) {
        throw new UnavailableError(`${subject}: no reply within ${timeoutMs} ms`, { cause: err });
      }
      if (err instanceof EmptyError) {
        throw new UnavailableError(`${subject}: the connection to NATS was lost before the reply`, { cause: err });
      }
      // Nest's client rejects with this text while it reconnects.
      if (typeof err === 'string' && /connection lost/i.test(err)) {
        throw new UnavailableError(`${subject}: not connected to NATS (${err})`);
      }
      if (err instanceof AosError) throw err;
      if (err instanceof Error && /max_payload/i.test(err.message)) {
        throw new InvalidArgumentError('request', 'is too large: a service request may be at most 1 MiB', {
          cause: err,
        });
      }
      if (
        err instanceof Error &&
        /no responders|no subscribers|Empty response|503|NO_RESPONDERS|CONNECTION_CLOSED/i.test(
          `${err.message} ${(err as { code?: string }).code ?? ''}`,
        )
      ) {
        throw new UnavailableError(`${subject}: service unavailable`, { cause: err });
      }
      throw fromWireError(err);
    }
  }

  close(): Promise<void> | void {
    this.watching.unsubscribe();
    return this.proxy.close();
  }
}
