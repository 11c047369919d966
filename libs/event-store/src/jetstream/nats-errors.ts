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

/**
 * JetStream answered "not now": nobody listens on the subject yet (a stream or
 * bucket just created, whose leader the cluster is still electing), or the
 * stream has no leader at the moment (503). Retried for a while, these pass.
 */
export function isTransient(error: unknown, timeouts = false): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof JetStreamApiError) return error.status === 503;
  if (error.name === 'NoResponders' || error.name === 'JetStreamNotEnabled') return true;
  if (timeouts && error.name === 'TimeoutError') return true;
  return error.cause !== undefined && isTransient(error.cause, timeouts);
}

/**
 * Creating a stream (or KV bucket) that another instance is creating at the
 * same moment: nats-server answers "subjects overlap with an existing stream"
 * (10065) until that one is in place; asked again, the create finds it (a CI
 * run had two services open the names bucket together).
 */
export function isCreationRace(error: unknown): boolean {
  return error instanceof JetStreamApiError && (error.code === 10065 || /subjects overlap/i.test(error.message));
}

/** How long opening a stream or bucket keeps trying while a fresh or wounded cluster settles. */
export const STARTUP_RETRY_MS = 30_000;

/** How long a JetStream request is retried while the cluster elects a leader (a failover takes 4-8 s on 2.9). */
export const ELECTION_RETRY_MS = 10_000;

/**
 * Runs `request` again while JetStream answers "not now" (see isTransient),
 * for at most `budgetMs`, backing off from 50 ms to 500 ms. Only for requests
 * that are safe to repeat: reads, and publishes whose message id makes a
 * repeat a duplicate. `timeouts`: a request that timed out is repeated too
 * (idempotent administration at start-up, when a fresh cluster is slow to answer).
 */
export async function retryTransient<T>(
  request: () => Promise<T>,
  budgetMs = ELECTION_RETRY_MS,
  options: { timeouts?: boolean; creating?: boolean } = {},
): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let pause = 50; ; pause = Math.min(pause * 2, 500)) {
    try {
      return await request();
    } catch (error) {
      const again = isTransient(error, options.timeouts) || (options.creating === true && isCreationRace(error));
      if (!again || Date.now() + pause > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/**
 * Resolves once the stream has a leader: a replicated stream just created
 * (or whose leader just went away) takes a moment to elect one, and until
 * then a publish finds no responder. Gives up after ELECTION_RETRY_MS.
 */
export async function waitForLeader(
  info: () => Promise<{ cluster?: { leader?: string } }>,
  budgetMs = ELECTION_RETRY_MS,
): Promise<void> {
  const deadline = Date.now() + budgetMs;
  for (;;) {
    // A stream info is a read: one that timed out while the cluster was busy is asked again. A stream just created
    // through another node can be "not found" for a moment until its assignment reaches the node asked (a CI run saw
    // it): until the deadline that is one more "no leader yet".
    let state: { cluster?: { leader?: string } } | undefined;
    try {
      state = await retryTransient(info, Math.max(0, deadline - Date.now()), { timeouts: true });
    } catch (error) {
      if (
        !(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) ||
        Date.now() > deadline
      )
        throw error;
    }
    if (state && (!state.cluster || state.cluster.leader)) return;
    if (Date.now() > deadline) throw new Error('the stream has no leader');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
