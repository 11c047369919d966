import { createHash, type Hash } from 'node:crypto';
import {
  BLOB_PART_BYTES,
  blobStreamId,
  KNOWLEDGE_CATEGORY,
  parseKnowledgeEvent,
  type BlobKind,
  type BlobPartStored,
} from '@aos/domain';
import type { EventStore, RecordedEvent } from '@aos/event-store';

/**
 * Content-addressed blobs in the log (`kb-blob_<sha256>`, see
 * knowledge.events.ts): splitting bytes into BlobPartStored events, joining
 * parts back as they arrive in log order (checking the hash), a bounded cache
 * of joined blobs, and reading one blob back from the log.
 */

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The BlobPartStored events of one blob, in order: parts of BLOB_PART_BYTES, base64. */
export function blobParts(sha256: string, kind: BlobKind, bytes: Uint8Array): BlobPartStored[] {
  const parts = Math.max(1, Math.ceil(bytes.length / BLOB_PART_BYTES));
  return Array.from({ length: parts }, (_, part) => ({
    sha256,
    kind,
    part,
    parts,
    totalBytes: bytes.length,
    data: Buffer.from(bytes.subarray(part * BLOB_PART_BYTES, (part + 1) * BLOB_PART_BYTES)).toString('base64'),
  }));
}

/** A blob being joined: the parts so far (only their hash for `original`, whose bytes nothing reads back). */
interface Assembly {
  kind: BlobKind;
  parts: number;
  totalBytes: number;
  next: number;
  /** Revision of its part 0 in the blob's stream. */
  firstRevision: number;
  received: number;
  hash: Hash;
  buffers: Buffer[] | undefined;
}

interface BlobRecord {
  /** Revision of the stream's last event applied. */
  revision: number;
  /** Whether a complete blob with the right hash is in the stream. */
  complete: boolean;
  assembly: Assembly | undefined;
}

/** What one BlobPartStored completed, if anything. */
export type BlobOutcome =
  | { kind: 'partial' }
  | { kind: 'complete'; sha256: string; blobKind: BlobKind; bytes: Buffer | undefined }
  | { kind: 'refused'; problem: string };

/**
 * Joins blobs from their parts, fed in log order. A blob is complete when its
 * last part arrives after all the others, in order, and the SHA-256 of the
 * joined bytes is the stream's hash; the hash is computed as parts arrive, so
 * an `original` blob's bytes are never held (nothing reads them back here).
 */
export class BlobAssembler {
  private readonly blobs = new Map<string, BlobRecord>();

  /** `revision`: the event's revision in the blob's stream. */
  apply(tenantId: string, streamId: string, revision: number, part: BlobPartStored): BlobOutcome {
    const id = `${tenantId}\u0000${part.sha256}`;
    let record = this.blobs.get(id);
    if (!record) this.blobs.set(id, (record = { revision: -1, complete: false, assembly: undefined }));
    record.revision = revision;
    if (streamId !== blobStreamId(part.sha256))
      return { kind: 'refused', problem: `part of blob ${part.sha256} in stream ${streamId}` };
    // A complete blob written again (by writers that did not see each other) changes nothing.
    if (record.complete) return { kind: 'partial' };
    let assembly = record.assembly;
    if (part.part === 0) {
      assembly = {
        kind: part.kind,
        parts: part.parts,
        totalBytes: part.totalBytes,
        next: 0,
        firstRevision: revision,
        received: 0,
        hash: createHash('sha256'),
        buffers: part.kind === 'original' ? undefined : [],
      };
      record.assembly = assembly;
    }
    if (
      !assembly ||
      assembly.next !== part.part ||
      assembly.kind !== part.kind ||
      assembly.parts !== part.parts ||
      assembly.totalBytes !== part.totalBytes
    ) {
      // A writer that stopped halfway is completed by a retry that starts again at part 0.
      record.assembly = undefined;
      return {
        kind: 'refused',
        problem: `part ${part.part} of ${part.parts} of blob ${part.sha256} does not follow the parts before it`,
      };
    }
    const bytes = Buffer.from(part.data, 'base64');
    assembly.hash.update(bytes);
    assembly.buffers?.push(bytes);
    assembly.received += bytes.length;
    assembly.next += 1;
    if (assembly.next < assembly.parts) return { kind: 'partial' };
    record.assembly = undefined;
    const digest = assembly.hash.digest('hex');
    if (digest !== part.sha256 || assembly.received !== assembly.totalBytes) {
      return {
        kind: 'refused',
        problem: `blob ${part.sha256} joined to ${assembly.received} bytes with SHA-256 ${digest}: not the blob it names`,
      };
    }
    record.complete = true;
    return {
      kind: 'complete',
      sha256: part.sha256,
      blobKind: part.kind,
      bytes: assembly.buffers ? Buffer.concat(assembly.buffers) : undefined,
    };
  }

