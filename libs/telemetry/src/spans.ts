import {
  context,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type SpanKind,
  type Tracer,
} from '@opentelemetry/api';

export { SpanKind, type Attributes, type Span, type Tracer } from '@opentelemetry/api';

/** The tracer of one AgentOS library or service (`@aos/messaging`, `@aos/runtime`, …): the spans' instrumentation scope. */
export function tracerOf(scope: string): Tracer {
  return trace.getTracer(scope);
}

/**
 * What error.type says of a failure: an AosError's status code name
 * (NOT_FOUND, UNAVAILABLE…), else the error's class name. Low-cardinality by
 * design, as the semantic conventions ask.
 */
export function errorTypeOf(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^[A-Z][A-Z_]*$/.test(code)) return code;
  return err instanceof Error ? err.name : '_OTHER';
}

/** Marks `span` failed: error.type and an ERROR status with the error's message (never a payload). */
export function failSpan(span: Span, err: unknown, type: string = errorTypeOf(err)): void {
  span.setAttribute('error.type', type);
  const message = err instanceof Error ? err.message : typeof err === 'string' ? err : undefined;
  span.setStatus({ code: SpanStatusCode.ERROR, ...(message ? { message: message.slice(0, 500) } : {}) });
}

export interface InSpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** The parent; default the active context. */
  parent?: Context;
}

/**
 * Runs `fn` in a new span, active for everything `fn` awaits, ended when
 * `fn` settles; a throw marks it failed (failSpan) and is rethrown. With
 * tracing off the span is the API's non-recording one: no ids, no export.
 */
export function inSpan<T>(
  tracer: Tracer,
  name: string,
  options: InSpanOptions,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer.startActiveSpan(name, { kind: options.kind, attributes: options.attributes }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Status codes that are the server's fault, not the caller's (the RPC conventions' error statuses). */
const SERVER_FAULTS = new Set([
  'UNKNOWN',
  'DEADLINE_EXCEEDED',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
]);

/**
 * Records how a served request ended (`code` a status code name, OK or
 * NOT_FOUND…): error.type for every failure, and an ERROR status only when
 * the server failed: a caller's invalid argument is not the server's error.
 */
export function recordServedCode(span: Span, code: string, err?: unknown): void {
  if (code === 'OK') return;
  if (SERVER_FAULTS.has(code)) failSpan(span, err, code);
  else span.setAttribute('error.type', code);
}
