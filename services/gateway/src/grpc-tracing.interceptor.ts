import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { status as GrpcStatus, type Metadata } from '@grpc/grpc-js';
import { context as otelContext, trace } from '@opentelemetry/api';
import { readTraceContext, recordServedCode, SpanKind, tracerOf } from '@aos/telemetry';
import { finalize, tap, type Observable } from 'rxjs';
import type { CallContextResolver } from './call-context.resolver';
import { grpcCallOf } from './grpc-call';
import { toGrpcError } from './grpc-error.mapper';

const tracer = tracerOf('@aos/gateway');

/** A gRPC metadata value as text (the trace context's traceparent and tracestate). */
const readMetadata = (metadata: Metadata, key: string): string | undefined => {
  const value = metadata.get(key)[0];
  return typeof value === 'string' ? value : undefined;
};

/**
 * One SERVER span per gRPC call the gateway answers (past the permission
 * guard), named `aos.v1.<Service>/<Method>` with the RPC conventions'
 * attributes (rpc.system, rpc.service, rpc.method, rpc.grpc.status_code) and
 * who called for which tenant. It continues the caller's trace when the call
 * carries a W3C `traceparent` (and `tracestate`) in its metadata, and is the
 * active span while the handler runs, so every NATS request it makes, and
 * every event those write, joins its trace. A stream's span lasts as long as
 * the stream; a cancelled one ends CANCELLED.
 */
export class GrpcTracingInterceptor implements NestInterceptor {
  constructor(private readonly calls: CallContextResolver) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const call = grpcCallOf(context);
    const metadata = context.switchToRpc().getContext<Metadata | undefined>();
    const established = metadata && this.calls.peek(metadata);
    const parent = readTraceContext(metadata, readMetadata);
    const service = `aos.v1.${call.service}`;
    const span = tracer.startSpan(
      `${service}/${call.method}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'rpc.system': 'grpc',
          'rpc.service': service,
          'rpc.method': call.method,
          ...(established
            ? {
                'aos.tenant.id': established.ctx.tenantId,
                'aos.principal': established.caller.identity.subject,
                'aos.actor.kind': established.ctx.actor.kind,
                'aos.actor.id': established.ctx.actor.id,
                'aos.correlation_id': established.ctx.correlationId,
              }
            : {}),
        },
      },
      parent,
    );
    let ended = false;
    const end = (code: number, err?: unknown) => {
      if (ended) return;
      ended = true;
      span.setAttribute('rpc.grpc.status_code', code);
      recordServedCode(span, GrpcStatus[code] ?? String(code), err);
      span.end();
    };
    // Nest binds the handler's async context when handle() is called: calling it
    // inside the span's context makes the span active for the whole handler.
    return otelContext
      .with(trace.setSpan(parent, span), () => next.handle())
      .pipe(
        tap({
          next: () => (call.unary ? end(GrpcStatus.OK) : undefined),
          complete: () => end(GrpcStatus.OK),
          error: (err: unknown) => end(toGrpcError(err).code, err),
        }),
        finalize(() => end(GrpcStatus.CANCELLED)),
      );
  }
}
