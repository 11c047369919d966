import { GOVERNANCE_EVENTS_SCHEMA_VERSION, type GovernanceEvent } from '@aos/contracts';
import { AosError } from '@aos/errors';
import {
  ConcurrencyError,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type StreamRef,
} from '@aos/event-store';
import type { RequestContext } from '@aos/messaging';
import { CommandLog, type LogFollower } from '@aos/command-log';
import { eventIdFor } from './governance.ids';

export interface GovernanceWriterDeps {
  store: Pick<EventStore, 'append' | 'headPosition'>;
  /** The governance write model's subscriptions and the access model's: a reply waits for both. */
  followers: LogFollower[];
  /** False once a subscription has stopped for good: the models would answer from stale state. */
  isFollowing: () => boolean;
}

/** How long a query waits for `min_position`. */
export const READ_WAIT_MS = 5_000;
/** How long a command waits for its own events to reach the models. */
const WRITE_WAIT_MS = 10_000;
/** How long to wait for the models to reach the head after losing a race. */
const CATCH_UP_WAIT_MS = 2_000;
/** Attempts of a command that keeps losing races to other writers. */
const MAX_ATTEMPTS = 5;

/** One command against one stream: how to read its state and decide on it. */
export interface Commit<S> {
  ctx: RequestContext;
  requestId: string;
  stream: StreamRef;
  /** The stream's state and revision now (-1: no stream). Called again after a lost race. */
  load: () => { state: S; revision: number };
  decide: (state: S) => GovernanceEvent[];
  /** Index of the first event among all those the request writes (the event id depends on it). */
  firstIndex?: number;
  /** Whether another instance has recorded this very request meanwhile (checked after a lost race). */
  recorded?: () => boolean;
}

/**
 * Appends decided events with the request's metadata and derived ids, with
 * the stream's expected revision, retrying a bounded number of times when
 * another writer got there first; and waits for the models to catch up.
 */
export class GovernanceWriter {
  private readonly log: CommandLog;

  constructor(deps: GovernanceWriterDeps) {
    this.log = new CommandLog({
      ...deps,
      model: 'governance',
      schemaVersion: GOVERNANCE_EVENTS_SCHEMA_VERSION,
      eventIdFor,
      waits: { readMs: READ_WAIT_MS, writeMs: WRITE_WAIT_MS, catchUpMs: CATCH_UP_WAIT_MS },
    });
  }

  requireFollowing(): void {
    this.log.requireFollowing();
  }

  /**
   * Decides and appends; undefined when the command changes nothing, or when
   * another instance recorded this request meanwhile (the caller replays it).
   */
  async commit<S>(commit: Commit<S>): Promise<AppendResult | undefined> {
    for (let attempt = 1; ; attempt++) {
      const { state, revision } = commit.load();
      const events = commit.decide(state);
      if (events.length === 0) return undefined;
      try {
        return await this.append(commit.ctx, commit.requestId, commit.stream, events, {
          expectedRevision: revision < 0 ? 'no_stream' : revision,
          firstIndex: commit.firstIndex ?? 0,
        });
      } catch (err) {
        if (!(err instanceof ConcurrencyError)) throw err;
        if (attempt >= MAX_ATTEMPTS) {
          throw new AosError(
            'ABORTED',
            `${commit.stream.category}-${commit.stream.id} changed ${MAX_ATTEMPTS} times while this request was decided; retry`,
          );
        }
        await this.catchUp();
        if (commit.recorded?.()) return undefined;
      }
    }
  }

  append(
    ctx: RequestContext,
    requestId: string,
    stream: StreamRef,
    events: GovernanceEvent[],
    options: { expectedRevision: ExpectedRevision; firstIndex: number },
  ): Promise<AppendResult> {
    return this.log.append(ctx, requestId, stream, events, options.expectedRevision, options.firstIndex);
  }

  /** Read-your-writes: resolves once every model has applied `position`. */
  written(position: number): Promise<void> {
    return this.log.written(position);
  }

  /** A query's `min_position`. */
  async reach(minPosition: number): Promise<void> {
    this.requireFollowing();
    await this.log.reach(minPosition);
  }

  /** Waits until the models have applied everything in the log right now. */
  catchUp(): Promise<void> {
    return this.log.catchUp();
  }
}
