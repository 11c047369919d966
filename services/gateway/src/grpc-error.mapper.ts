import { status } from '@grpc/grpc-js';
import type { Logger } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { AosError, unavailableFor, type ErrorCode } from '@aos/errors';

/** AosError code → gRPC status: the one place where domain errors become status codes. */
export const GRPC_STATUS_BY_CODE: Readonly<Record<ErrorCode, status>> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  ABORTED: status.ABORTED,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  UNAVAILABLE: status.UNAVAILABLE,
  INTERNAL: status.INTERNAL,
};

/**
 * What grpc-js needs to end a call with a status: it reads a numeric `code` and
 * takes the status message from `message` (or `details`).
 */
export interface GrpcError {
  code: status;
  message: string;
}

/**
 * Maps anything a handler threw to the status the client sees. The log or
 * NATS out of reach is UNAVAILABLE (retryable). Other errors without a code
 * are bugs: they are logged here with their stack and leave only as INTERNAL
 * "internal error", so no internals reach the caller.
 */
export function toGrpcError(exception: unknown, logger?: Logger): GrpcError {
  const error = exception instanceof RpcException ? exception.getError() : exception;
  if (error instanceof AosError) {
    if (error.code === 'INTERNAL' || error.code === 'UNAVAILABLE') logger?.warn(`${error.code}: ${error.message}`);
    return { code: GRPC_STATUS_BY_CODE[error.code], message: error.message };
  }
  const unavailable = unavailableFor(error);
  if (unavailable) {
    logger?.warn(`UNAVAILABLE: ${unavailable.message}`);
    return { code: status.UNAVAILABLE, message: unavailable.message };
  }
  logger?.error(error instanceof Error ? (error.stack ?? error.message) : `non-error thrown: ${String(error)}`);
  return { code: status.INTERNAL, message: 'internal error' };
}
