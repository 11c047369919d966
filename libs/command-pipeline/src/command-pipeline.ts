import { v5 as uuidv5 } from 'uuid';
import type { NameKind } from '@aos/domain';
import {
  AosError,
  DeadlineExceededError,
  InvalidArgumentError,
  RevisionMismatchError,
  UnavailableError,
} from '@aos/errors';
import {
  ConcurrencyError,
  EventStoreUnavailableError,
  InvalidEventError,
  streamName,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type RecordedEvent,
  type StreamRef,
  type Subscription,
} from '@aos/event-store';
import { KeyedMutex } from '@aos/keyed-mutex';
import type { RequestContext } from '@aos/messaging';
import { envelop } from './envelope';
import type { NameLedger } from './kv-registers';
import { NameReservations, type NameChange, type NameHolders } from './name-reservations';
import { lastPositionOf, RequestIndex, type RecordedStep } from './request-index';

/** Something that follows the log and can say when it has applied a position. */
export interface LogFollower {
  /**
   * Resolves once what it follows has been applied up to `position`.
   * `category`: the event at `position` is in a stream of this category (the
   * command's own append), so what follows that category need not ask the log
   * what comes before it, and what follows other categories need not wait.
   */
  waitFor(position: number, timeoutMs?: number, category?: string): Promise<void>;
}

/** The log operations the pipeline uses. */
export type PipelineStore = Pick<EventStore, 'append' | 'headPosition' | 'readStream'>;

/**
 * What a service's host gives each writer built on the pipeline: the log,
 * the follower of the writer's read model, and whether it still follows.
 */
export interface WriterHost {
  store: PipelineStore;
  /** Waits until the writer's read model has applied a position. */
  follower: LogFollower;
  /** False once the subscription has stopped for good: the read model would answer from stale state. */
  isFollowing: () => boolean;
}

/**
 * The pipeline of a writer whose host gives it the log, its read model's
 * follower and whether it still follows: what every service's writer starts from.
 */
export function writerPipeline(
  host: WriterHost,
  options: Omit<CommandPipelineOptions, 'store' | 'followers' | 'isFollowing'>,
): CommandPipeline {
  return new CommandPipeline({
    store: host.store,
    followers: [host.follower],
    isFollowing: host.isFollowing,
    ...options,
  });
}

export interface PipelineWaits {
  /** How long a query waits for `min_position`. */
  readMs: number;
  /** How long a command waits for its own events to reach the read model. */
  writeMs: number;
  /** How long to wait for the read model to reach the head after losing a race. */
  catchUpMs: number;
}

export interface CommandPipelineOptions {
  store: PipelineStore;
  /** The read models a reply must wait for (every one of them). */
  followers: readonly LogFollower[];
  /** False once a subscription has stopped for good: the read model would answer from stale state. */
  isFollowing: () => boolean;
  /** Names the read model in errors, e.g. "task" → "the task read model did not reach …". */
  model: string;
  /** The envelope's schema_version of the events this writer appends. */
  schemaVersion: number;
  /**
   * The UUID namespace of this writer's event ids: the `index`-th event a
   * request appends is uuidv5(`<tenant>/<request_id>/<index>`), so a retry
   * is dropped as a duplicate by the log. Fixed forever per writer.
   */
  eventNamespace: string;
  /** The categories of the streams this writer owns: its request index records their events. */
  categories: readonly string[];
  /** What the request index keeps of the model right after each event (see RequestIndex). */
  snapshot?: (event: RecordedEvent) => unknown;
  /**
   * What a request recorded when the request index no longer holds it (a
   * writer whose index forgets the requests of streams that cannot change
   * again): read back from the log, undefined when it recorded nothing there.
   * Asked only when the index has nothing of the request.
   */
  recall?: (tenantId: string, requestId: string) => Promise<readonly RecordedStep[] | undefined>;
  waits: PipelineWaits;
  /** The kinds of name this writer keeps unique per tenant: where they are held, and how its model tells who carries one. */
  names?: { ledger: NameLedger; holders: Partial<Record<NameKind, NameHolders>> };
  /** How long a reservation binds before its holder carries the name (default NAME_GRACE_MS; tests shorten it). */
  nameGraceMs?: number;
  now?: () => number;
}

