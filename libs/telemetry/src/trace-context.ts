import { createRequire } from 'node:module';
import { context, isSpanContextValid, trace, type Context } from '@opentelemetry/api';
import type { W3CTraceContextPropagator } from '@opentelemetry/core';

/**
 * W3C trace context (traceparent, tracestate) across the hops no
 * instrumentation covers: NATS message headers and gRPC metadata. Always W3C,
 * whatever OTEL_PROPAGATORS says: the events' metadata.traceparent is W3C too,
 * so a trace id read in the log is the one the spans carry.
 */
let propagator: W3CTraceContextPropagator | undefined;
/**
 * @opentelemetry/core's propagator, loaded on first use: with tracing off and
 * no caller sending a trace it is never needed, and the package (32 modules)
 * stays out of every idle service.
 */
function w3c(): W3CTraceContextPropagator {
  if (!propagator) {
    const core = createRequire(import.meta.url)('@opentelemetry/core') as typeof import('@opentelemetry/core');
    propagator = new core.W3CTraceContextPropagator();
  }
  return propagator;
}

/** Reads one header of a carrier (NATS headers, gRPC metadata); undefined when absent. */
export type HeaderReader<C> = (carrier: C, key: string) => string | undefined;
/** Writes one header into a carrier. */
export type HeaderWriter<C> = (carrier: C, key: string, value: string) => void;

/**
 * Whether `ctx` (default the active one) holds a span whose context can be
 * passed on. False whenever tracing is off and no caller sent a trace: then
 * there is nothing to write, and a sender skips building headers at all.
 */
export function hasTraceContext(ctx: Context = context.active()): boolean {
  const span = trace.getSpan(ctx);
  return span !== undefined && isSpanContextValid(span.spanContext());
}

/** Writes `ctx`'s (default the active) trace context into `carrier`; false (nothing written) when there is none. */
export function writeTraceContext<C>(carrier: C, write: HeaderWriter<C>, ctx: Context = context.active()): boolean {
  if (!hasTraceContext(ctx)) return false;
  w3c().inject(ctx, carrier, { set: write });
  return true;
}

/**
 * The context a received message continues: the active one with the
 * sender's span (from `traceparent`/`tracestate`) as remote parent; the
 * active one unchanged when the carrier has none or a malformed one.
 */
export function readTraceContext<C>(carrier: C | undefined, read: HeaderReader<C>): Context {
  const active = context.active();
  if (carrier === undefined || !read(carrier, 'traceparent')) return active;
  return w3c().extract(active, carrier, { get: (c, key) => read(c, key), keys: () => ['traceparent', 'tracestate'] });
}

/**
 * The W3C traceparent of the active span (`00-<trace id>-<span id>-<flags>`),
 * or undefined when there is none (tracing off, no caller trace): what a
 * request context and the events it writes record, so that an event names
 * the trace that wrote it.
 */
export function activeTraceparent(ctx: Context = context.active()): string | undefined {
  const span = trace.getSpan(ctx);
  if (!span) return undefined;
  const sc = span.spanContext();
  if (!isSpanContextValid(sc)) return undefined;
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}
