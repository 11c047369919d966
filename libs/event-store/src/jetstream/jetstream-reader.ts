import type { Consumer, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { RecordedEvent } from '../event-store.port';
import { decodeEventMessage } from './event-codec';
import { toStoreError } from './nats-errors';

/** Messages per pull; a fetch is a round trip, and this many decoded events are the most held in memory. */
const READ_BATCH = 1000;

export interface OrderedReadContext {
  js: JetStreamClient;
  stream: string;
  /** Runs clean-up that the read must not wait for (deleting the consumer). */
  background(work: Promise<unknown>): void;
}

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
  try {
    consumer = await ctx.js.consumers.get(ctx.stream, { filter_subjects: subject, opt_start_seq: after + 1 });
    remaining = Math.min((await consumer.info(true)).num_pending, limit);
  } catch (error) {
    throw toStoreError('read', error);
  }
  try {
    while (remaining > 0) {
      const beforeBatch = remaining;
      for await (const event of fetchBatch(consumer, Math.min(remaining, READ_BATCH))) {
        yield event;
        if (--remaining === 0) break;
      }
      // Stops rather than spins should the server hand out less than it counted.
      if (remaining === beforeBatch) break;
    }
  } finally {
    ctx.background(consumer.delete());
  }
}

async function* fetchBatch(consumer: Consumer, max: number): AsyncGenerator<RecordedEvent> {
  let messages: AsyncIterable<JsMsg>;
  try {
    messages = await consumer.fetch({ max_messages: max });
  } catch (error) {
    throw toStoreError('read', error);
  }
  for await (const msg of mapErrors(messages)) yield decodeEventMessage(msg);
}

/** Errors raised while iterating (a lost connection) become store errors; decoding errors pass as they are. */
async function* mapErrors(messages: AsyncIterable<JsMsg>): AsyncGenerator<JsMsg> {
  try {
    for await (const msg of messages) yield msg;
  } catch (error) {
    throw toStoreError('read', error);
  }
}
