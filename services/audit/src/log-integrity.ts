import {
  CHECKPOINT_CATEGORY,
  type Base64Bytes,
  type ConsistencyProof,
  type GetCheckpointRequest,
  type GetConsistencyProofRequest,
  type GetInclusionProofRequest,
  type InclusionProof,
  type LogCheckpoint,
  type LogKey as LogKeyReply,
  type VerifyLogRequest,
  type VerifyLogResponse,
  VerifyProblem,
  fromTimestamp,
  toTimestamp,
  type ExportEventsRequest,
} from '@aos/contracts';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@aos/errors';
import { MalformedEventError, type EventStore } from '@aos/event-store';
import type { RequestContext } from '@aos/messaging';
import { validatePosition } from '@aos/request-fields';
import { bundleEventLine, bundleHeaderLine, bundleTrailerLine } from '@aos/merkle-log';
import { firstAfter, type AuditIndexProjection } from './audit-index.projection';
import type { CheckpointWriter } from './checkpoint-writer';
import type { ExportWriter } from './audit-export';
import { originOf, type LogKey } from './log-key';
import { verifyLog } from './log-verifier';
import type { CheckpointRecord, TenantLog } from './tenant-log';

/** A checkpoint note is a few hundred bytes; more is not one. */
const MAX_NOTE_CHARS = 4_096;

/**
 * The tamper-evidence half of the audit service (audit.proto): the log's key,
 * checkpoints, proofs from the in-memory trees, and VerifyLog, which reads the
 * log itself rather than trusting anything held in memory.
 */
export class LogIntegrity {
  constructor(
    private readonly index: AuditIndexProjection,
    private readonly store: Pick<EventStore, 'readAll' | 'readStream' | 'headPosition'>,
    private readonly key: LogKey,
    private readonly writer: CheckpointWriter,
  ) {}

  logKey(ctx: RequestContext): LogKeyReply {
    return {
      logName: this.key.logName,
      verifierKey: this.key.verifierKey,
      publicKeyPem: this.key.publicKeyPem,
      origin: originOf(this.key.logName, ctx.tenantId),
    };
  }

  async checkpoint(ctx: RequestContext, request: Partial<GetCheckpointRequest>): Promise<Base64Bytes<LogCheckpoint>> {
    const size = validatePosition('tree_size', request.treeSize);
    const log = this.index.tenantLog(ctx.tenantId);
    const found = size === 0 ? log?.latest() : log?.checkpointOfSize(size);
    if (!found) throw new NotFoundError('checkpoint', size === 0 ? 'newest' : `tree_size ${size}`);
    return checkpointReply(found);
  }

  async createCheckpoint(ctx: RequestContext): Promise<Base64Bytes<LogCheckpoint>> {
    return checkpointReply(await this.writer.create(ctx));
  }

  async inclusionProof(
    ctx: RequestContext,
    request: Partial<GetInclusionProofRequest>,
  ): Promise<Base64Bytes<InclusionProof>> {
    const position = validatePosition('position', request.position);
    if (position === 0) throw new InvalidArgumentError('position', "is required (an event's log position, from 1)");
    const { log, size, checkpoint } = await this.treeOf(ctx, request.treeSize, 'tree_size');
    const index = indexOf(log, position);
    if (index === undefined) throw new NotFoundError('event at position', String(position));
    if (index >= size) {
      throw new FailedPreconditionError(
        `the event at position ${position} is leaf ${index}, not in the tree of ${size} leaves; sign a newer checkpoint first`,
      );
    }
    return {
      leafIndex: index,
      treeSize: size,
      leafHash: log.tree.leafHash(index).toString('base64'),
      hashes: log.tree.inclusionProof(index, size).map((h) => h.toString('base64')),
      rootHash: log.tree.rootAt(size).toString('base64'),
      checkpointNote: checkpoint?.note ?? '',
    };
  }