  /** Whether the tenant's log holds the blob complete (of any kind: the bytes are what the hash names). */
  has(tenantId: string, sha256: string): boolean {
    return this.blobs.get(`${tenantId}\u0000${sha256}`)?.complete === true;
  }

  /**
   * Where a writer of the blob appends its parts: after the revision before
   * an unfinished write of the same kind (its retry then finds its own
   * events), else after the stream's last event; -1 for a stream that does
   * not exist.
   */
  appendAfter(tenantId: string, sha256: string, kind: BlobKind): number {
    const record = this.blobs.get(`${tenantId}\u0000${sha256}`);
    if (!record) return -1;
    if (record.assembly?.kind === kind) return record.assembly.firstRevision - 1;
    return record.revision;
  }
}

/**
 * Joined `text` and `embeddings` blobs, most recently used kept, up to
 * `maxBytes` in all. Only a cache: a blob not here is read from the log.
 */
export class BlobCache {
  private readonly blobs = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(tenantId: string, sha256: string): Buffer | undefined {
    const id = `${tenantId}\u0000${sha256}`;
    const blob = this.blobs.get(id);
    if (blob) {
      this.blobs.delete(id);
      this.blobs.set(id, blob);
    }
    return blob;
  }

  put(tenantId: string, sha256: string, blob: Buffer): void {
    const id = `${tenantId}\u0000${sha256}`;
    if (this.blobs.has(id) || blob.length > this.maxBytes) return;
    this.blobs.set(id, blob);
    this.bytes += blob.length;
    for (const [oldest, old] of this.blobs) {
      if (this.bytes <= this.maxBytes) break;
      this.blobs.delete(oldest);
      this.bytes -= old.length;
    }
  }

  get size(): number {
    return this.bytes;
  }
}

/** Thrown when a blob the log should hold cannot be read back whole with its hash. */
export class BlobUnreadableError extends Error {
  override name = 'BlobUnreadableError';
  constructor(
    readonly sha256: string,
    problem: string,
  ) {
    super(`blob ${sha256}: ${problem}`);
  }
}

/**
 * One blob read back from its stream: the first run of parts (of any kind)
 * that joins to bytes with its hash. A blob whose parts the projection
 * passed before (evicted from the cache, or written under another kind) is
 * read this way.
 */
export async function readBlob(
  store: Pick<EventStore, 'readStream'>,
  tenantId: string,
  sha256: string,
): Promise<Buffer> {
  const events = await store.readStream({ tenantId, category: KNOWLEDGE_CATEGORY, id: blobStreamId(sha256) });
  const assembler = new BlobAssembler();
  // Its own assembler keeps every kind's bytes: `original` ones are what is asked for here too.
  for (const event of events) {
    const part = blobPartOf(event);
    if (!part) continue;
    const outcome = assembler.apply(tenantId, event.streamId, event.revision, {
      ...part,
      kind: part.kind === 'original' ? 'text' : part.kind,
    });
    if (outcome.kind === 'complete' && outcome.bytes) return outcome.bytes;
  }
  throw new BlobUnreadableError(
    sha256,
    events.length === 0 ? 'not in the log' : 'no complete copy with that hash in the log',
  );
}

/** The event as a BlobPartStored, or undefined when it is another type. */
export function blobPartOf(event: RecordedEvent): BlobPartStored | undefined {
  if (event.type !== 'BlobPartStored') return undefined;
  const parsed = parseKnowledgeEvent(event.type, event.data);
  return parsed?.type === 'BlobPartStored' ? parsed.data : undefined;
}
