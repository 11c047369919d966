import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { CHECKPOINT_CATEGORY, SEALED_DATA_FIELDS, type CheckpointSignedData } from '@aos/domain';
import type { RecordedEvent } from '@aos/event-store';
import { MerkleTree, leafHash, sealedEvent, sealedLeafInput, type SealedEvent } from '@aos/merkle-log';

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
  readonly checkpoints: CheckpointRecord[] = [];
  /** The sealed form of events the index keeps only summarised (a blob part without its data), by position. */
  private readonly sealedWhole = new Map<number, SealedEvent>();
  private syncing: Promise<void> = Promise.resolve();

  /** `events`: the index's list of this tenant's events (shared, appended to by the index). */
  constructor(readonly events: readonly RecordedEvent[]) {}

  /** Before the index summarises an event: keeps the sealed whole event when the index keeps less. */
  keepLeafOf(whole: RecordedEvent, kept: RecordedEvent): void {
    if (kept !== whole) this.sealedWhole.set(whole.position, sealedEvent(whole, SEALED_DATA_FIELDS));
  }

  /** The sealed event a leaf is the hash of (audit.proto), as a bundle carries it. */
  sealed(event: RecordedEvent): SealedEvent {
    return this.sealedWhole.get(event.position) ?? sealedEvent(event, SEALED_DATA_FIELDS);
  }

  /** After the index added `event`: notes a checkpoint. */
  applied(event: RecordedEvent): void {
    if (event.category !== CHECKPOINT_CATEGORY || event.type !== 'CheckpointSigned') return;
    const data = event.data as CheckpointSignedData;
    this.checkpoints.push({
      origin: data.origin,
      treeSize: data.treeSize,
      rootHash: Buffer.from(data.rootHash, 'base64'),
      note: data.note,
      time: event.time,
      lastPosition: data.lastPosition,
      position: event.position,
      revision: event.revision,
    });
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