/** The state of one stream as a write model holds it. */
export interface StreamState<S> {
  readonly state: S;
  /** 0-based revision of the stream's last event; -1: no stream. */
  readonly revision: number;
}

/** A decided event: its type and data, without the envelope. */
export interface DecidedEvent {
  type: string;
  data: unknown;
}

/** One command on one stream: how to find its state and decide on it. */
export interface CommitSpec<S, E extends DecidedEvent> {
  /** The stream (in ctx's tenant). */
  stream: { category: string; id: string };
  /** The caller's expected_revision: a stale one is ABORTED, never decided again. */
  expectedRevision?: number;
  /**
   * The stream's id derives from the request_id, so when the write model
   * lacks it, it is new: it is not looked for in the log first.
   */
  creates?: boolean;
  /** The stream's state and revision as the write model holds it now; undefined when it holds no such stream. */
  load: () => StreamState<S> | undefined;
  initial: S;
  /**
   * Builds the command from the facts it needs as they are now (the read
   * models' views) and decides it: the events, or the typed error that says
   * why not. Called again after a lost race, against the newer state; not
   * called once the request is found recorded (by another instance).
   */
  decide: (state: S) => E[];
  /** The names the decided events take (reserved first) or give up (released after). */
  names?: (events: readonly E[], state: S) => NameChange[];
  /** False: the caller is the stream's only writer, so a conflict is ABORTED at once instead of decided again. */
  retry?: boolean;
  /**
   * The index of the first event among those of the request, fixed: a
   * request that writes several streams and is resumed (RequestSpec.resume)
   * gives each step its own, so no event id is ever used in two streams.
   * Default: the next indexes the request has not used.
   */
  firstIndex?: number;
}

/** What a request recorded, for its reply. */
export interface RequestDone {
  /** The log position the reply reflects: the request's last event (0 when it recorded nothing). */
  position: number;
  /** Every event the request recorded in this writer's streams, in log order (empty: it changed nothing). */
  recorded: readonly RecordedStep[];
  /** True when the request had been recorded before (a retry, or another instance got it first). */
  replayed: boolean;
}

export interface RequestSpec<R> {
  requestId: string;
  /** The event types a request of this kind records; a request_id already used for others is INVALID_ARGUMENT. */
  replays: readonly string[];
  /** Whether recorded events belong to this request's target; a request_id reused for another target is INVALID_ARGUMENT. */
  sameTarget?: (recorded: readonly RecordedStep[]) => boolean;
  /**
   * Write even when the request is recorded already: a request that writes
   * several streams completes what a crash cut short (each step's decider
   * then decides nothing for what is done).
   */
  resume?: boolean;
  /** The answer, built from the read model once it has applied what the request recorded. */
  reply: (done: RequestDone) => R | Promise<R>;
}

export type CommandSpec<S, E extends DecidedEvent, R> = RequestSpec<R> & CommitSpec<S, E>;

/** What one commit appended. */
export interface Committed<E> {
  events: E[];
  result: AppendResult;
}

/**
 * A subscription as a LogFollower, for a writer whose one subscription
 * receives every category it writes (tests, small services).
 */
export function followerOf(subscription: Pick<Subscription, 'waitFor'>): LogFollower {
  return {
    waitFor: (position, timeoutMs, category) =>
      subscription.waitFor(position, timeoutMs, category === undefined ? undefined : { receives: true }),
  };
}

/** Decisions lost to a concurrent writer before a command gives up with ABORTED. */
export const MAX_DECIDE_ATTEMPTS = 5;

