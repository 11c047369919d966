import type { JetStreamClient, StoredMsg } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { ConcurrencyError, MalformedEventError, type ActualRevision } from '../errors';
import type { AppendResult, ExpectedRevision, NewEvent, StreamRef } from '../event-store.port';
import { streamName } from '../stream-ref';
import { encodeEvent, REVISION_HEADER } from './event-codec';
import type { MessageQuery } from './jetstream-reader';
import { isWrongLastSequence, retryTransient, toStoreError } from './nats-errors';
import { NO_STREAM_HEAD, StreamHeadCache, type StreamHead } from './stream-heads';
import { subjectFor } from './subjects';

/** Publishes of a first event against a fresh head before giving up (only `any` and `exists` repeat). */
const FIRST_ATTEMPTS = 10;

/** What one publish did: wrote the event (or found it written by an earlier try), or found its place taken. */
type Outcome = { written: StreamHead } | { written?: undefined };

/**
 * Appends with optimistic concurrency on JetStream.
 *
 * Every event is published into a slot: its stream's next revision. The
 * message id (Nats-Msg-Id) names the slot, `<subject>:<revision>`, and the
 * publish expects the subject's last sequence to be the previous event's. On
 * one server both checks run as the message is stored. On a cluster,
 * nats-server 2.9 checks the expected subject sequence only against what the
 * leader has applied, before proposing: several concurrent publishes
 * expecting the same sequence can all pass it (nats-io/nats-server#4320,
 * fixed in 2.9.21). The slot's message id closes that gap: duplicates are
 * detected as each replica applies the log, in log order, so of several
 * writers of one revision exactly one is stored and the others are answered
 * "duplicate" with the winner's position.
 *
 * A retry (the same event ids) is recognised by reading the event in the
 * slot it was meant for, so a retried append is the same append however
 * stale its expected revision and however long ago it was made.
 *
 * Atomicity, honestly: nats-server 2.9 has no atomic batch publish (2.11/2.12 add it), so a
 * multi-event append is published as a chain, each event into the slot after the previous one.
 * A crash between two publishes leaves the first part written; retrying the append with the
 * same event ids completes it. Another writer (one that read the first part) can take the slot
 * of the chain's next event: the rest of the chain is then not written, because it was decided
 * against a stream that no longer is what it was, and the append fails with a ConcurrencyError
 * naming how many of its events were written. Each event is a fact on its own, so the written
 * part stands; the caller decides again on the stream as it now is.
 */
export class JetStreamAppender {
  private readonly heads = new StreamHeadCache();

  constructor(
    /** JetStream publish (failing fast once the connection is lost). */
    private readonly publishTo: JetStreamClient['publish'],
    /** A message as the log holds it now (the leader's answer on a replicated stream). */
    private readonly currentMessage: (query: MessageQuery) => Promise<StoredMsg | null>,
  ) {}

  async append(ref: StreamRef, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    const subject = subjectFor(ref);
    const name = streamName(ref);
    let written = await this.publishFirst(subject, name, events[0], expected);
    for (let i = 1; i < events.length; i++) {
      written = await this.publishNext(subject, name, events[i], written, i);
    }
    this.heads.remember(subject, written);
    return { nextRevision: written.revision, position: written.seq };
  }

  private async publishFirst(
    subject: string,
    name: string,
    event: NewEvent,
    expected: ExpectedRevision,
  ): Promise<StreamHead> {
    // A stream expected not to exist is published to at once, expecting the subject empty
    // (sequence 0): the server's check decides, and a create costs one request, not a read first.
    const cached = this.heads.get(subject);
    let head = cached ?? (expected === 'no_stream' ? NO_STREAM_HEAD : await this.loadHead(subject));
    let current = cached === undefined && expected !== 'no_stream';
    for (let attempt = 1; ; attempt++) {
      if (!satisfies(expected, head)) {
        if (!current) {
          head = await this.loadHead(subject);
          current = true;
          continue;
        }
        // The stream moved past the expected revision: perhaps by this very append, made before.
        const earlier = await this.foundAt(subject, event, slotOf(expected), head);
        if (earlier) return earlier;
        throw new ConcurrencyError(name, expected, actualOf(head));
      }
      const outcome = await this.publish(subject, event, head);
      if (outcome.written) return outcome.written;
      head = await this.loadHead(subject);
      current = true;
      if (attempt >= FIRST_ATTEMPTS) {
        throw new ConcurrencyError(name, expected, actualOf(head), {
          detail: `other writers kept taking the next revision (${FIRST_ATTEMPTS} attempts)`,
        });
      }
    }
  }

