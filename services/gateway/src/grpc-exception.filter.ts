import { Catch, Logger, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';
import { toGrpcError, type GrpcError } from './grpc-error.mapper';

/**
 * The gateway's only exception filter. Nest's gRPC server hands whatever this
 * Observable errors with to grpc-js (the unary callback, or the stream's
 * 'error' event), which turns `{code, message}` into the call's status; the
 * default filter would send `{status: 'error'}`, which arrives as UNKNOWN.
 */
@Catch()
export class GrpcExceptionFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('Gateway');

  catch(exception: unknown): Observable<GrpcError> {
    return throwError(() => toGrpcError(exception, this.logger));
  }
}