/**
 * The one way a command is handled, by every writer (emmett's
 * handleCommand is the model): request-id replay, serialisation per request
 * and per stream, decide against the in-memory write model, reserve the
 * names the events take, append with the stream's expected revision, decide
 * again after a lost race (bounded; ABORTED for a caller's explicit stale
 * revision), wait until the read models have applied the append, reply.
 * A service handler maps a request to a command spec and nothing more.
 *
 * The request index is looked up when a request starts and again, under the
 * stream's lock, before each decision (and after a lost race, once caught
 * up): a retry that reached another instance while this one was still
 * working (slow work before the commit) is recorded once, and this attempt
 * is answered as a replay of it, never decided on the state it created.
 */
export class CommandPipeline {
  /** What each request_id recorded; the service feeds it from its own subscription (apply). */
  readonly requests: RequestIndex;
  private readonly names: NameReservations;
  private readonly requestLocks = new KeyedMutex();
  private readonly streamLocks = new KeyedMutex();
  private readonly now: () => number;

  constructor(private readonly options: CommandPipelineOptions) {
    this.now = options.now ?? Date.now;
    this.requests = new RequestIndex(options.categories, options.snapshot);
    this.names = new NameReservations({
      ledger: options.names?.ledger,
      holders: options.names?.holders ?? {},
      catchUp: async () => void (await this.catchUp()),
      now: this.now,
      graceMs: options.nameGraceMs,
    });
  }

  /** The whole pipeline for a command on one stream. */
  handle<S, E extends DecidedEvent, R>(ctx: RequestContext, spec: CommandSpec<S, E, R>): Promise<R> {
    const { category, id } = spec.stream;
    const inStream = (steps: readonly RecordedStep[]) =>
      steps.every((s) => s.category === category && s.streamId === id) && (spec.sameTarget?.(steps) ?? true);
    return this.handleRequest(ctx, { ...spec, sameTarget: inStream }, (tx) => tx.commit(spec));
  }

  /**
   * The pipeline around `write`, which commits one stream or several (a
   * request that writes several streams): replay of a recorded request,
   * serialisation per request_id, the wait for the read models, the reply.
   */
  async handleRequest<R>(
    ctx: RequestContext,
    spec: RequestSpec<R>,
    write: (tx: RequestWriter) => Promise<unknown>,
  ): Promise<R> {
    this.requireFollowing();
    return this.requestLocks.run(`${ctx.tenantId}\u0000${spec.requestId}`, async () => {
      const recall = this.options.recall;
      const before =
        this.recorded(ctx.tenantId, spec) ?? (recall && this.checked(spec, await recall(ctx.tenantId, spec.requestId)));
      if (before && !spec.resume) {
        const position = lastPositionOf(before);
        await this.written(position);
        return spec.reply({ position, recorded: before, replayed: true });
      }
      const tx = new RequestWriter(this, ctx, spec.requestId, spec.resume);
      // A commit that finds the request recorded meanwhile (another instance took its retry) records
      // nothing: what that one recorded is checked and answered here as a replay.
      await write(tx);
      const recorded = this.recorded(ctx.tenantId, spec) ?? [];
      const position = Math.max(tx.position, recorded.length > 0 ? lastPositionOf(recorded) : 0);
      // Each commit waited for its own append; what another instance recorded meanwhile is waited for here.
      if (position > tx.position) await this.written(position);
      return spec.reply({ position, recorded, replayed: tx.position === 0 && recorded.length > 0 });
    });
  }

  /** A writer for one request outside handleRequest: a stream's only writer that keeps its own state (a run). */
  writer(ctx: RequestContext, requestId: string): RequestWriter {
    return new RequestWriter(this, ctx, requestId);
  }

