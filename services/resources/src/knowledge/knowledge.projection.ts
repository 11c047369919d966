import { parseKnowledgeEvent, type DocumentAdded, type KnowledgeBaseCreated, type KnowledgeEvent } from '@aos/domain';
import { EventStoreUnavailableError, type EventStore, type RecordedEvent } from '@aos/event-store';
import { decodeVectors, HybridIndex, VectorDimensionsError, type SearchHit, type SearchOptions } from '@aos/retrieval';
import { BlobAssembler, BlobCache, readBlob } from './knowledge.blobs';
import { evolve, initialKnowledgeBaseState, type KnowledgeBaseState } from './knowledge.decider';
import { chunkKey, documentKey, parseChunkKey } from './knowledge.ids';

/** How long reading a blob back keeps trying while the log is unavailable. */
const BLOB_READ_RETRY_MS = 60_000;

/** One version of a document as the API shows it (its text and vectors are in the log, its chunks in the index). */
export interface VersionRecord {
  version: number;
  title: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  textSha256: string;
  textLength: number;
  chunkCount: number;
  metadata: Readonly<Record<string, string>>;
  embeddingsModel: string;
  addedBy: string;
  createTime: string;
  logPosition: number;
  /**
   * Code point offsets of its chunks in the text, [start0, end0, start1, ...],
   * while they are in the index (the current version, once indexed).
   */
  chunkOffsets: Uint32Array | undefined;
}

export interface DocumentRecord {
  knowledgeBaseId: string;
  documentId: string;
  /** 1-based place among the knowledge base's documents in order of first addition: list order and page token. */
  createSeq: number;
  /** versions[v - 1] is version v. */
  versions: VersionRecord[];
  removed: boolean;
  /** The time and position of the document's last event (its last version, or its removal). */
  updateTime: string;
  logPosition: number;
}

export interface KnowledgeBaseRecord {
  tenantId: string;
  definition: KnowledgeBaseCreated;
  /** 1-based place among the tenant's knowledge bases in creation order. */
  createSeq: number;
  /** The decider's state and the stream's revision: what commands are decided on. */
  stream: { state: KnowledgeBaseState; revision: number };
  documents: Map<string, DocumentRecord>;
  documentOrder: string[];
  activeDocuments: number;
  /** Chunks of the current versions of the documents not removed. */
  chunkCount: number;
  createTime: string;
  updateTime: string;
  logPosition: number;
}

/** A search hit with what its citation needs. */
export interface ResolvedHit {
  hit: SearchHit;
  knowledgeBaseId: string;
  document: DocumentRecord;
  version: VersionRecord;
  chunkIndex: number;
  chunkText: string;
  /** Code point offsets of the chunk in the document's text. */
  start: number;
  end: number;
}

export interface Page<T> {
  items: T[];
  /** The createSeq of the page's last item when more follow. */
  nextAfterSeq: number | undefined;
}

class TenantKnowledge {
  readonly knowledgeBases = new Map<string, KnowledgeBaseRecord>();
  readonly idByName = new Map<string, string>();
  readonly creationOrder: string[] = [];
  /** One index per tenant: BM25's statistics never mix tenants. */
  readonly index = new HybridIndex();
}

export interface KnowledgeProjectionOptions {
  /** Where a blob the cache no longer holds is read back from. */
  store: Pick<EventStore, 'readStream'>;
  /** Joined text and embeddings blobs kept in memory, in bytes (default 64 MiB): a cache, the log has them. */
  blobCacheBytes?: number;
  /** Problems that skip an event or leave a document out of the index (never fatal). */
  warn: (message: string) => void;
}

/**
 * The knowledge bases' write and read model, per tenant, fed every `kb-*`
 * event in log order: each knowledge base's decider state, its documents and
 * their versions, and one HybridIndex per tenant holding the chunks of the
 * current version of every document not removed.
 *
 * A DocumentAdded names its text and embeddings blobs by hash; their parts
 * came before it in the log (the writer appends them first), so they are
 * joined as they pass (hash checked) and usually still in the cache when the
 * DocumentAdded arrives. A blob that is not (evicted, or written long ago for
 * other bytes-identical documents) is read back from the log: the events
 * after it wait meanwhile, so every instance applies the log in order and a
 * replay rebuilds the same index, with no model server (vectors come from
 * the log). A blob that does not join to its hash leaves the document out of
 * the index (logged): wrong text is never indexed.
 */
