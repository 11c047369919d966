/**
 * Domain errors. Each carries a stable `code` that survives a NATS hop and is
 * mapped to a gRPC status in exactly one place, at the gateway.
 * This library has no dependencies so that pure domain code may use it.
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'RESOURCE_EXHAUSTED'
  | 'DEADLINE_EXCEEDED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export const ERROR_CODES: readonly ErrorCode[] = [
  'INVALID_ARGUMENT',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'FAILED_PRECONDITION',
  'ABORTED',
  'RESOURCE_EXHAUSTED',
  'DEADLINE_EXCEEDED',
  'UNAVAILABLE',
  'INTERNAL',
];

/** The serialisable form of an AosError, as it travels over NATS. */
export interface WireError {
  code: ErrorCode;
  message: string;
  field?: string;
}

/** Base class: an error whose `code` says which status the caller gets. */
export class AosError extends Error {
  override name = 'AosError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toWire(): WireError {
    return this.field === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, field: this.field };
  }
}

/** Thrown when a request field is missing, malformed or out of range; `field` names it. */
export class InvalidArgumentError extends AosError {
  override name = 'InvalidArgumentError';
  constructor(field: string, problem: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', `${field}: ${problem}`, field, options);
  }
}

/** Thrown when a resource does not exist, or exists in another tenant. */
export class NotFoundError extends AosError {
  override name = 'NotFoundError';
  constructor(
    readonly resource: string,
    readonly id: string,
  ) {
    super('NOT_FOUND', `${resource} ${JSON.stringify(id)} not found`);
  }
}

/** Thrown when a name or id is already taken. */
export class AlreadyExistsError extends AosError {
  override name = 'AlreadyExistsError';
  constructor(resource: string, field: string, value: string) {
    super('ALREADY_EXISTS', `${resource} with ${field} ${JSON.stringify(value)} already exists`, field);
  }
}

/** Thrown when a command is illegal in the aggregate's current state. */
export class FailedPreconditionError extends AosError {
  override name = 'FailedPreconditionError';
  constructor(message: string) {
    super('FAILED_PRECONDITION', message);
  }
}

/** Thrown when the caller's expected_revision is not the aggregate's current revision. */
export class RevisionMismatchError extends AosError {
  override name = 'RevisionMismatchError';
  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super('ABORTED', `expected_revision ${expected} is stale: the current revision is ${actual}`, 'expected_revision');
  }
}

/** Thrown when credentials are missing, malformed, unknown, expired or revoked. */
export class UnauthenticatedError extends AosError {
  override name = 'UnauthenticatedError';
  constructor(message = 'missing or invalid credentials') {
    super('UNAUTHENTICATED', message);
  }
}

/** Thrown when the caller is authenticated but not allowed to do this. */
export class PermissionDeniedError extends AosError {
  override name = 'PermissionDeniedError';
  constructor(message: string) {
    super('PERMISSION_DENIED', message);
  }
}

/** Thrown when a bounded wait (e.g. for min_position) runs out. */
export class DeadlineExceededError extends AosError {
  override name = 'DeadlineExceededError';
  constructor(message: string) {
    super('DEADLINE_EXCEEDED', message);
  }
}

/** Thrown when a dependency (NATS, the event store, a service) cannot be reached. */
export class UnavailableError extends AosError {
  override name = 'UnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', message, undefined, options);
  }
}

function isErrorCode(v: unknown): v is ErrorCode {
  return typeof v === 'string' && (ERROR_CODES as readonly string[]).includes(v);
}

/** Rebuilds an AosError from what arrived over the wire; anything unrecognised becomes INTERNAL. */
export function fromWireError(value: unknown): AosError {
  if (value instanceof AosError) return value;
  if (value && typeof value === 'object') {
    const v = value as Partial<WireError>;
    if (isErrorCode(v.code) && typeof v.message === 'string') return new AosError(v.code, v.message, v.field);
  }
  return new AosError('INTERNAL', 'internal error', undefined, { cause: value });
}

/**
 * Errors that mean "the log or the message bus could not be reached or did
 * not answer", whichever library threw them (matched by name: this library
 * depends on none of them, and they may be installed more than once).
 */
const UNREACHABLE_ERROR_NAMES: ReadonlySet<string> = new Set([
  'EventStoreUnavailableError',
  'ClosedConnectionError',
  'DrainingConnectionError',
  'ConnectionError',
  'RequestError',
  'NoResponders',
  'TimeoutError',
  'JetStreamNotEnabled',
]);

/**
 * The UnavailableError (retryable) for an error that means the log or NATS
 * could not be reached, looking through its causes; undefined for any other
 * error. Both boundaries (a service's reply, the gateway's status) use it, so
 * an outage is UNAVAILABLE to the caller, never INTERNAL.
 */
export function unavailableFor(error: unknown): UnavailableError | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof AosError) return e instanceof UnavailableError ? e : undefined;
    if (UNREACHABLE_ERROR_NAMES.has(e.name)) {
      return new UnavailableError(`the event log or NATS is unreachable: ${describeError(error)}`, { cause: error });
    }
  }
  return undefined;
}

/** One line for a log: the error's message, and its cause's when it has one. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error ? error.cause : undefined;
  return cause === undefined ? message : `${message} (cause: ${describeError(cause)})`;
}

/** The `default` of an exhaustive switch: the compiler reports the case a new union member left unhandled; reaching it at run time is a bug. */
export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
