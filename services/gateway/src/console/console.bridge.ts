import type { DescMethod, DescMethodStreaming, DescMethodUnary, DescService } from '@bufbuild/protobuf';
import {
  Code,
  ConnectError,
  createContextValues,
  type ConnectRouter,
  type HandlerContext,
  type Transport,
} from '@connectrpc/connect';
import { createAsyncIterable } from '@connectrpc/connect/protocol';

/**
 * The only request header a browser's call carries on to the gRPC server: its
 * credentials. Anything else it could set (a forged x-forwarded-for, a
 * traceparent naming someone else's request) stays at the bridge.
 */
const FORWARDED_HEADERS = ['authorization'] as const;

/**
 * Registers every method of `services` on `router` as a forwarder to the
 * gateway's own gRPC server through `upstream`: the same authentication,
 * permission guard, validation, status codes, request ids and audit as a gRPC
 * caller gets, because it is the same code answering. Unary calls and server
 * streams are offered; a method the browser would stream into
 * (RuntimeService.Connect, the session of an external agent process) answers
 * UNIMPLEMENTED: browsers cannot send a request stream over HTTP/1.1 and no
 * console page needs one.
 */
export function registerForwarders(router: ConnectRouter, services: readonly DescService[], upstream: Transport): void {
  for (const service of services) {
    for (const method of service.methods) {
      if (method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming') {
        // connect-node turns a request stream over HTTP/1.1 away with HTTP 505
        // before any handler runs; routed as a server stream, the refusal is
        // the RPC status UNIMPLEMENTED in whichever protocol the caller speaks.
        router.rpc({ ...method, methodKind: 'server_streaming' } as DescMethodStreaming, () => {
          throw new ConnectError(
            `${service.typeName}/${method.name} streams requests, which the browser bridge does not offer: call it over gRPC`,
            Code.Unimplemented,
          );
        });
        continue;
      }
      router.rpc(method, forwarderOf(method, upstream) as never);
    }
  }
}

function forwarderOf(method: DescMethod, upstream: Transport) {
  switch (method.methodKind) {
    case 'unary':
      return async (request: unknown, context: HandlerContext) => {
        const call = forwardedCall(context);
        try {
          const reply = await upstream.unary(
            method as DescMethodUnary,
            call.signal,
            call.timeoutMs,
            call.header,
            request as never,
            createContextValues(),
          );
          return reply.message;
        } catch (err) {
          throw asForwardedError(err);
        }
      };
    case 'server_streaming':
      return async function* (request: unknown, context: HandlerContext) {
        const call = forwardedCall(context);
        try {
          const reply = await upstream.stream(
            method as DescMethodStreaming,
            call.signal,
            call.timeoutMs,
            call.header,
            createAsyncIterable([request as never]),
            createContextValues(),
          );
          // One message out per message in: a live view sees each event as the gateway sends it.
          yield* reply.message;
        } catch (err) {
          throw asForwardedError(err);
        }
      };
    default:
      throw new Error(`${method.parent.typeName}/${method.name}: only unary calls and server streams are forwarded`);
  }
}

/**
 * The upstream call carries the browser call's credentials, deadline and
 * cancellation: when the browser goes away, context.signal aborts and the gRPC
 * call (a following stream too) is cancelled with it.
 */
function forwardedCall(context: HandlerContext): { signal: AbortSignal; timeoutMs?: number; header: Headers } {
  const header = new Headers();
  for (const name of FORWARDED_HEADERS) {
    const value = context.requestHeader.get(name);
    if (value !== null) header.set(name, value);
  }
  return { signal: context.signal, timeoutMs: context.timeoutMs(), header };
}

/**
 * The gateway's own status, message and details, and nothing of the upstream
 * call's response metadata (its trailers describe the loopback hop, not the
 * browser's call).
 */
function asForwardedError(err: unknown): ConnectError {
  const upstream = ConnectError.from(err);
  const forwarded = new ConnectError(upstream.rawMessage, upstream.code, undefined, undefined, upstream.cause);
  forwarded.details.push(...upstream.details);
  return forwarded;
}
