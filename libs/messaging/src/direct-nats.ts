import { connect, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { natsServers } from '@aos/config';
import { ConnectionWatch } from '@aos/event-store';
import type { Subject } from '@aos/contracts';
import { UnavailableError, describeError, fromWireError, type WireError } from '@aos/errors';
import type { RequestContext, ServiceRequest } from './request-context';
import { parseBody } from './request-body';
import { toWireError } from './rpc-error.filter';

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
      handler({ ctx: request?.ctx, body: parseBody(on.body, request?.body) });
    void (async () => {
      for await (const msg of subscription) await this.answer(msg, checked);
    })();
    await this.nc.flush();
    return { close: () => subscription.unsubscribe() };
  }

  async request<TBody, TReply>(
    to: Subject<TBody, TReply>,
    ctx: RequestContext,
    body: TBody,
    timeoutMs: number,
  ): Promise<TReply> {
    const payload: ServiceRequest<TBody> = { ctx, body };
    const subject = to.name;
    let reply: DirectReply<TReply>;
    try {
      const msg = await this.watch.guard(
        () => this.nc.request(subject, JSON.stringify(payload), { timeout: timeoutMs }),
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

  private async answer<TBody, TReply>(
    msg: Msg,
    handler: (request: ServiceRequest<TBody>) => Promise<TReply> | TReply,
  ): Promise<void> {
    let reply: DirectReply<TReply>;
    try {
      reply = { ok: await handler(msg.json<ServiceRequest<TBody>>()) };
    } catch (err) {
      reply = { error: toWireError(err) };
    }
    if (msg.reply) msg.respond(JSON.stringify(reply));
  }
}
