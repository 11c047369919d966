import { Catch, Logger, type RpcExceptionFilter } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { AosError, unavailableFor, type WireError } from '@aos/errors';
import { throwError, type Observable } from 'rxjs';

/**
 * Turns whatever a NATS handler throws into a WireError, so that the code
 * survives the hop and the gateway can map it. The log or NATS out of reach
 * is UNAVAILABLE; other unknown errors are logged here, with their stack, and
 * leave the service only as INTERNAL.
 */
@Catch()
export class RpcErrorFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('RpcErrorFilter');

  catch(exception: unknown): Observable<WireError> {
    return throwError(() => toWireError(exception, this.logger));
  }
}

export function toWireError(exception: unknown, logger?: Logger): WireError {
  if (exception instanceof AosError) return exception.toWire();
  if (exception instanceof RpcException) {
    const inner = exception.getError();
    if (inner instanceof AosError) return inner.toWire();
  }
  // The log or NATS out of reach: the caller may retry (logged once, without a stack).
  const unavailable = unavailableFor(exception);
  if (unavailable) {
    logger?.warn(unavailable.message);
    return unavailable.toWire();
  }
  logger?.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
  return { code: 'INTERNAL', message: 'internal error' };
}