  /** @internal RequestWriter.commit: decide, reserve, append, retry; serialised per stream. */
  async commit<S, E extends DecidedEvent>(
    tx: RequestWriter,
    spec: CommitSpec<S, E>,
  ): Promise<Committed<E> | undefined> {
    const { ctx, requestId } = tx;
    const stream: StreamRef = { tenantId: ctx.tenantId, ...spec.stream };
    return this.streamLocks.run(`${stream.tenantId}\u0000${stream.category}\u0000${stream.id}`, async () => {
      for (let attempt = 1; ; attempt++) {
        const loaded = await this.load(spec);
        // Looked up again before every decision: a retry of this request that reached another instance while
        // this one was working (a slow extraction, a discovery) may have recorded it; it is not decided twice.
        if (this.recordedElsewhere(tx)) return undefined;
        const current = checkExpected(spec, loaded);
        const events = spec.decide(current.state);
        if (events.length === 0) return undefined;
        const firstIndex = spec.firstIndex ?? tx.claimIndexes(events.length);
        const changes = spec.names?.(events, current.state) ?? [];
        await this.reserve(ctx.tenantId, changes);
        let result: AppendResult;
        try {
          const expected: ExpectedRevision = current.revision < 0 ? 'no_stream' : current.revision;
          result = await this.append(ctx, requestId, stream, events, expected, firstIndex);
        } catch (err) {
          if (!(err instanceof ConcurrencyError)) throw err;
          // The model learns from the log who got there first; when it was this very request (its retry on
          // another instance), it is answered as that one did, whatever the caller's expected revision.
          const caughtUp = await this.catchUp().then(
            () => undefined,
            (e: unknown) => e,
          );
          if (this.recordedElsewhere(tx)) return undefined;
          this.lostRace(err, stream, spec, attempt, caughtUp);
          continue;
        }
        tx.appended(stream, events.length, result);
        for (const change of changes) {
          if (change.action === 'release') await this.names.release(ctx.tenantId, change);
        }
        // Held until the write model has the append, so the next command on this stream decides on it.
        await this.written(result.position, stream.category);
        return { events, result };
      }
    });
  }

  /** False once the read model has stopped following the log (then every command is UNAVAILABLE). */
  isFollowingLog(): boolean {
    return this.options.isFollowing();
  }

  /** Throws UNAVAILABLE once the read model has stopped following the log. */
  requireFollowing(): void {
    if (!this.options.isFollowing()) {
      throw new UnavailableError(`the ${this.options.model} read model has stopped following the log`);
    }
  }

  /**
   * Read-your-writes: resolves once the read models have applied `position`
   * (an event in a stream of `category`, when the caller knows it).
   */
  written(position: number, category?: string): Promise<void> {
    return position > 0 ? this.waitFor(position, this.options.waits.writeMs, category) : Promise.resolve();
  }

  /** A query's `min_position` (0: no wait); UNAVAILABLE when the read model has stopped. */
  async reach(minPosition: number): Promise<void> {
    this.requireFollowing();
    if (minPosition > 0) await this.waitFor(minPosition, this.options.waits.readMs);
  }

  /**
   * What `find` sees in the read model; when it sees nothing and `catchUp` is
   * set, what it sees once the read model has applied everything in the log
   * right now (a stream written by another instance a moment ago).
   */
  async find<T>(find: () => T | undefined, catchUp: boolean): Promise<T | undefined> {
    const found = find();
    if (found !== undefined || !catchUp) return found;
    await this.catchUp();
    return find();
  }

  /** Waits until the read models have applied everything in the log right now; resolves to that position. */
  async catchUp(): Promise<number> {
    const head = await this.options.store.headPosition();
    await this.waitFor(head, this.options.waits.catchUpMs);
    return head;
  }

  private recorded<R>(tenantId: string, spec: RequestSpec<R>): readonly RecordedStep[] | undefined {
    return this.checked(spec, this.requests.get(tenantId, spec.requestId));
  }

