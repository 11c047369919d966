import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { metrics, secondsSince } from '@aos/metrics';
import { tap, type Observable } from 'rxjs';
import { grpcCallOf } from './grpc-call';
import { toGrpcError } from './grpc-error.mapper';

/**
 * Counts every gRPC call the gateway answers in aos_grpc_requests_total by
 * method (`AgentService.CreateAgent`) and status code name, and times the
 * unary ones in aos_grpc_request_duration_seconds (a stream's length is not
 * a latency). Only the method and the code are labels, never who called.
 */
@Injectable()
export class GrpcMetricsInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const call = grpcCallOf(context);
    const method = `${call.service}.${call.method}`;
    const { unary } = call;
    const started = process.hrtime.bigint();
    let counted = false;
    const done = (code: number) => {
      if (counted) return;
      counted = true;
      const labels = { method, code: GrpcStatus[code] ?? String(code) };
      metrics.grpcRequests.inc(labels);
      if (unary) metrics.grpcRequestSeconds.observe(labels, secondsSince(started));
    };
    return next.handle().pipe(
      tap({
        next: () => (unary ? done(GrpcStatus.OK) : undefined),
        complete: () => done(GrpcStatus.OK),
        error: (err: unknown) => done(toGrpcError(err).code),
      }),
    );
  }
}
