import { type CommandPipeline, type WriterHost, writerPipeline } from '@aos/command-pipeline';
import { CHECKPOINT_CATEGORY, type CheckpointSignedData } from '@aos/domain';
import { FailedPreconditionError } from '@aos/errors';
import type { RequestContext } from '@aos/messaging';
import { positionsDigest, signCheckpoint } from '@aos/merkle-log';
import { originOf, type LogKey } from './log-key';
import type { CheckpointRecord, TenantLog } from './tenant-log';

/** The UUID namespace of the audit service's event ids (fixed forever). */
export const AUDIT_EVENT_ID_NAMESPACE = '3c9f2a61-8e0b-4d4f-a7c2-5b1e9d07f6a4';
export const CHECKPOINT_EVENTS_SCHEMA_VERSION = 1;
/**
 * The most leaves one checkpoint lists: its event stays near 235 KB (leaves and
 * positions as JSON), so that it, and an export page holding it, stay well under
 * NATS's 1 MiB message; a tenant further behind gets several checkpoints in a row.
 */
export const MAX_CHECKPOINT_LEAVES = 4_096;

/** What the writer needs of the audit index. */
export interface CheckpointSource {
  tenantLog(tenantId: string): TenantLog | undefined;
  tenantIds(): Iterable<string>;
  /** Waits until the index holds every event the log held when called. */
  catchUpToHead(): Promise<void>;
}

/**
 * Signs and records checkpoints (audit.proto: tamper evidence). Every replica
 * runs one; the command pipeline appends each checkpoint with the stream's
 * expected revision, and its request id is derived from the tree size it
 * signs, so replicas racing on one checkpoint record it once and the loser
 * answers with the winner's. One writer per tenant stream at a time, and every
 * replica computes the same tree from the same log: no previous-hash race.
 */
export class CheckpointWriter {
  readonly pipeline: CommandPipeline;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;

  constructor(
    host: WriterHost,
    private readonly source: CheckpointSource,
    private readonly key: LogKey,
    private readonly onError: (err: unknown) => void = (err) => console.error(err),
  ) {
    this.pipeline = writerPipeline(host, {
      model: 'audit',
      schemaVersion: CHECKPOINT_EVENTS_SCHEMA_VERSION,
      eventNamespace: AUDIT_EVENT_ID_NAMESPACE,
      categories: [CHECKPOINT_CATEGORY],
      waits: { readMs: 5_000, writeMs: 10_000, catchUpMs: 5_000 },
    });
  }

  /** Signs every tenant with new events each `intervalMs` (0: never; only on demand). */
  start(intervalMs: number): void {
    if (intervalMs <= 0) return;
    // A random phase, so replicas started together do not all sign at the same moment.
    const tick = () => void this.tick();
    this.timer = setTimeout(
      () => {
        tick();
        this.timer = setInterval(tick, intervalMs);
        this.timer.unref();
      },
      Math.floor(intervalMs * (0.5 + Math.random() / 2)),
    );
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      for (const tenantId of [...this.source.tenantIds()]) {
        const log = this.source.tenantLog(tenantId);
        if (!log?.hasUncheckpointed()) continue;
        await this.checkpoint(systemCtx(tenantId), log).catch(this.onError);
      }
    } finally {
      this.ticking = false;
    }
  }

  /** Waits until the audit index holds every event the log held when called. */
  catchUp(): Promise<void> {
    return this.source.catchUpToHead();
  }

  /**
   * A checkpoint of the tenant's whole log as it is now: signed and recorded
   * when events other than checkpoints came since the newest, else the newest.
   */
  async create(ctx: RequestContext): Promise<CheckpointRecord> {
    await this.source.catchUpToHead();
    const log = this.source.tenantLog(ctx.tenantId);
    if (!log || log.eventCount === 0) {
      throw new FailedPreconditionError("the tenant's log holds no events yet: there is nothing to sign");
    }
    return this.checkpoint(ctx, log);
  }

  private async checkpoint(ctx: RequestContext, log: TenantLog): Promise<CheckpointRecord> {
    await log.sync();
    const target = log.tree.size;
    let latest = log.latest();
    while (!latest || (latest.treeSize < target && log.hasUncheckpointed())) {
      const size = Math.min(target, (latest?.treeSize ?? 0) + MAX_CHECKPOINT_LEAVES);
      latest = await this.record(ctx, log, size);
    }
    return latest;
  }

  private record(ctx: RequestContext, log: TenantLog, size: number): Promise<CheckpointRecord> {
    const origin = originOf(this.key.logName, ctx.tenantId);
    return this.pipeline.handle(ctx, {
      requestId: `checkpoint-${size}`,
      replays: ['CheckpointSigned'],
      stream: { category: CHECKPOINT_CATEGORY, id: ctx.tenantId },
      // The newest checkpoint that holds, at the stream's newest revision (a rejected event there included).
      load: () => (log.checkpointRevision < 0 ? undefined : { state: log.latest(), revision: log.checkpointRevision }),
      initial: undefined as CheckpointRecord | undefined,
      retry: true,
      decide: (newest) => {
        const fromSize = newest?.treeSize ?? 0;
        if (fromSize >= size) return [];
        const rootHash = log.tree.rootAt(size);
        const leaves: string[] = [];
        const positions: number[] = [];
        for (let i = fromSize; i < size; i++) {
          leaves.push(log.tree.leafHash(i).toString('base64'));
          positions.push(log.positionOf(i));
        }
        const time = new Date().toISOString();
        const note = signCheckpoint(
          { origin, size, rootHash, time, positions: positionsDigest(positions) },
          this.key.signer,
        );
        const data: CheckpointSignedData = {
          origin,
          treeSize: size,
          rootHash: rootHash.toString('base64'),
          note,
          lastPosition: log.positionOf(size - 1),
          fromSize,
          leaves,
          positions,
        };
        return [{ type: 'CheckpointSigned', data }];
      },
      reply: () => {
        const newest = log.latest();
        if (!newest)
          throw new FailedPreconditionError('the checkpoint was recorded but the audit index has not seen it');
        return newest;
      },
    });
  }
}

/** The audit service acting on its own (cadence checkpoints), for a tenant. */
function systemCtx(tenantId: string): RequestContext {
  return { tenantId, actor: { kind: 'system', id: 'audit' }, correlationId: `checkpoint-${Date.now()}` };
}
