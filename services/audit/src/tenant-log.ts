import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { CHECKPOINT_CATEGORY, SEALED_DATA_FIELDS, type CheckpointSignedData } from '@aos/domain';
import type { RecordedEvent } from '@aos/event-store';
import {
  MerkleTree,
  leafHash,
  openCheckpoint,
  sealedEvent,
  sealedLeafInput,
  type NoteVerifier,
  type SealedEvent,
} from '@aos/merkle-log';

/** A checkpoint as the log recorded it (a CheckpointSigned event of `checkpoint-<tenant>`). */
export interface CheckpointRecord {
  origin: string;
  treeSize: number;
  rootHash: Buffer;
  note: string;
  time: string;
  lastPosition: number;
  /** The CheckpointSigned event's log position and stream revision. */
  position: number;
  revision: number;
}

/**
 * How the audit service knows its own checkpoints in the log: signed by its
 * key for the tenant's origin. Without it (tests of the index alone), a
 * checkpoint event is taken when its fields have the right shape.
 */
export interface CheckpointKey {
  verifier: NoteVerifier;
  originOf(tenantId: string): string;
}

/** Leaves hashed before the event loop is given a turn, so a long catch-up never stalls replies. */
const LEAVES_PER_TURN = 2_000;

/**
 * One tenant's Merkle tree over its events (audit.proto's tamper-evidence
 * section), beside the audit index that holds the same events in the same
 * order: leaf i is `events[i]`. Leaves are hashed when first needed (a
 * checkpoint, a proof, a bundle), not as the index is built, so the start-up
 * replay pays nothing for them; the first need hashes the backlog in slices.
 * An event whose data the index leaves out (a knowledge blob part) has its
 * sealed form kept as it arrives, from the whole event.
 */
export class TenantLog {
  readonly tree = new MerkleTree();
  /** The checkpoints that hold (signed by the key, continuing the one before), in log order. */
  readonly checkpoints: CheckpointRecord[] = [];
  /** Revision of the checkpoint stream's newest event, valid or not: where the next checkpoint is appended. */
  checkpointRevision = -1;
  /** CheckpointSigned events that did not hold (forged, malformed): VerifyLog names them; the writer signs past them. */
  rejectedCheckpoints = 0;
  /** The sealed form of events the index keeps only summarised (a blob part without its data), by position. */
  private readonly sealedWhole = new Map<number, SealedEvent>();
  private syncing: Promise<void> = Promise.resolve();

  /** `events`: the index's list of this tenant's events (shared, appended to by the index). */
  constructor(
    readonly events: readonly RecordedEvent[],
    private readonly key?: CheckpointKey,
  ) {}

  /** Before the index summarises an event: keeps the sealed whole event when the index keeps less. */
  keepLeafOf(whole: RecordedEvent, kept: RecordedEvent): void {
    if (kept !== whole) this.sealedWhole.set(whole.position, sealedEvent(whole, SEALED_DATA_FIELDS));
  }

  /** The sealed event a leaf is the hash of (audit.proto), as a bundle carries it. */
  sealed(event: RecordedEvent): SealedEvent {
    return this.sealedWhole.get(event.position) ?? sealedEvent(event, SEALED_DATA_FIELDS);
  }

  /** After the index added `event`: notes a checkpoint of this service's, ignoring one that does not hold. */
  applied(event: RecordedEvent): void {
    if (event.category !== CHECKPOINT_CATEGORY) return;
    this.checkpointRevision = Math.max(this.checkpointRevision, event.revision);
    const record = event.type === 'CheckpointSigned' ? this.recordOf(event) : undefined;
    if (record) this.checkpoints.push(record);
    else this.rejectedCheckpoints += 1;
  }

  private recordOf(event: RecordedEvent): CheckpointRecord | undefined {
    const data = (event.data ?? {}) as Partial<CheckpointSignedData>;
    const previous = this.latest()?.treeSize ?? 0;
    if (
      typeof data.note !== 'string' ||
      typeof data.rootHash !== 'string' ||
      typeof data.origin !== 'string' ||
      !Number.isSafeInteger(data.treeSize) ||
      !Number.isSafeInteger(data.lastPosition) ||
      data.fromSize !== previous ||
      (data.treeSize as number) <= previous
    ) {
      return undefined;
    }
    if (this.key) {
      try {
        const signed = openCheckpoint(data.note, this.key.verifier);
        const tenantId = event.metadata?.tenantId ?? '';
        if (signed.origin !== this.key.originOf(tenantId) || signed.origin !== data.origin) return undefined;
        if (signed.size !== data.treeSize || signed.rootHash.toString('base64') !== data.rootHash) return undefined;
      } catch {
        return undefined;
      }
    }
    return {
      origin: data.origin,
      treeSize: data.treeSize as number,
      rootHash: Buffer.from(data.rootHash, 'base64'),
      note: data.note,
      time: event.time,
      lastPosition: data.lastPosition as number,
      position: event.position,
      revision: event.revision,
    };
  }

  get eventCount(): number {
    return this.events.length;
  }

  positionOf(index: number): number {
    return this.events[index].position;
  }

  latest(): CheckpointRecord | undefined {
    return this.checkpoints.at(-1);
  }

  checkpointOfSize(treeSize: number): CheckpointRecord | undefined {
    return this.checkpoints.find((c) => c.treeSize === treeSize);
  }

  /** Whether events other than checkpoints came after the newest checkpoint's tree. */
  hasUncheckpointed(): boolean {
    const from = this.latest()?.treeSize ?? 0;
    for (let i = from; i < this.events.length; i++) {
      const e = this.events[i];
      if (e.category !== CHECKPOINT_CATEGORY) return true;
    }
    return false;
  }

  /** Hashes the leaves of every event the index holds now (one catch-up at a time). */
  sync(): Promise<void> {
    const next = this.syncing.then(() => this.hashBacklog());
    this.syncing = next.catch(() => undefined);
    return next;
  }

  private async hashBacklog(): Promise<void> {
    const target = this.events.length;
    while (this.tree.size < target) {
      const end = Math.min(target, this.tree.size + LEAVES_PER_TURN);
      for (let i = this.tree.size; i < end; i++) {
        const e = this.events[i];
        this.tree.append(leafHash(sealedLeafInput(this.sealed(e))));
      }
      if (end < target) await yieldToLoop();
    }
  }
}
