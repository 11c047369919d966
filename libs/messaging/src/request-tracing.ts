import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { activeTraceparent, inSpan, SpanKind, tracerOf, writeTraceContext, type Attributes } from '@aos/telemetry';
import type { RequestContext } from './request-context';

/** The spans of NATS requests: the sender's (CLIENT) and the handler's (SERVER). */
export const messagingTracer = tracerOf('@aos/messaging');

/**
 * A NATS request's span attributes: the messaging conventions' names, and who
 * asks for which tenant (ids belong on spans, never on metric labels).
 */
export function requestSpanAttributes(
  subject: string,
  operation: 'send' | 'process',
  ctx: Partial<RequestContext> | undefined,
): Attributes {
  const attributes: Attributes = {
    'messaging.system': 'nats',
    'messaging.destination.name': subject,
    'messaging.operation.type': operation,
  };
  if (ctx && typeof ctx === 'object') {
    if (typeof ctx.tenantId === 'string') attributes['aos.tenant.id'] = ctx.tenantId;
    if (typeof ctx.actor?.id === 'string') attributes['aos.actor.id'] = ctx.actor.id;
    if (typeof ctx.actor?.kind === 'string') attributes['aos.actor.kind'] = ctx.actor.kind;
    if (typeof ctx.correlationId === 'string') attributes['aos.correlation_id'] = ctx.correlationId;
  }
  return attributes;
}

export const REQUEST_SPAN_KIND = { send: SpanKind.CLIENT, process: SpanKind.SERVER } as const;

/** NATS headers carrying the active trace context, or undefined when there is none (tracing off): no headers built. */
export function traceHeaders(): MsgHdrs | undefined {
  const carrier = natsHeaders();
  return writeTraceContext(carrier, (h, key, value) => h.set(key, value)) ? carrier : undefined;
}

/**
 * The request context with the active span's traceparent, so the events a
 * request writes name the trace (and span) that wrote them; unchanged when
 * no span is active (tracing off: the caller's traceparent, if any, stays).
 */
export function withActiveTraceparent<C extends RequestContext | undefined>(ctx: C): C {
  if (!ctx || typeof ctx !== 'object') return ctx;
  const traceparent = activeTraceparent();
  return traceparent && traceparent !== ctx.traceparent ? { ...ctx, traceparent } : ctx;
}

/**
 * A request sent in a CLIENT span named by its subject: `send` gets the
 * context carrying the span's traceparent and the NATS headers carrying its
 * trace context (undefined when there is none: tracing off, no caller trace).
 */
export function tracedRequest<R>(
  subject: string,
  ctx: RequestContext,
  send: (ctx: RequestContext, headers: MsgHdrs | undefined) => Promise<R>,
): Promise<R> {
  return inSpan(
    messagingTracer,
    subject,
    { kind: REQUEST_SPAN_KIND.send, attributes: requestSpanAttributes(subject, 'send', ctx) },
    () => send(withActiveTraceparent(ctx), traceHeaders()),
  );
}
