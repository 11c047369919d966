import type { JetStreamClient, JetStreamManager, StoredMsg } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { ConcurrencyError, InvalidEventError, MalformedEventError, type ActualRevision } from '../errors';
import type { AppendResult, ExpectedRevision, NewEvent, StreamRef } from '../event-store.port';
import { streamName } from '../stream-ref';
import { encodeEvent, REVISION_HEADER } from './event-codec';
import { isWrongLastSequence, toStoreError } from './nats-errors';
import { NO_STREAM_HEAD, StreamHeadCache, type StreamHead } from './stream-heads';
import { subjectFor } from './subjects';

/**
 * An expected last-subject sequence no stream ever reaches. Publishing with it makes the server
 * run its duplicate check (which comes first) and then reject: that is how an append whose
 * expected revision looks stale finds out whether it is really a retry of an append that
 * already succeeded.
 */
const NEVER_MATCHING_SEQ = Number.MAX_SAFE_INTEGER;
/** `any` has no conflict to report, so it retries against the fresh head a few times. */
const ANY_ATTEMPTS = 10;
/** Re-chaining attempts for one event when another writer slips in mid-append. */
const CHAIN_ATTEMPTS = 10;

/** A written (or deduplicated) event; a duplicate's revision is only looked up when needed. */
interface Written {
  seq: number;
  revision: number | undefined;
}

/**
 * Appends with optimistic concurrency on JetStream: the revision check is the server's
 * Nats-Expected-Last-Subject-Sequence check, idempotency is its Nats-Msg-Id duplicate window.
 *
 * Atomicity, honestly: nats-server 2.9 has no atomic batch publish (2.11/2.12 add it), so a
 * multi-event append is published as a chain, each event expecting the previous one's sequence.
 * Only the first event carries the caller's expected revision. A crash between two publishes
 * leaves the first part written; retrying the append with the same event ids completes it,
 * within the 5-minute duplicate window. A writer using `any` (or one that read the first part)
 * can slip an event in between two events of the chain; the chain then continues after it
 * rather than leaving the append half written, so such an append's events are not contiguous.
 */
export class JetStreamAppender {
  private readonly heads = new StreamHeadCache();

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
  ) {}

  async append(ref: StreamRef, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    const subject = subjectFor(ref);
    const name = streamName(ref);
    let written = await this.publishFirst(subject, name, events[0], expected);
    for (let i = 1; i < events.length; i++) {
      written = await this.publishNext(subject, name, events[i], written, i);
    }
    const last = await this.resolve(subject, written);
    this.heads.remember(subject, last);
    return { nextRevision: last.revision, position: last.seq };
  }

  private async publishFirst(
    subject: string,
    name: string,
    event: NewEvent,
    expected: ExpectedRevision,
  ): Promise<Written> {
    // A stream expected not to exist is published to at once, expecting the subject empty
    // (sequence 0): the server's check decides, and a create costs one request, not a read first.
    let head = this.heads.get(subject) ?? (expected === 'no_stream' ? NO_STREAM_HEAD : await this.loadHead(subject));
    let duplicateChecked = false;
    for (let attempt = 1; ; attempt++) {
      const satisfied = satisfies(expected, head);
      if (!satisfied && duplicateChecked) throw new ConcurrencyError(name, expected, actualOf(head));
      try {
        return await this.publish(subject, event, satisfied ? head.seq : NEVER_MATCHING_SEQ, head.revision + 1);
      } catch (error) {
        if (!isWrongLastSequence(error)) throw toStoreError('append', error);
        duplicateChecked = true;
        head = await this.loadHead(subject);
        if (attempt >= (expected === 'any' ? ANY_ATTEMPTS : 2)) {
          throw new ConcurrencyError(name, expected, actualOf(head), { cause: error });
        }
      }
    }
  }

  private async publishNext(
    subject: string,
    name: string,
    event: NewEvent,
    previous: Written,
    index: number,
  ): Promise<Written> {
    let after = await this.resolve(subject, previous);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.publish(subject, event, after.seq, after.revision + 1);
      } catch (error) {
        if (!isWrongLastSequence(error)) throw toStoreError('append', error);
        after = await this.loadHead(subject);
        if (attempt >= CHAIN_ATTEMPTS) {
          throw new ConcurrencyError(name, 'any', actualOf(after), {
            cause: error,
            detail: `append interrupted after ${index} event(s) were written; retry it with the same event ids`,
          });
        }
      }
    }
  }

  private async publish(subject: string, event: NewEvent, expectSeq: number, revision: number): Promise<Written> {
    const h = natsHeaders();
    h.set(REVISION_HEADER, String(revision));
    const ack = await this.js.publish(subject, encodeEvent(event, revision), {
      // Event ids are UUIDs; one spelling per id keeps retries deduplicated whatever the case.
      msgID: event.id.toLowerCase(),
      expect: { lastSubjectSequence: expectSeq },
      headers: h,
    });
    return { seq: ack.seq, revision: ack.duplicate ? undefined : revision };
  }

  private async resolve(subject: string, written: Written): Promise<StreamHead> {
    if (written.revision !== undefined) return { seq: written.seq, revision: written.revision };
    const msg = await this.direct({ seq: written.seq });
    // Only possible if someone deleted the message from the log since it was acknowledged.
    if (!msg)
      throw new MalformedEventError(subject, written.seq, 'acknowledged as a duplicate but missing from the log');
    // JetStream deduplicates ids across the whole log, not per aggregate stream: the
    // same id in another stream is a caller error, not a retry of this append.
    if (msg.subject !== subject) {
      throw new InvalidEventError(-1, `event id already used in another stream (position ${msg.seq})`);
    }
    return { seq: msg.seq, revision: readRevision(msg) };
  }

  /** ~0.1 ms on a local server: a direct get of the last message on the subject. */
  private async loadHead(subject: string): Promise<StreamHead> {
    const msg = await this.direct({ last_by_subj: subject });
    const head = msg ? { seq: msg.seq, revision: readRevision(msg) } : NO_STREAM_HEAD;
    this.heads.remember(subject, head);
    return head;
  }

  private async direct(query: { seq: number } | { last_by_subj: string }): Promise<StoredMsg | null> {
    try {
      return await this.jsm.direct.getMessage(this.stream, query);
    } catch (error) {
      throw toStoreError('append', error);
    }
  }
}

function satisfies(expected: ExpectedRevision, head: StreamHead): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return head.revision < 0;
    case 'exists':
      return head.revision >= 0;
    default:
      return head.revision === expected;
  }
}

function actualOf(head: StreamHead): ActualRevision {
  return head.revision < 0 ? 'no_stream' : head.revision;
}

function readRevision(msg: StoredMsg): number {
  const raw = msg.header?.get(REVISION_HEADER);
  const revision = raw ? Number(raw) : NaN;
  if (!Number.isSafeInteger(revision) || revision < 0) {
    throw new MalformedEventError(msg.subject, msg.seq, `missing or bad ${REVISION_HEADER} header`);
  }
  return revision;
}