  /** The steps when they are of this request's kind and target; INVALID_ARGUMENT when they are another's. */
  private checked<R>(
    spec: RequestSpec<R>,
    steps: readonly RecordedStep[] | undefined,
  ): readonly RecordedStep[] | undefined {
    if (!steps || steps.length === 0) return undefined;
    if (!steps.every((s) => spec.replays.includes(s.type)) || !(spec.sameTarget?.(steps) ?? true)) {
      throw new InvalidArgumentError('request_id', 'was already used for a different request');
    }
    return steps;
  }

  /**
   * The stream as the write model has it. A stream the model lacks (written
   * by another instance a moment ago), or a revision older than the caller
   * expects, is waited for first.
   */
  private async load<S>(
    spec: Pick<CommitSpec<S, DecidedEvent>, 'expectedRevision' | 'load' | 'creates' | 'initial'>,
  ): Promise<StreamState<S>> {
    const expected = spec.expectedRevision;
    let current = spec.load();
    if ((!current && !spec.creates) || (current && expected !== undefined && expected > current.revision)) {
      await this.catchUp();
      current = spec.load() ?? current;
    }
    return current ?? { state: spec.initial, revision: -1 };
  }

  /**
   * Whether the request index holds events of this request that this attempt
   * did not append: another instance (its retry) or an earlier attempt
   * recorded it. Never for a request that resumes (RequestSpec.resume): it
   * completes what an earlier or concurrent attempt left, each step deciding
   * on the stream as it is (nothing for what is done) into fixed event ids,
   * so a step another attempt is writing at the same moment is the same
   * event and the log stores it once. Seeing the other attempt's first
   * events is no sign that it has finished: its later ones may still come.
   */
  private recordedElsewhere(tx: RequestWriter): boolean {
    if (tx.resume) return false;
    const steps = this.requests.get(tx.ctx.tenantId, tx.requestId);
    return steps?.some((s) => !tx.wrote(s)) ?? false;
  }

  /**
   * After a ConcurrencyError and the catch-up that followed it (`caughtUp`:
   * its error, if it failed): ABORTED, or nothing, so that the next attempt
   * decides on the newer state.
   */
  private lostRace<S>(
    err: ConcurrencyError,
    stream: StreamRef,
    spec: Pick<CommitSpec<S, DecidedEvent>, 'expectedRevision' | 'load' | 'retry'>,
    attempt: number,
    caughtUp: unknown,
  ): void {
    if (spec.expectedRevision !== undefined) {
      const actual = typeof err.actual === 'number' ? err.actual : (spec.load()?.revision ?? -1);
      throw new RevisionMismatchError(spec.expectedRevision, actual);
    }
    if (spec.retry === false) {
      throw new AosError('ABORTED', `${streamName(stream)} was written by another writer`, undefined, { cause: err });
    }
    if (attempt >= MAX_DECIDE_ATTEMPTS) {
      throw new AosError(
        'ABORTED',
        `${streamName(stream)} changed ${MAX_DECIDE_ATTEMPTS} times while this request was decided; retry`,
      );
    }
    if (caughtUp !== undefined) throw caughtUp;
  }

  /**
   * Reserves the names the events take. A holding binds its holder for a
   * grace time only unless the holder's event follows, so one that took too
   * long (a stalled process) is not relied on: UNAVAILABLE, retry.
   */
  private async reserve(tenantId: string, changes: readonly NameChange[]): Promise<void> {
    const reserving = changes.filter((c) => c.action === 'reserve');
    if (reserving.length === 0) return;
    const started = this.now();
    const reserved: NameChange[] = [];
    try {
      for (const change of reserving) {
        await this.names.reserve(tenantId, change);
        reserved.push(change);
      }
      if (this.now() - started > this.names.grace / 4) {
        throw new UnavailableError('reserving the name took too long to rely on; retry with the same request_id');
      }
    } catch (err) {
      // Nothing of the holder was appended: the names it got are given back (a crash leaves them to go stale).
      for (const change of reserved) {
        await this.names.release(tenantId, { ...change, action: 'release' }).catch(() => undefined);
      }
      throw err;
    }
  }

