import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { EventStoreUnavailableError } from '../errors';

// Matched by name rather than instanceof: the nats packages may be installed more than once.
const TRANSPORT_ERRORS = new Set([
  'TimeoutError',
  'ClosedConnectionError',
  'DrainingConnectionError',
  'ConnectionError',
  'RequestError',
  'NoResponders',
  'JetStreamNotEnabled',
]);

/** Turns "could not reach / no answer from the server" into EventStoreUnavailableError; passes anything else through. */
export function toStoreError(operation: string, error: unknown): unknown {
  if (error instanceof Error && TRANSPORT_ERRORS.has(error.name)) {
    return new EventStoreUnavailableError(operation, { cause: error });
  }
  // 503: JetStream is there but cannot answer now (a cluster electing a leader, a lost quorum).
  if (error instanceof JetStreamApiError && error.status === 503) {
    return new EventStoreUnavailableError(operation, { cause: error });
  }
  return error;
}

/** The server rejected a publish because Nats-Expected-Last-Subject-Sequence did not match. */
export function isWrongLastSequence(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamWrongLastSequence;
}
