import type { Consumer, JetStreamClient, JsMsg, StoredMsg } from '@nats-io/jetstream';
import { EventStoreUnavailableError } from '../errors';
import type { RecordedEvent } from '../event-store.port';
import { decodeEventMessage } from './event-codec';
import { retryTransient, toStoreError } from './nats-errors';

/** Messages per pull; a fetch is a round trip, and this many decoded events are the most held in memory. */
const READ_BATCH = 1000;
/**
 * About how many bytes one pull asks for. The server pushes a whole pull at
 * once; a reader that works on each event (VerifyLog hashes them) reads its
 * socket only between batches, and a pull of a thousand large events (a
 * checkpoint is ~235 KB) outgrew the server's pending limit for the client
 * (64 MB by default): it dropped the reader as a slow consumer and the read
 * ended short. So a pull asks for as many messages as fit this many bytes at
 * the largest size seen so far (the client's fetch takes a message count or
 * a byte count, not both), starting with FIRST_BATCH: small events still come
 * a thousand at a time.
 */
export const READ_BATCH_BYTES = 2 * 1024 * 1024;
/** The first pull's size, before any message size is known: 32 of NATS's largest (1 MiB) stay well under 64 MB. */
const FIRST_BATCH = 32;

/** A message by sequence, the last on a subject, or the first on a subject from a sequence (wildcards allowed). */
export type MessageQuery = { seq: number } | { last_by_subj: string } | { next_by_subj: string; seq?: number };

export interface OrderedReadContext {
  js: JetStreamClient;
  stream: string;
  /** One message as the log holds it now (the stream leader's answer on a replicated stream). */
  currentMessage(query: MessageQuery): Promise<StoredMsg | null>;
  /**
   * The stream is replicated: an ordered consumer may be placed on a follower
   * that has not applied the newest messages, so a read also goes on until it
   * has passed the leader's last message on its subject.
   */
  replicated: boolean;
  /** Runs clean-up that the read must not wait for (deleting the consumer). */
  background(work: Promise<unknown>): void;
  /** Calls `listener` after every reconnect of the connection; returns what stops that. */
  onReconnect(listener: () => void): () => void;
}

/** How long a read on a replicated stream waits for its consumer's replica to reach the leader's head. */
const REPLICA_CATCH_UP_MS = 5_000;
/** Fetch expiry while waiting for a lagging replica (the server's minimum is 1 s). */
const CATCH_UP_FETCH_MS = 1_000;

/**
 * Reads the events on `subject` with position > `after`, up to the head when iteration
 * starts, through an ordered consumer. "Up to the head" is the consumer's num_pending at
 * creation: exactly the messages that existed then, whatever is appended meanwhile. Fetching
 * batch by batch (instead of consume) keeps a slow reader from buffering the whole log.
 */
export async function* readOrdered(
  ctx: OrderedReadContext,
  subject: string,
  after: number,
  limit: number,
): AsyncGenerator<RecordedEvent> {
  let consumer: Consumer;
  let remaining: number;
  /** On a replicated stream, the leader's last message on the subject: the read reaches at least it. */
  let target = 0;
  try {
    if (ctx.replicated) target = (await ctx.currentMessage({ last_by_subj: subject }))?.seq ?? 0;
    consumer = await retryTransient(() =>
      ctx.js.consumers.get(ctx.stream, { filter_subjects: subject, opt_start_seq: after + 1 }),
    );
    remaining = Math.min((await consumer.info(true)).num_pending, limit);
  } catch (error) {
    throw toStoreError('read', error);
  }
  let last = after;
  let yielded = 0;
  // A read that lost its connection may have lost deliveries with it: it fails rather than ending short.
  let reconnected = false;
  const unwatch = ctx.onReconnect(() => (reconnected = true));
  let batch = FIRST_BATCH;
  const sizes = { largest: 0 };
  try {
    while (remaining > 0) {
      const beforeBatch = remaining;
      sizes.largest = 0;
      for await (const event of fetchBatch(consumer, Math.min(remaining, batch), undefined, sizes)) {
        last = event.position;
        yielded++;
        yield event;
        if (--remaining === 0) break;
      }
      // Stops rather than spins should the server hand out less than it counted.
      if (remaining === beforeBatch) break;
      batch = Math.max(1, Math.min(READ_BATCH, Math.floor(READ_BATCH_BYTES / Math.max(1, sizes.largest))));
    }
    if (remaining > 0 && reconnected) {
      throw new EventStoreUnavailableError('read', {
        cause: new Error(
          `the connection was lost during the read; ${remaining} event(s) after position ${last} not read`,
        ),
      });
    }
    // The consumer's replica counted fewer than the leader holds: read on until it has them.
    const deadline = Date.now() + REPLICA_CATCH_UP_MS;
    while (last < target && yielded < limit) {
      if (Date.now() > deadline) {
        throw new EventStoreUnavailableError('read', {
          cause: new Error(
            `the replica serving the read did not reach position ${target} in ${REPLICA_CATCH_UP_MS} ms`,
          ),
        });
      }
      for await (const event of fetchBatch(consumer, Math.min(limit - yielded, READ_BATCH), CATCH_UP_FETCH_MS)) {
        last = event.position;
        yielded++;
        yield event;
        if (yielded >= limit || last >= target) break;
      }
    }
  } finally {
    unwatch();
    ctx.background(consumer.delete());
  }
}

async function* fetchBatch(
  consumer: Consumer,
  max: number,
  expiresMs?: number,
  sizes?: { largest: number },
): AsyncGenerator<RecordedEvent> {
  let messages: AsyncIterable<JsMsg>;
  try {
    messages = await consumer.fetch({ max_messages: max, ...(expiresMs !== undefined && { expires: expiresMs }) });
  } catch (error) {
    throw toStoreError('read', error);
  }
  for await (const msg of mapErrors(messages)) {
    if (sizes && msg.data.length > sizes.largest) sizes.largest = msg.data.length;
    yield decodeEventMessage(msg);
  }
}

/** Errors raised while iterating (a lost connection) become store errors; decoding errors pass as they are. */
async function* mapErrors(messages: AsyncIterable<JsMsg>): AsyncGenerator<JsMsg> {
  try {
    for await (const msg of messages) yield msg;
  } catch (error) {
    throw toStoreError('read', error);
  }
}