  private async append(
    ctx: RequestContext,
    requestId: string,
    stream: StreamRef,
    events: readonly DecidedEvent[],
    expectedRevision: ExpectedRevision,
    firstIndex: number,
  ): Promise<AppendResult> {
    const { tenantId } = stream;
    const newEvents = envelop(ctx, tenantId, requestId, this.options.schemaVersion, events, (i) =>
      uuidv5(`${tenantId}/${requestId}/${firstIndex + i}`, this.options.eventNamespace),
    );
    try {
      return await this.options.store.append(stream, newEvents, { expectedRevision });
    } catch (err) {
      // Written or not, a retry with the same request_id is safe: the event ids come from it.
      if (err instanceof EventStoreUnavailableError) {
        throw new UnavailableError('the event log is unavailable; retry with the same request_id', { cause: err });
      }
      // The event ids come from the request_id, and the log has them in another stream.
      if (err instanceof InvalidEventError) {
        throw new InvalidArgumentError('request_id', 'was already used for a different request');
      }
      throw err;
    }
  }

  private async waitFor(position: number, timeoutMs: number, category?: string): Promise<void> {
    try {
      await Promise.all(this.options.followers.map((f) => f.waitFor(position, timeoutMs, category)));
    } catch (err) {
      if ((err as Error)?.name === 'TimeoutError') {
        throw new DeadlineExceededError(
          `the ${this.options.model} read model did not reach log position ${position} within ${timeoutMs} ms`,
        );
      }
      throw new UnavailableError(`the ${this.options.model} read model is not following the log`, { cause: err });
    }
  }
}

/**
 * One request's writes: the streams it commits, the event indexes it has
 * used (ids derive from them, so each attempt gets fresh ones and a request
 * that writes several streams never reuses one), the events it appended
 * (those of the request found in the request index that are not its own
 * were recorded by another attempt), the position it reached.
 */
export class RequestWriter {
  private index = 0;
  private reachedPosition = 0;
  /** `<category>\0<id>\0<revision>` of each event this attempt appended. */
  private readonly own = new Set<string>();

  constructor(
    private readonly pipeline: CommandPipeline,
    readonly ctx: RequestContext,
    readonly requestId: string,
    /** The request completes what an earlier attempt left (RequestSpec.resume). */
    readonly resume = false,
  ) {}

  /** The highest log position this request's appends reached (0: none). */
  get position(): number {
    return this.reachedPosition;
  }

  /** Decides and appends one command (see CommandPipeline); undefined when it recorded nothing. */
  commit<S, E extends DecidedEvent>(spec: CommitSpec<S, E>): Promise<Committed<E> | undefined> {
    return this.pipeline.commit(this, spec);
  }

  /** @internal */
  claimIndexes(count: number): number {
    const first = this.index;
    this.index += count;
    return first;
  }

  /** @internal `count` events appended to `stream`, the last of them at `result`. */
  appended(stream: StreamRef, count: number, result: AppendResult): void {
    for (let revision = result.nextRevision - count + 1; revision <= result.nextRevision; revision++) {
      this.own.add(stepKey(stream.category, stream.id, revision));
    }
    this.reachedPosition = Math.max(this.reachedPosition, result.position);
  }

  /** @internal Whether this attempt appended the step. */
  wrote(step: RecordedStep): boolean {
    return this.own.has(stepKey(step.category, step.streamId, step.revision));
  }
}

function stepKey(category: string, id: string, revision: number): string {
  return `${category}\u0000${id}\u0000${revision}`;
}

/** The state `load` found, checked against the caller's expected revision: a stale one is ABORTED. */
function checkExpected<S>(spec: { expectedRevision?: number }, current: StreamState<S>): StreamState<S> {
  const expected = spec.expectedRevision;
  if (expected !== undefined && expected !== current.revision) {
    throw new RevisionMismatchError(expected, current.revision);
  }
  return current;
}