export class KnowledgeProjection {
  private readonly tenants = new Map<string, TenantKnowledge>();
  private readonly blobs = new BlobAssembler();
  private readonly cache: BlobCache;
  private readonly queue: RecordedEvent[] = [];
  private draining: Promise<void> | undefined;
  private lastPosition = 0;
  private appliedCount = 0;

  constructor(private readonly options: KnowledgeProjectionOptions) {
    this.cache = new BlobCache(options.blobCacheBytes ?? 64 * 1024 * 1024);
  }

  get eventsApplied(): number {
    return this.appliedCount;
  }

  /** Applies the event, or queues it behind a blob still being read back from the log. */
  apply(event: RecordedEvent): void {
    if (this.draining) {
      this.queue.push(event);
      return;
    }
    const pending = this.step(event);
    if (pending) this.draining = this.drain(pending);
  }

  /** Resolves once every event given to apply() so far has been applied. */
  settled(): Promise<void> {
    return this.draining ?? Promise.resolve();
  }

  stream(tenantId: string, knowledgeBaseId: string): KnowledgeBaseRecord['stream'] | undefined {
    return this.knowledgeBase(tenantId, knowledgeBaseId)?.stream;
  }

  knowledgeBase(tenantId: string, knowledgeBaseId: string): KnowledgeBaseRecord | undefined {
    return this.tenants.get(tenantId)?.knowledgeBases.get(knowledgeBaseId);
  }

  knowledgeBaseIdByName(tenantId: string, name: string): string | undefined {
    return this.tenants.get(tenantId)?.idByName.get(name);
  }

  /** The tenant's knowledge bases in creation order. */
  knowledgeBases(tenantId: string): readonly KnowledgeBaseRecord[] {
    const tenant = this.tenants.get(tenantId);
    return tenant ? tenant.creationOrder.map((id) => tenant.knowledgeBases.get(id)!) : [];
  }

  /** One page of the tenant's knowledge bases that `include` lets through, in creation order, after `afterSeq`. */
  listKnowledgeBases(
    tenantId: string,
    afterSeq: number,
    pageSize: number,
    include: (kb: KnowledgeBaseRecord) => boolean,
  ): Page<KnowledgeBaseRecord> {
    const all = this.knowledgeBases(tenantId);
    return pageOf(all.slice(afterSeq), pageSize, include, (kb) => kb.createSeq);
  }

  document(tenantId: string, knowledgeBaseId: string, documentId: string): DocumentRecord | undefined {
    return this.knowledgeBase(tenantId, knowledgeBaseId)?.documents.get(documentId);
  }

  /** One page of the knowledge base's documents not removed, in order of first addition. */
  listDocuments(kb: KnowledgeBaseRecord, afterSeq: number, pageSize: number): Page<DocumentRecord> {
    const documents = kb.documentOrder.slice(afterSeq).map((id) => kb.documents.get(id)!);
    return pageOf(
      documents,
      pageSize,
      (d) => !d.removed,
      (d) => d.createSeq,
    );
  }

  /** The text of a document version (UTF-8 blob `textSha256`), from the cache or the log; checked against its hash. */
  async text(tenantId: string, textSha256: string): Promise<string> {
    return (await this.blob(tenantId, textSha256)).toString('utf8');
  }

  /** Whether the tenant's log holds this blob complete: a writer need not write it again. */
  hasBlob(tenantId: string, sha256: string): boolean {
    return this.blobs.has(tenantId, sha256);
  }

  /** See BlobAssembler.appendAfter. */
  blobAppendAfter(tenantId: string, sha256: string, kind: 'original' | 'text' | 'embeddings'): number {
    return this.blobs.appendAfter(tenantId, sha256, kind);
  }

