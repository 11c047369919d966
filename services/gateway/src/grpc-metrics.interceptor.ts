import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { metrics, secondsSince } from '@aos/metrics';
import { tap, type Observable } from 'rxjs';
import { toGrpcError } from './grpc-error.mapper';

/** Nest's metadata key of a @GrpcMethod/@GrpcStreamMethod: `{ service, rpc, streaming }`. */
const PATTERN_METADATA = 'microservices:pattern';

interface GrpcPattern {
  service?: string;
  rpc?: string;
  streaming?: string;
}

/**
 * Counts every gRPC call the gateway answers in aos_grpc_requests_total by
 * method (`AgentService.CreateAgent`) and status code name, and times the
 * unary ones in aos_grpc_request_duration_seconds (a stream's length is not
 * a latency). Only the method and the code are labels, never who called.
 */
@Injectable()
export class GrpcMetricsInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const handler = context.getHandler();
    const patterns = Reflect.getMetadata(PATTERN_METADATA, handler) as GrpcPattern[] | undefined;
    const pattern = patterns?.[0];
    // Nest keeps the handler's name (createAgent); the proto's method is CreateAgent.
    const rpc = pattern?.rpc ?? handler.name;
    const method = `${pattern?.service ?? context.getClass().name}.${rpc.charAt(0).toUpperCase()}${rpc.slice(1)}`;
    const unary = pattern?.streaming === undefined || pattern.streaming === 'no_stream';
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