  async consistencyProof(
    ctx: RequestContext,
    request: Partial<GetConsistencyProofRequest>,
  ): Promise<Base64Bytes<ConsistencyProof>> {
    const first = validatePosition('first_tree_size', request.firstTreeSize);
    const { log, size } = await this.treeOf(ctx, request.secondTreeSize, 'second_tree_size');
    if (first < 1 || first > size) {
      throw new InvalidArgumentError('first_tree_size', `must be between 1 and second_tree_size (${size})`);
    }
    return {
      firstTreeSize: first,
      secondTreeSize: size,
      hashes: log.tree.consistencyProof(first, size).map((h) => h.toString('base64')),
      firstRootHash: log.tree.rootAt(first).toString('base64'),
      secondRootHash: log.tree.rootAt(size).toString('base64'),
    };
  }

  async verify(ctx: RequestContext, request: Partial<VerifyLogRequest>): Promise<Base64Bytes<VerifyLogResponse>> {
    const afterPosition = validatePosition('after_position', request.afterPosition);
    const until = validatePosition('until_position', request.untilPosition);
    if (until > 0 && until < afterPosition) {
      throw new InvalidArgumentError('until_position', 'must not be before after_position');
    }
    const trusted = request.trustedCheckpoint;
    if (trusted !== undefined && trusted !== null && typeof trusted !== 'string') {
      throw new InvalidArgumentError('trusted_checkpoint', 'must be a string (a signed checkpoint note)');
    }
    if (trusted && trusted.length > MAX_NOTE_CHARS) {
      throw new InvalidArgumentError('trusted_checkpoint', `must be at most ${MAX_NOTE_CHARS} characters`);
    }
    const head = await this.store.headPosition();
    const tenantId = ctx.tenantId;
    const outcome = await readingMalformed(async () =>
      verifyLog({
        checkpoints: await this.store.readStream({ tenantId, category: CHECKPOINT_CATEGORY, id: tenantId }),
        events: (after) => this.store.readAll({ after, filter: { tenantId } }),
        verifier: this.key.verifier,
        origin: originOf(this.key.logName, tenantId),
        afterPosition,
        untilPosition: until > 0 ? Math.min(until, head) : head,
        untilGiven: until > 0 && until < head,
        trustedCheckpoint: trusted || undefined,
      }),
    );
    return { ...outcome, problem: VerifyProblem[outcome.problem], rootHash: outcome.rootHash.toString('base64') };
  }

  /**
   * The writer of an EXPORT_FORMAT_BUNDLE file (audit.proto): the first page
   * signs a checkpoint when the newest does not cover the tenant's log, and
   * the file ends at the checkpoint's last event; every event line carries its
   * inclusion proof in that tree.
   */
  bundleWriter(ctx: RequestContext, request: Partial<ExportEventsRequest>): ExportWriter {
    let log: TenantLog | undefined;
    let treeSize = 0;
    const tree = async (size: number): Promise<TenantLog> => {
      let found = this.index.tenantLog(ctx.tenantId);
      // A page answered by another replica: its index may not hold the checkpoint's last event yet.
      if ((found?.eventCount ?? 0) < size) {
        await this.writer.catchUp();
        found = this.index.tenantLog(ctx.tenantId);
      }
      if (!found) throw new FailedPreconditionError("the tenant's log holds no events yet: there is nothing to export");
      await found.sync();
      if (found.tree.size < size) throw new FailedPreconditionError(`the tenant's tree has not reached ${size} leaves`);
      return found;
    };
    return {
      begin: async (_until, requestedUntil) => {
        const checkpoint = await this.writer.create(ctx);
        log = await tree(checkpoint.treeSize);
        treeSize = checkpoint.treeSize;
        const filtered =
          Boolean(request.stream || request.actorId || request.startTime || request.endTime) ||
          (request.eventTypes?.length ?? 0) > 0 ||
          (request.afterPosition ?? 0) > 0;
        // Events appended while the checkpoint was signed are in it, and so in the file.
        const end = requestedUntil > 0 ? Math.min(requestedUntil, checkpoint.lastPosition) : checkpoint.lastPosition;
        const header = bundleHeaderLine({
          origin: checkpoint.origin,
          tenantId: ctx.tenantId,
          checkpoint: checkpoint.note,
          treeSize,
          rootHash: checkpoint.rootHash.toString('base64'),
          verifierKey: this.key.verifierKey,
          complete: !filtered && end === checkpoint.lastPosition,
          filter: filterOf(request),
        });
        return { header, until: end, treeSize };
      },
      resume: async (size) => {
        log = await tree(size);
        treeSize = size;
      },
      line: (event) => {
        const at = log as TenantLog;
        const index = indexOf(at, event.position) as number;
        return bundleEventLine(index, at.sealed(event), at.tree.inclusionProof(index, treeSize));
      },
      end: (totals) =>
        bundleTrailerLine({
          eventCount: totals.count,
          firstPosition: totals.firstPosition,
          lastPosition: totals.lastPosition,
        }),
    };
  }

