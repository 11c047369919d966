import { connect, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { context, trace } from '@opentelemetry/api';
import { natsServers } from '@aos/config';
import { ConnectionWatch } from '@aos/event-store';
import type { Subject } from '@aos/contracts';
import { UnavailableError, describeError, fromWireError, type WireError } from '@aos/errors';
import { readTraceContext, recordServedCode } from '@aos/telemetry';
import type { RequestContext, ServiceRequest } from './request-context';
import { parseBody } from './request-body';
import { toWireError } from './rpc-error.filter';
import { readNatsHeader } from './nats-transport';
import {
  messagingTracer,
  REQUEST_SPAN_KIND,
  requestSpanAttributes,
  tracedRequest,
  withActiveTraceparent,
} from './request-tracing';

/** A handler's answer travels as one of these. */
type DirectReply<T> = { ok: T } | { error: WireError };

export interface DirectSubscription {
  /** Stops answering; requests sent afterwards find no responder (UNAVAILABLE for their sender). */
  close(): void;
}

/**
 * Request/reply on subjects that exactly one process subscribes to (no queue
 * group): the subjects of one external agent's session, between the gateway
 * holding its stream and the runtime instance hosting it. Nest's NATS
 * transport serves fixed patterns, not a subject per session, so these go
 * over a plain connection, with the same envelope ({ctx, body}) and the same
 * error rule as ServiceClient: a handler's AosError keeps its code; a peer
 * that is gone or does not answer in time is UNAVAILABLE.
 */
export class DirectNats {
  private readonly watch: ConnectionWatch;

  private constructor(private readonly nc: NatsConnection) {
    this.watch = new ConnectionWatch(nc);
  }

  static async connect(natsUrl: string, name: string): Promise<DirectNats> {
    const nc = await connect({
      servers: natsServers(natsUrl),
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      noAsyncTraces: true,
    });
    return new DirectNats(nc);
  }

  /**
   * Answers requests on `subject` with `handler`, one at a time in arrival
   * order (a session's messages must not overtake each other), each body
   * checked against the subject's schema first. Resolves once the server
   * knows the subscription, so a request sent right after finds it.
   */
  async serve<TBody, TReply>(
    on: Subject<TBody, TReply>,
    handler: (request: ServiceRequest<TBody>) => Promise<TReply> | TReply,
  ): Promise<DirectSubscription> {
    const subscription: Subscription = this.nc.subscribe(on.name);
    const checked = (request: ServiceRequest<unknown>) =>
      handler({ ctx: withActiveTraceparent(request?.ctx), body: parseBody(on.body, request?.body) });
    void (async () => {
      for await (const msg of subscription) await this.answer(on.name, msg, checked);
    })();
    await this.nc.flush();
    return { close: () => subscription.unsubscribe() };
  }

  /** Like ServiceClient.request: in a CLIENT span whose trace context travels in the headers. */
  request<TBody, TReply>(
    to: Subject<TBody, TReply>,
    ctx: RequestContext,
    body: TBody,
    timeoutMs: number,
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
    let reply: DirectReply<TReply>;
    try {
      const msg = await this.watch.guard(
        () =>
          this.nc.request(subject, JSON.stringify(payload), { timeout: timeoutMs, ...(headers ? { headers } : {}) }),
        (cause) => cause,
      );
      reply = msg.json<DirectReply<TReply>>();
    } catch (err) {
      throw new UnavailableError(`${subject}: no answer (${describeError(err)})`, { cause: err });
    }
    if ('error' in reply) throw fromWireError(reply.error);
    return reply.ok;
  }

  async close(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
  }

  /** Answers one request in a SERVER span continuing the sender's trace (from the headers). */
  private async answer<TBody, TReply>(
    subject: string,
    msg: Msg,
    handler: (request: ServiceRequest<TBody>) => Promise<TReply> | TReply,
  ): Promise<void> {
    let reply: DirectReply<TReply>;
    const parent = readTraceContext(msg.headers, readNatsHeader);
    const span = messagingTracer.startSpan(subject, { kind: REQUEST_SPAN_KIND.process }, parent);
    try {
      const request = msg.json<ServiceRequest<TBody>>();
      span.setAttributes(requestSpanAttributes(subject, 'process', request?.ctx));
      reply = { ok: await context.with(trace.setSpan(parent, span), () => handler(request)) };
    } catch (err) {
      reply = { error: toWireError(err) };
      recordServedCode(span, reply.error.code, err);
    }
    span.end();
    if (msg.reply) msg.respond(JSON.stringify(reply));
  }
}