  /** Searches the tenant's index (the caller's allowGroup decides which knowledge bases count) and resolves each hit. */
  search(tenantId: string, query: string, options: SearchOptions): ResolvedHit[] {
    const tenant = this.tenants.get(tenantId);
    if (!tenant) return [];
    const resolved: ResolvedHit[] = [];
    for (const hit of tenant.index.search(query, options)) {
      const { kbId, documentId, version, chunkIndex } = parseChunkKey(hit.key);
      const document = tenant.knowledgeBases.get(kbId)?.documents.get(documentId);
      const record = document?.versions[version - 1];
      const offsets = record?.chunkOffsets;
      const chunk = tenant.index.get(hit.key);
      if (!document || !record || !offsets || !chunk) continue;
      resolved.push({
        hit,
        knowledgeBaseId: kbId,
        document,
        version: record,
        chunkIndex,
        chunkText: chunk.text,
        start: offsets[chunkIndex * 2]!,
        end: offsets[chunkIndex * 2 + 1]!,
      });
    }
    return resolved;
  }

  /** Chunks in the tenant's index. */
  indexedChunks(tenantId: string): number {
    return this.tenants.get(tenantId)?.index.size ?? 0;
  }

  private async drain(first: Promise<void>): Promise<void> {
    await first;
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      try {
        const pending = this.step(next);
        if (pending) await pending;
      } catch (err) {
        // As host.follow does for an event applied at once: skipped and logged, the rest goes on.
        this.options.warn(`skipped ${next.type} at position ${next.position}: ${(err as Error).message}`);
      }
    }
    this.draining = undefined;
  }

  /** Applies one event; a promise when its indexing waits for a blob read from the log. */
  private step(event: RecordedEvent): Promise<void> | undefined {
    // Redelivery after a reconnect must not apply a change twice.
    if (event.position <= this.lastPosition) return undefined;
    this.lastPosition = event.position;
    let parsed: KnowledgeEvent | undefined;
    try {
      // An event type this version does not know (written by a newer one) is skipped.
      parsed = parseKnowledgeEvent(event.type, event.data);
    } catch (err) {
      this.options.warn(
        `skipped ${event.type} at position ${event.position}: its data does not match the schema (${(err as Error).message})`,
      );
      return undefined;
    }
    if (!parsed) return undefined;
    this.appliedCount += 1;
    const tenantId = event.metadata.tenantId;
    if (parsed.type === 'BlobPartStored') {
      const outcome = this.blobs.apply(tenantId, event.streamId, event.revision, parsed.data);
      if (outcome.kind === 'refused')
        this.options.warn(`${event.stream} at position ${event.position}: ${outcome.problem}`);
      if (outcome.kind === 'complete' && outcome.bytes) this.cache.put(tenantId, outcome.sha256, outcome.bytes);
      return undefined;
    }
    const tenant = this.tenant(tenantId);
    const kb = tenant.knowledgeBases.get(event.streamId);
    if (kb && event.revision <= kb.stream.revision) return undefined;
    let state: KnowledgeBaseState;
    try {
      state = evolve(kb?.stream.state ?? initialKnowledgeBaseState, parsed);
    } catch (err) {
      this.options.warn(
        `skipped ${event.type} at position ${event.position} (${event.stream}): ${(err as Error).message}`,
      );
      return undefined;
    }
    switch (parsed.type) {
      case 'KnowledgeBaseCreated':
        this.created(tenant, event, parsed.data, state);
        return undefined;
      case 'DocumentAdded':
        return this.added(tenant, kb!, event, parsed.data, state);
      case 'DocumentRemoved': {
        kb!.stream = { state, revision: event.revision };
        touch(kb!, event);
        const document = kb!.documents.get(parsed.data.documentId)!;
        document.removed = true;
        document.updateTime = event.time;
        document.logPosition = event.position;
        kb!.activeDocuments -= 1;
        kb!.chunkCount -= document.versions.at(-1)!.chunkCount;
        this.unindex(tenant, document);
        return undefined;
      }
    }
  }

  private created(
    tenant: TenantKnowledge,
    event: RecordedEvent,
    data: KnowledgeBaseCreated,
    state: KnowledgeBaseState,
  ): void {
    tenant.creationOrder.push(data.knowledgeBaseId);
    tenant.knowledgeBases.set(event.streamId, {
      tenantId: event.metadata.tenantId,
      definition: data,
      createSeq: tenant.creationOrder.length,
      stream: { state, revision: event.revision },
      documents: new Map(),
      documentOrder: [],
      activeDocuments: 0,
      chunkCount: 0,
      createTime: event.time,
      updateTime: event.time,
      logPosition: event.position,
    });
    tenant.idByName.set(data.name, data.knowledgeBaseId);
  }

  private added(
    tenant: TenantKnowledge,
    kb: KnowledgeBaseRecord,
    event: RecordedEvent,
    data: DocumentAdded,
    state: KnowledgeBaseState,
  ): Promise<void> | undefined {
    kb.stream = { state, revision: event.revision };
    touch(kb, event);
    let document = kb.documents.get(data.documentId);
    if (!document) {
      kb.documentOrder.push(data.documentId);
      document = {
        knowledgeBaseId: kb.definition.knowledgeBaseId,
        documentId: data.documentId,
        createSeq: kb.documentOrder.length,
        versions: [],
        removed: true,
        updateTime: event.time,
        logPosition: event.position,
      };
      kb.documents.set(data.documentId, document);
    }
    const previous = document.versions.at(-1);
    if (document.removed) kb.activeDocuments += 1;
    else kb.chunkCount -= previous?.chunkCount ?? 0;
    kb.chunkCount += data.chunks.length;
    document.removed = false;
    document.updateTime = event.time;
    document.logPosition = event.position;
    const version: VersionRecord = {
      version: data.version,
      title: data.title,
      contentType: data.contentType,
      sizeBytes: data.sizeBytes,
      sha256: data.sha256,
      textSha256: data.textSha256,
      textLength: data.textLength,
      chunkCount: data.chunks.length,
      metadata: data.metadata,
      embeddingsModel: data.embeddings?.model ?? '',
      addedBy: data.addedBy,
      createTime: event.time,
      logPosition: event.position,
      chunkOffsets: undefined,
    };
    document.versions.push(version);

    const tenantId = event.metadata.tenantId;
    const text = this.cache.get(tenantId, data.textSha256);
    const vectors = data.embeddings ? this.cache.get(tenantId, data.embeddings.sha256) : undefined;
    if (text && (!data.embeddings || vectors)) {
      this.index(tenant, document, version, data, text, vectors, event);
      return undefined;
    }
    // Not in the cache: read back from the log; the events after this one wait.
    return (async () => {
      try {
        const [t, v] = await Promise.all([
          text ?? this.blob(tenantId, data.textSha256),
          vectors ?? (data.embeddings ? this.blob(tenantId, data.embeddings.sha256) : undefined),
        ]);
        this.index(tenant, document, version, data, t, v, event);
      } catch (err) {
        this.unindex(tenant, document);
        this.options.warn(
          `document ${data.documentId} version ${data.version} of knowledge base ${data.knowledgeBaseId} is not searchable: ${(err as Error).message}`,
        );
      }
    })();
  }

  /** Replaces the document's chunks in the index with those of `version`. */
  private index(
    tenant: TenantKnowledge,
    document: DocumentRecord,
    version: VersionRecord,
    data: DocumentAdded,
    textBytes: Buffer,
    vectorBytes: Buffer | undefined,
    event: RecordedEvent,
  ): void {
    this.unindex(tenant, document);
    const where = `document ${data.documentId} version ${data.version} of knowledge base ${data.knowledgeBaseId} (position ${event.position})`;
    const text = textBytes.toString('utf8');
    const offsets = codePointOffsets(text, data.chunks);
    if (!offsets || countCodePoints(text) !== data.textLength) {
      this.options.warn(`${where} is not searchable: its chunks or length do not fit its text`);
      return;
    }
    let vectors: Float32Array[] | undefined;
    if (vectorBytes && data.embeddings) {
      try {
        vectors = decodeVectors(vectorBytes, data.embeddings.dimensions);
        if (vectors.length !== data.chunks.length)
          throw new RangeError(`${vectors.length} vectors for ${data.chunks.length} chunks`);
      } catch (err) {
        this.options.warn(
          `${where}: its embeddings are unusable (${(err as Error).message}); indexed for lexical search only`,
        );
        vectors = undefined;
      }
    }
    const group = data.knowledgeBaseId;
    const docKey = documentKey(data.knowledgeBaseId, data.documentId);
    let dimensionsWarned = false;
    data.chunks.forEach(({ start, end }, i) => {
      const chunk = {
        key: chunkKey(group, data.documentId, data.version, i),
        group,
        documentKey: docKey,
        text: text.slice(start, end),
        metadata: data.metadata,
      };
      try {
        tenant.index.add({
          ...chunk,
          ...(vectors && data.embeddings ? { vector: vectors[i], vectorModel: data.embeddings.model } : {}),
        });
      } catch (err) {
        if (!(err instanceof VectorDimensionsError)) throw err;
        // Embedded with another model than the tenant's other documents: searchable lexically.
        if (!dimensionsWarned) this.options.warn(`${where}: ${err.message}; indexed for lexical search only`);
        dimensionsWarned = true;
        tenant.index.add(chunk);
      }
    });
    version.chunkOffsets = offsets;
  }

  private unindex(tenant: TenantKnowledge, document: DocumentRecord): void {
    tenant.index.removeDocument(documentKey(document.knowledgeBaseId, document.documentId));
    for (const version of document.versions) version.chunkOffsets = undefined;
  }

  private async blob(tenantId: string, sha256: string): Promise<Buffer> {
    const cached = this.cache.get(tenantId, sha256);
    if (cached) return cached;
    // The log being away for a moment must not leave the document out of this instance's index for
    // good (other instances would still find it): try again while it is unavailable; the events
    // after this one wait meanwhile, as they would for a slow read. A blob that is missing or does
    // not match its hash is given up at once.
    const deadline = Date.now() + BLOB_READ_RETRY_MS;
    for (let pause = 100; ; pause = Math.min(pause * 2, 2_000)) {
      try {
        const bytes = await readBlob(this.options.store, tenantId, sha256);
        this.cache.put(tenantId, sha256, bytes);
        return bytes;
      } catch (err) {
        if (!(err instanceof EventStoreUnavailableError) || Date.now() + pause > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  private tenant(tenantId: string): TenantKnowledge {
    let tenant = this.tenants.get(tenantId);
    if (!tenant) this.tenants.set(tenantId, (tenant = new TenantKnowledge()));
    return tenant;
  }
}

function touch(kb: KnowledgeBaseRecord, event: RecordedEvent): void {
  kb.updateTime = event.time;
  kb.logPosition = event.position;
}

function pageOf<T>(
  items: readonly T[],
  pageSize: number,
  include: (item: T) => boolean,
  seqOf: (item: T) => number,
): Page<T> {
  const page: T[] = [];
  for (const item of items) {
    if (!include(item)) continue;
    if (page.length === pageSize) return { items: page, nextAfterSeq: seqOf(page.at(-1)!) };
    page.push(item);
  }
  return { items: page, nextAfterSeq: undefined };
}

export function countCodePoints(text: string): number {
  let points = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    points++;
  }
  return points;
}

/**
 * The chunks' UTF-16 offsets as code point offsets, [start0, end0, ...], in
 * one pass over the text; undefined when a chunk is empty or outside it.
 */
export function codePointOffsets(
  text: string,
  chunks: readonly { start: number; end: number }[],
): Uint32Array | undefined {
  const wanted = new Set<number>();
  for (const { start, end } of chunks) {
    if (!(start >= 0 && start < end && end <= text.length)) return undefined;
    wanted.add(start).add(end);
  }
  const sorted = [...wanted].sort((a, b) => a - b);
  const points = new Map<number, number>();
  let at = 0;
  let count = 0;
  for (const offset of sorted) {
    while (at < offset) {
      const code = text.charCodeAt(at);
      const pair = code >= 0xd800 && code <= 0xdbff && at + 1 < text.length && isLow(text.charCodeAt(at + 1));
      at += pair ? 2 : 1;
      count++;
    }
    // An offset inside a surrogate pair counts that pair (as toCodePointOffset does).
    points.set(offset, count);
  }
  const out = new Uint32Array(chunks.length * 2);
  chunks.forEach(({ start, end }, i) => {
    out[i * 2] = points.get(start)!;
    out[i * 2 + 1] = points.get(end)!;
  });
  return out;
}

const isLow = (code: number) => code >= 0xdc00 && code <= 0xdfff;
