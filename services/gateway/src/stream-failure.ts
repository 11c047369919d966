import { AosError, UnavailableError } from '@aos/errors';

/**
 * What a server stream ends with when reading the log fails: an AosError (e.g.
 * lifecycle's NOT_FOUND from a handler) as it is; anything from the store as
 * UNAVAILABLE, after which the client may resume from the last position it got.
 */
export function streamFailure(err: unknown): AosError {
  return err instanceof AosError ? err : new UnavailableError('reading the event log failed', { cause: err });
}
