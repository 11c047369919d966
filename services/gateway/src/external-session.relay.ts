import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Observable, Subscription as RxSubscription } from 'rxjs';
import {
  RuntimeSubjects,
  type AgentMessage,
  type OpenSessionBody,
  type RuntimeMessage,
  type SessionInbound,
  type SessionOutbound,
} from '@aos/contracts';
import { AosError, InvalidArgumentError, UnavailableError, fromWireError } from '@aos/errors';
import { DirectNats, ServiceClient, type DirectSubscription, type RequestContext } from '@aos/messaging';
import { DIRECT_NATS } from './gateway.tokens';
import { whenWritable, type OutboundCall } from './outbound-flow';

/** How long the hosting runtime may take to acknowledge one of the agent's messages. */
const INBOUND_TIMEOUT_MS = 10_000;

/**
 * RuntimeService.Connect at the edge: the gateway only relays. The first
 * message must be `attach`; the gateway then subscribes to the session's
 * gateway subject and asks a runtime instance (queue group runtime) to host
 * the session, which checks the agent (NOT_FOUND, FAILED_PRECONDITION end the
 * stream here). From then on each agent message goes, in order and
 * acknowledged, to the hosting instance's session subject; each message the
 * runtime sends is written to the stream and acknowledged once the stream
 * can take more (backpressure). The gateway pings the session; when the
 * hosting instance stops answering the stream ends with UNAVAILABLE (the SDK
 * reconnects), and when the stream ends the instance is told to close the session.
 */
@Injectable()
export class ExternalSessionRelay {
  constructor(
    @Inject(ServiceClient) private readonly services: ServiceClient,
    @Inject(DIRECT_NATS) private readonly direct: DirectNats,
  ) {}

  open(ctx: RequestContext, incoming: Observable<AgentMessage>, call?: OutboundCall): Observable<RuntimeMessage> {
    return new Observable<RuntimeMessage>((subscriber) => {
      const sessionId = randomUUID();
      let phase: 'awaiting-attach' | 'opening' | 'open' | 'ended' = 'awaiting-attach';
      // A function, so the compiler does not assume the phase stays what it was before an await.
      const ended = () => phase === 'ended';
      let opened: Promise<void> = Promise.resolve();
      let forwarding: Promise<unknown> = Promise.resolve();
      let outbound: DirectSubscription | undefined;
      let pingTimer: NodeJS.Timeout | undefined;
      // Closed by end(); an incoming stream that ends during subscribe() is then unsubscribed at once.
      const reading = new RxSubscription();

      const toSession = (body: SessionInbound, timeoutMs = INBOUND_TIMEOUT_MS) =>
        this.direct.request(RuntimeSubjects.session(sessionId), ctx, body, timeoutMs);

      /** Ends the stream (with `error`'s status, else OK) and tells the runtime when the end is not its own. */
      const end = (error: AosError | undefined, tellRuntime: string | undefined) => {
        if (phase === 'ended') return;
        const wasOpen = phase === 'open' || phase === 'opening';
        phase = 'ended';
        clearInterval(pingTimer);
        outbound?.close();
        reading.unsubscribe();
        // Best effort: a runtime that misses it closes the session once the pings stop.
        if (wasOpen && tellRuntime !== undefined)
          void toSession({ kind: 'close', reason: tellRuntime }, 2_000).catch(() => undefined);
        if (error) subscriber.error(error);
        else subscriber.complete();
      };
      const lost = (what: string) =>
        end(
          new UnavailableError(`the runtime hosting session ${sessionId} ${what}; reconnect`),
          'the gateway lost the runtime',
        );

      const attach = async (message: AgentMessage) => {
        const attachment = attachOf(message);
        outbound = await this.direct.serve<SessionOutbound, Record<string, never>>(
          RuntimeSubjects.gatewaySession(sessionId),
          async ({ body }) => {
            if (ended()) throw new UnavailableError(`the stream of session ${sessionId} has ended`);
            if (body.kind === 'end') {
              end(fromWireError({ code: body.code, message: body.message }), undefined);
              return {};
            }
            subscriber.next(body.message);
            await whenWritable(call);
            return {};
          },
        );
        if (ended()) return outbound.close();
        const reply = await this.services.request(RuntimeSubjects.openSession, ctx, {
          sessionId,
          ...attachment,
        });
        if (ended()) return;
        phase = 'open';
        pingTimer = setInterval(() => {
          toSession({ kind: 'ping' }, Math.max(1_000, reply.pingIntervalMs * 2)).catch(() => lost('stopped answering'));
        }, reply.pingIntervalMs);
        pingTimer.unref();
      };

      const forward = (message: AgentMessage) => {
        forwarding = forwarding.then(async () => {
          await opened;
          if (phase !== 'open') return;
          await toSession({ kind: 'message', message }).catch(() => lost('did not take a message'));
        });
      };

      reading.add(
        incoming.subscribe({
          next: (message) => {
            if (phase === 'awaiting-attach') {
              phase = 'opening';
              opened = attach(message).catch((err: unknown) => {
                // A refusal (NOT_FOUND, FAILED_PRECONDITION, ...) or the runtime being away ends the stream.
                end(
                  err instanceof AosError ? err : new UnavailableError('cannot open the session', { cause: err }),
                  undefined,
                );
              });
              return;
            }
            forward(message);
          },
          // The agent process closed its side: the session ends.
          complete: () => {
            void forwarding.then(() => end(undefined, 'the agent process ended the stream'));
          },
          error: () => end(undefined, 'the stream failed'),
        }),
      );

      // The call ended (client cancelled, deadline, gateway shutdown).
      return () => end(undefined, 'the stream ended');
    });
  }
}

/** The attach message's fields; the hosting runtime checks them (and the agent) and names what is wrong. */
function attachOf(message: AgentMessage): Omit<OpenSessionBody, 'sessionId'> {
  const attach = message.attach;
  if (!attach) throw new InvalidArgumentError('attach', 'the first message of the stream must be attach');
  return { agentId: attach.agentId ?? '', maxConcurrentTasks: attach.maxConcurrentTasks ?? 0 };
}