  private async publishNext(
    subject: string,
    name: string,
    event: NewEvent,
    previous: StreamHead,
    index: number,
  ): Promise<StreamHead> {
    const outcome = await this.publish(subject, event, previous);
    if (outcome.written) return outcome.written;
    const head = await this.loadHead(subject);
    // A retry of this append finds its own event in the slot after the previous one.
    const earlier = await this.foundAt(subject, event, previous.revision + 1, head);
    if (earlier) return earlier;
    throw new ConcurrencyError(name, previous.revision, actualOf(head), {
      detail: `another writer took revision ${previous.revision + 1} after ${index} of this append's events were written; the rest was not written`,
    });
  }

  /** Publishes `event` into the slot after `after`; an answer "duplicate" is this event (a retry) or another's. */
  private async publish(subject: string, event: NewEvent, after: StreamHead): Promise<Outcome> {
    const revision = after.revision + 1;
    const h = natsHeaders();
    h.set(REVISION_HEADER, String(revision));
    let ack;
    try {
      // A repeat is safe: the slot's message id makes it a duplicate of one that got through.
      ack = await retryTransient(() =>
        this.publishTo(subject, encodeEvent(event, revision), {
          msgID: slotId(subject, revision),
          expect: { lastSubjectSequence: after.seq },
          headers: h,
        }),
      );
    } catch (error) {
      if (isWrongLastSequence(error)) return {};
      throw toStoreError('append', error);
    }
    if (!ack.duplicate) return { written: { seq: ack.seq, revision } };
    const stored = await this.get({ seq: ack.seq });
    // Only possible if someone deleted the message from the log since it was acknowledged.
    if (!stored)
      throw new MalformedEventError(subject, ack.seq, 'acknowledged as a duplicate but missing from the log');
    return isEvent(stored, subject, event) ? { written: { seq: stored.seq, revision: readRevision(stored) } } : {};
  }

  /** The event in `revision` of the stream (at or before `head`), if it is `event`. */
  private async foundAt(
    subject: string,
    event: NewEvent,
    revision: number | undefined,
    head: StreamHead,
  ): Promise<StreamHead | undefined> {
    if (revision === undefined || revision < 0 || revision > head.revision) return undefined;
    const stored = await this.atRevision(subject, revision, head);
    return stored && isEvent(stored, subject, event) ? { seq: stored.seq, revision } : undefined;
  }

  /**
   * The message holding `revision` of the stream on `subject`: a binary
   * search over log positions with next-by-subject reads (revisions grow with
   * positions), a few reads even in a long log. Only conflicts and retries ask.
   */
  private async atRevision(subject: string, revision: number, head: StreamHead): Promise<StoredMsg | null> {
    let lo = 1;
    let hi = head.seq;
    while (lo <= hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const next = await this.get({ next_by_subj: subject, seq: mid });
      if (!next || next.seq > hi) {
        hi = mid - 1;
        continue;
      }
      const found = readRevision(next);
      if (found === revision) return next;
      if (found < revision) lo = next.seq + 1;
      else hi = mid - 1;
    }
    return null;
  }

  /** ~0.1 ms on a local server: the last message on the subject. */
  private async loadHead(subject: string): Promise<StreamHead> {
    const msg = await this.get({ last_by_subj: subject });
    const head = msg ? { seq: msg.seq, revision: readRevision(msg) } : NO_STREAM_HEAD;
    this.heads.remember(subject, head);
    return head;
  }

  private async get(query: MessageQuery): Promise<StoredMsg | null> {
    try {
      return await this.currentMessage(query);
    } catch (error) {
      throw toStoreError('append', error);
    }
  }
}

/** The message id of a stream's revision: of all publishes into one slot, the log stores one. */
function slotId(subject: string, revision: number): string {
  return `${subject}:${revision}`;
}

/** The revision an append with this expectation writes first, when it is known. */
function slotOf(expected: ExpectedRevision): number | undefined {
  if (expected === 'no_stream') return 0;
  return typeof expected === 'number' ? expected + 1 : undefined;
}

function isEvent(stored: StoredMsg, subject: string, event: NewEvent): boolean {
  if (stored.subject !== subject) return false;
  try {
    return (stored.json<{ id?: unknown }>().id as string | undefined)?.toLowerCase() === event.id.toLowerCase();
  } catch {
    return false;
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
