import {
  CONTEXT_CATEGORY,
  CONTEXT_EVENTS_SCHEMA_VERSION,
  parseContextEvent,
  toContextEntry,
  type ContextEntry,
  type ContextVersion,
  type ListContextResponse,
} from '@aos/contracts';
import { AosError, NotFoundError, RevisionMismatchError } from '@aos/errors';
import {
  type CommandPipeline,
  type PipelineWaits,
  type RequestDone,
  type WriterHost,
  writerPipeline,
} from '@aos/command-pipeline';
import type { RecordedEvent } from '@aos/event-store';
import type { RequestContext } from '@aos/messaging';
import { encodeKeyPageToken, fitReply } from '@aos/request-fields';
import { ContextVersionMismatchError, decide, initialContextState, type ContextCommand } from './context.decider';
import type { ResourceAccess } from '../resource-access';
import { CONTEXT_EVENT_ID_NAMESPACE, contextStreamId } from './context.ids';
import type { ContextEntryRecord, ContextProjection } from './context.projection';
import {
  listFilterKey,
  type DeleteContextMutation,
  type GetContextQuery,
  type ListContextQuery,
  type PutContextMutation,
} from './context.validation';

export interface ContextHandlerDeps extends WriterHost {
  /** Built from the log by `follower`; the only state commands are decided against. */
  projection: ContextProjection;
  /** Which entries a caller may read: a list shows only those (a rule may deny one key of a scope). */
  access: ResourceAccess;
  waits?: Partial<PipelineWaits>;
}

/** The gateway gives a request 15 s: a write waits up to writeMs, and after a lost race catchUpMs more. */
export const DEFAULT_WAITS: PipelineWaits = { readMs: 5_000, writeMs: 4_000, catchUpMs: 2_000 };

/**
 * Shared context's commands and queries: each command is a mapping to the
 * entry stream decider's command, handed to the command pipeline (idempotency
 * by request_id, per-stream serialisation, appends with the expected revision,
 * ABORTED for a stale expected_version, replies read from the projection
 * right after the command's own events). Every version's value stays in the
 * projection (see ContextProjection), so GetContext at an old version and the
 * reply to a late retry read memory, never the log.
 */
export class ContextHandler {
  /** The bootstrap feeds `pipeline.requests` from the context subscription, after the projection. */
  readonly pipeline: CommandPipeline;

  constructor(private readonly deps: ContextHandlerDeps) {
    this.pipeline = writerPipeline(deps, {
      model: 'context',
      schemaVersion: CONTEXT_EVENTS_SCHEMA_VERSION,
      eventNamespace: CONTEXT_EVENT_ID_NAMESPACE,
      categories: [CONTEXT_CATEGORY],
      waits: { ...DEFAULT_WAITS, ...deps.waits },
    });
  }

  put(ctx: RequestContext, m: PutContextMutation): Promise<ContextEntry> {
    const { scope, key, valueJson, expectedVersion } = m;
    return this.handle(ctx, m.requestId, 'ContextPut', { type: 'PutContext', scope, key, valueJson, expectedVersion });
  }

  delete(ctx: RequestContext, m: DeleteContextMutation): Promise<ContextEntry> {
    const { scope, key, expectedVersion } = m;
    return this.handle(ctx, m.requestId, 'ContextDeleted', { type: 'DeleteContext', scope, key, expectedVersion });
  }

  async get(ctx: RequestContext, query: GetContextQuery): Promise<ContextEntry> {
    await this.pipeline.reach(query.minPosition);
    const streamId = contextStreamId(query.scope, query.key);
    // An entry this instance lacks may have been written through another one a moment ago.
    const record = await this.pipeline.find(() => this.deps.projection.entry(ctx.tenantId, streamId), true);
    const version = query.version === 0 ? record?.versions.length : query.version;
    const found = record && version !== undefined ? record.versions[version - 1] : undefined;
    if (!record || !found || found.valueJson === null) {
      const at = query.version === 0 ? '' : ` at version ${query.version}`;
      throw new NotFoundError(`context entry${at}`, `${query.scope}/${query.key}`);
    }
    return toContextEntry(await this.withValue(ctx.tenantId, streamId, found), record.createTime);
  }