  /** The tenant's tree, synced, and the size asked (0: the newest checkpoint's). */
  private async treeOf(
    ctx: RequestContext,
    rawSize: unknown,
    field: string,
  ): Promise<{ log: TenantLog; size: number; checkpoint?: CheckpointRecord }> {
    const asked = validatePosition(field, rawSize);
    const log = this.index.tenantLog(ctx.tenantId);
    const newest = log?.latest();
    if (!log || (asked === 0 && !newest)) {
      throw new FailedPreconditionError(
        `no checkpoint of the tenant's log yet: give ${field}, or sign one (CreateCheckpoint)`,
      );
    }
    const size = asked === 0 ? (newest as CheckpointRecord).treeSize : asked;
    await log.sync();
    if (size > log.tree.size) {
      throw new InvalidArgumentError(field, `must be at most the tenant's tree size (${log.tree.size})`);
    }
    return { log, size, checkpoint: log.checkpointOfSize(size) };
  }
}

/** The export request's filters as a bundle's header states them (what was asked, unset ones left out). */
function filterOf(request: Partial<ExportEventsRequest>): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  if (request.stream) filter.stream = request.stream;
  if (request.eventTypes?.length) filter.eventTypes = request.eventTypes;
  if (request.actorId) filter.actorId = request.actorId;
  if (request.startTime) filter.startTime = fromTimestamp(request.startTime).toISOString();
  if (request.endTime) filter.endTime = fromTimestamp(request.endTime).toISOString();
  if (request.afterPosition) filter.afterPosition = request.afterPosition;
  if (request.untilPosition) filter.untilPosition = request.untilPosition;
  return filter;
}

function checkpointReply(c: CheckpointRecord): Base64Bytes<LogCheckpoint> {
  return {
    origin: c.origin,
    treeSize: c.treeSize,
    rootHash: c.rootHash.toString('base64'),
    note: c.note,
    time: toTimestamp(c.time),
    lastPosition: c.lastPosition,
    position: c.position,
  };
}

/** The leaf index of the tenant's event at `position`, if it is one. */
function indexOf(log: TenantLog, position: number): number | undefined {
  const events = log.events;
  const i = firstAfter(events, position - 1);
  return i < events.length && events[i].position === position ? i : undefined;
}

/**
 * An event the log can no longer parse (a flipped byte in its JSON) is a
 * changed event: the verification names it rather than failing.
 */
async function readingMalformed(run: () => ReturnType<typeof verifyLog>): ReturnType<typeof verifyLog> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof MalformedEventError)) throw err;
    return {
      ok: false,
      eventsChecked: 0,
      checkpointsChecked: 0,
      verifiedTreeSize: 0,
      verifiedPosition: 0,
      unverifiedEvents: 0,
      firstBadPosition: err.position,
      problem: 'EVENT_CHANGED',
      reason: `the record at position ${err.position} is no longer a readable event: ${err.reason}`,
      treeSize: 0,
      rootHash: Buffer.alloc(0),
    };
  }
}
