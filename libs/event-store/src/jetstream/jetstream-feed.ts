import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { EventStoreUnavailableError } from '../errors';
import type { EventFeed, SubscriptionDispatcher } from '../subscription-dispatcher';
import type { OrderedReadContext } from './jetstream-reader';
import { toStoreError } from './nats-errors';

export type { MessageQuery } from './jetstream-reader';

/** Messages the client keeps requested ahead of the handler. */
const PULL_AHEAD = 1024;
/**
 * Opening a consumer is retried this many times, this far apart, while the
 * server is unreachable or JetStream elects a leader (on nats-server 2.9 a
 * cluster can take over 10 s after a node dies).
 */
const OPEN_ATTEMPTS = 120;
const OPEN_RETRY_MS = 250;

export type FeedContext = OrderedReadContext;

/** One ordered consumer and its message stream; replaced on resume after a pause. */
interface Session {
  consumer: Consumer;
  messages?: ConsumerMessages;
}

/**
 * Feeds a subscription from an ordered consumer on one filter subject. Ordered consumers give
 * no gap and no duplicate (the client recreates the consumer from its cursor if a delivery
 * goes missing). Pausing closes the consumer; resuming opens a new one right after the last
 * message pushed, because JetStream has no way to stop a pull consumer's flow in place.
 */
export class JetStreamFeed implements EventFeed {
  private session: Session | undefined;
  private lastPushedSeq: number;
  /**
   * The last matching message at subscribe time (the leader's answer on a replicated stream;
   * -1 until asked): the subscription is caught up once it has pushed it. Not the consumer's
   * num_pending: a replica that has not applied the newest messages counts too few, and
   * nats-server 2.9 counts too many for a wildcard filter started mid-stream (a restart from
   * a projection snapshot waited for two messages that never came).
   */
  private caughtUpTarget = -1;
  private caughtUpSent = false;
  private paused = false;
  private stopped = false;
  /**
   * Counts the sessions asked for: only the newest may become the session, so an open that a pause, a resume or a
   * reconnect overtook never pushes (two live sessions would both push, from the same start sequence).
   */
  private generation = 0;
  private readonly unwatch: () => void;

  constructor(
    private readonly ctx: FeedContext,
    private readonly dispatcher: SubscriptionDispatcher<JsMsg>,
    private readonly subject: string,
    after: number,
  ) {
    this.lastPushedSeq = after;
    // After a reconnect the consumer may be gone (a restarted server forgets ephemeral consumers),
    // and the client would notice only at a missed heartbeat: a new one starts at once instead.
    this.unwatch = ctx.onReconnect(() => this.renew());
  }

  start(): void {
    void this.open(true);
  }

  pause(): void {
    this.paused = true;
    this.generation++;
    this.release(this.session);
    this.session = undefined;
  }

  resume(): void {
    if (!this.paused || this.stopped) return;
    this.paused = false;
    void this.open(false);
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.unwatch();
    const session = this.session;
    this.session = undefined;
    await session?.messages?.close().catch(() => undefined);
    await session?.consumer.delete().catch(() => undefined);
  }

  /** Replaces the session with a new consumer right after the last message pushed (nothing lost, nothing twice). */
  private renew(): void {
    if (this.stopped || this.paused || !this.session) return;
    this.generation++;
    this.release(this.session);
    this.session = undefined;
    void this.open(false);
  }

  async firstMatchBetween(after: number, upTo: number): Promise<number | null> {
    const next = await this.ctx.currentMessage({ next_by_subj: this.subject, seq: after + 1 });
    return next && next.seq <= upTo ? next.seq : null;
  }

  private async open(first: boolean): Promise<void> {
    const generation = ++this.generation;
    for (let attempt = 1; ; attempt++) {
      if (generation !== this.generation) return;
      try {
        await this.openSession(first, generation);
        return;
      } catch (error) {
        const storeError = toStoreError('subscribe', error);
        // A consumer cannot be created while the client reconnects; that alone must not end
        // a subscription, but a log that stays unreachable (or any other failure) does.
        if (generation !== this.generation) return;
        if (!(storeError instanceof EventStoreUnavailableError) || attempt >= OPEN_ATTEMPTS || this.stopped) {
          this.dispatcher.fail(storeError);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, OPEN_RETRY_MS));
      }
    }
  }

  private async openSession(first: boolean, generation: number): Promise<void> {
    if (first) {
      this.caughtUpTarget = (await this.ctx.currentMessage({ last_by_subj: this.subject }))?.seq ?? 0;
      this.maybeCaughtUp();
    }
    const consumer = await this.ctx.js.consumers.get(this.ctx.stream, {
      filter_subjects: this.subject,
      opt_start_seq: this.lastPushedSeq + 1,
    });
    // Paused, stopped, or another session asked for since: this one must never push.
    if (this.stopped || this.paused || generation !== this.generation) {
      this.ctx.background(consumer.delete());
      return;
    }
    const session: Session = { consumer };
    this.session = session;
    session.messages = await consumer.consume({
      max_messages: PULL_AHEAD,
      callback: (msg) => this.onMessage(session, msg),
    });
    // Paused or replaced while consume() was starting: release() saw no messages to close then.
    if (session !== this.session) {
      this.ctx.background(session.messages.close());
      return;
    }
    void session.messages.closed().then((error) => this.onSessionClosed(session, error));
  }

  private onMessage(session: Session, msg: JsMsg): void {
    // Deliveries already in flight when a session was paused or closed are dropped here; the
    // next session starts right after lastPushedSeq, so nothing is lost.
    if (session !== this.session) return;
    // Never push a message twice, whatever a consumer redelivers.
    if (msg.info.streamSequence <= this.lastPushedSeq) return;
    this.lastPushedSeq = msg.info.streamSequence;
    this.dispatcher.push(msg);
    this.maybeCaughtUp();
  }

  /** Caught up: the last matching message at subscribe time pushed (or none existed after the start). */
  private maybeCaughtUp(): void {
    if (this.caughtUpSent || this.caughtUpTarget < 0 || this.lastPushedSeq < this.caughtUpTarget) return;
    this.caughtUpSent = true;
    this.dispatcher.pushCaughtUp();
  }

  /** The client ends a consume on its own only when it cannot go on, e.g. the connection closed. */
  private onSessionClosed(session: Session, error: void | Error): void {
    if (session !== this.session || this.stopped) return;
    this.dispatcher.fail(
      new EventStoreUnavailableError('subscribe', { cause: error ?? new Error('consumer stopped') }),
    );
  }

  private release(session: Session | undefined): void {
    if (!session) return;
    if (session.messages) this.ctx.background(session.messages.close());
    this.ctx.background(session.consumer.delete());
  }
}
