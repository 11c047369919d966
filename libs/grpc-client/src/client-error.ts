import { Metadata, status as Status, type ServiceError } from '@grpc/grpc-js';

/** A gRPC status name, e.g. 'NOT_FOUND'. */
export type GrpcStatusName = keyof typeof Status;

/**
 * Thrown (promise rejection or stream iteration) when a call ends with a
 * non-OK gRPC status, including failures grpc-js reports for calls it could not
 * make (UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL for an unserialisable request).
 */
export class AosClientError extends Error {
  override name = 'AosClientError';
  /** The status name, e.g. 'NOT_FOUND'. */
  readonly code: GrpcStatusName;

  constructor(
    /** The numeric gRPC status. */
    readonly status: Status,
    /** The server's message, e.g. 'agent "x" not found'. */
    readonly details: string,
    /** Trailing metadata of the failed call, when there was a call. */
    readonly metadata?: Metadata,
    options?: { cause?: unknown },
  ) {
    const code = (Status[status] ?? 'UNKNOWN') as GrpcStatusName;
    super(`${code}: ${details}`, options);
    this.code = code;
  }
}

function isServiceError(error: unknown): error is ServiceError {
  return (
    error instanceof Error &&
    typeof (error as Partial<ServiceError>).code === 'number' &&
    typeof (error as Partial<ServiceError>).details === 'string'
  );
}

/** Turns whatever a grpc-js call failed with into an AosClientError. */
export function toAosClientError(error: unknown): AosClientError {
  if (error instanceof AosClientError) return error;
  if (isServiceError(error)) {
    return new AosClientError(error.code, error.details, error.metadata, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new AosClientError(Status.UNKNOWN, message, undefined, { cause: error });
}