  /**
   * A page of the scope's entries the caller may read (`context.read` on
   * `ctx/<scope>/<key>`; the gateway could only check `ctx/<scope>/*`, which a
   * rule on one key never matches). The entries it may not read are skipped
   * while the page is built, so a page is as full as the others and its
   * token resumes after its last entry. `position` is the log position the
   * page reflects: every `ctx-*` event at or before it is applied and none
   * after it (the projection's newest, or min_position or the head it waited for).
   */
  async list(ctx: RequestContext, query: ListContextQuery): Promise<ListContextResponse> {
    await this.pipeline.reach(query.minPosition);
    // min_position may be a policy change's: the access model reaches it too.
    if (query.minPosition > 0) await this.deps.access.waitFor(query.minPosition, DEFAULT_WAITS.readMs);
    // With no context event applied (and no min_position) there is no position the list is known to reflect yet:
    // the log's head, once the model has reached it, is one (0 would make WatchContext start "from now").
    const reached = Math.max(query.minPosition, this.deps.projection.position);
    const head = reached > 0 ? 0 : await this.pipeline.catchUp();
    const { scope, keyPrefix } = query;
    const page = this.deps.projection.list(ctx.tenantId, scope, keyPrefix, query.afterKey, query.pageSize, (record) =>
      this.deps.access.mayReadContext(ctx, record.scope, record.key),
    );
    // One entry is at most 64 KiB of JSON (twice that escaped in the reply): a page is never empty.
    const fit = fitReply(page.entries.map(current));
    const next = fit.cutAfter === undefined ? page.nextAfterKey : page.entries[fit.cutAfter]!.key;
    return {
      entries: fit.items,
      nextPageToken: next === undefined ? '' : encodeKeyPageToken('ListContext', next, listFilterKey(scope, keyPrefix)),
      // Read in the same turn as the page: no change the page holds is after it, none before it is missing.
      position: Math.max(reached, head, this.deps.projection.position),
    };
  }

  /**
   * One change of one entry. expected_version n ≥ 1 is the stream's expected
   * revision n-1: the pipeline catches up first when it knows an older
   * revision (a version written through another instance), and the append
   * is conditional on it, so of two writers that saw version n one wins and
   * the other is ABORTED. Without an expected version a lost race is decided
   * again against the newer version (unconditional writes are last-writer-wins).
   */
  private async handle(
    ctx: RequestContext,
    requestId: string,
    recorded: 'ContextPut' | 'ContextDeleted',
    command: ContextCommand,
  ): Promise<ContextEntry> {
    const streamId = contextStreamId(command.scope, command.key);
    const expected = command.expectedVersion;
    try {
      return await this.pipeline.handle(ctx, {
        requestId,
        replays: [recorded],
        stream: { category: CONTEXT_CATEGORY, id: streamId },
        expectedRevision: expected === undefined || expected === 0 ? undefined : expected - 1,
        load: () => this.deps.projection.stream(ctx.tenantId, streamId),
        initial: initialContextState,
        decide: (state) => decide(command, state),
        reply: (done) => this.replyVersion(ctx.tenantId, streamId, done),
      });
    } catch (err) {
      // The pipeline speaks revisions; the caller speaks versions (revision + 1).
      if (err instanceof RevisionMismatchError && expected !== undefined) {
        throw new ContextVersionMismatchError(expected, err.actual + 1, this.isDeleted(ctx.tenantId, streamId));
      }
      throw err;
    }
  }

  /** The version the request made (a retry gets the version its first attempt made, whatever came after). */
  private async replyVersion(tenantId: string, streamId: string, done: RequestDone): Promise<ContextEntry> {
    const made = done.recorded.at(-1)?.data as { version?: number } | undefined;
    const record = this.deps.projection.entry(tenantId, streamId);
    const version = made?.version !== undefined ? record?.versions[made.version - 1] : undefined;
    if (!record || !version) {
      throw new AosError('INTERNAL', `context stream ${streamId} was recorded but is not in the read model`);
    }
    return toContextEntry(await this.withValue(tenantId, streamId, version), record.createTime);
  }

  /** The version with its value: from memory for the newest ones, else from its event in the entry's stream. */
  private async withValue(tenantId: string, streamId: string, version: ContextVersion): Promise<ContextVersion> {
    if (!version.valueInLog) return version;
    const events = await this.deps.store.readStream({ tenantId, category: CONTEXT_CATEGORY, id: streamId });
    const event = events.find((e) => e.revision === version.version - 1);
    const parsed = event ? parseContextEvent(event.type, event.data) : undefined;
    if (parsed?.type !== 'ContextPut') {
      throw new AosError('INTERNAL', `version ${version.version} of context stream ${streamId} is not in the log`);
    }
    return { ...version, valueJson: parsed.data.valueJson, valueInLog: undefined };
  }

  private isDeleted(tenantId: string, streamId: string): boolean {
    return this.deps.projection.entry(tenantId, streamId)?.state.status === 'DELETED';
  }
}

function current(record: ContextEntryRecord): ContextEntry {
  return toContextEntry(record.versions.at(-1)!, record.createTime);
}

/**
 * What the request index keeps of a context event: everything but the value.
 * A retry's reply is read from the projection (and, for an old version, the
 * log), so the index holds no second reference to values that would outlive
 * the projection's window.
 */
export function requestFacts(event: RecordedEvent): RecordedEvent {
  const data = event.data;
  if (typeof data !== 'object' || data === null || !('valueJson' in data)) return event;
  const { valueJson: _value, ...rest } = data as Record<string, unknown>;
  return { ...event, data: rest };
}
