import {
  KNOWLEDGE_CATEGORY,
  KNOWLEDGE_EVENTS_SCHEMA_VERSION,
  SearchMode,
  type Document,
  type KnowledgeBase,
  type ListDocumentsResponse,
  type ListKnowledgeBasesResponse,
  type SearchResponse,
  type SearchResult,
} from '@aos/contracts';
import {
  type CommandPipeline,
  envelop,
  type NameLedger,
  type PipelineWaits,
  type RecordedStep,
  type WriterHost,
  writerPipeline,
} from '@aos/command-pipeline';
import {
  blobStreamId,
  MAX_DOCUMENT_TEXT_BYTES,
  type BlobKind,
  type DocumentAdded,
  type DocumentRemoved,
} from '@aos/domain';
import { AosError, InvalidArgumentError, NotFoundError, PermissionDeniedError, UnavailableError } from '@aos/errors';
import { ConcurrencyError, EventStoreUnavailableError } from '@aos/event-store';
import type { RequestContext } from '@aos/messaging';
import { encodePageToken, fitReply, idOfIdOrName } from '@aos/request-fields';
import {
  bestSnippet,
  chunkText,
  encodeVectors,
  ExtractionError,
  extractText,
  toCodePointOffset,
  VectorDimensionsError,
  type SearchOptions,
} from '@aos/retrieval';
import type { ResourceAccess } from '../resource-access';
import { blobParts, sha256Hex } from './knowledge.blobs';
import {
  decide,
  initialKnowledgeBaseState,
  StaleDocumentVersionError,
  type KnowledgeBaseState,
} from './knowledge.decider';
import { blobPartEventId, documentIdFor, KNOWLEDGE_EVENT_ID_NAMESPACE, knowledgeBaseIdFor } from './knowledge.ids';
import {
  countCodePoints,
  type KnowledgeBaseRecord,
  type KnowledgeProjection,
  type ResolvedHit,
} from './knowledge.projection';
import {
  LIMITS,
  type AddDocumentMutation,
  type CreateKnowledgeBaseMutation,
  type GetDocumentQuery,
  type GetKnowledgeBaseQuery,
  type ListDocumentsQuery,
  type ListQuery,
  type RemoveDocumentMutation,
  type SearchQuery,
} from './knowledge.validation';
import { toProtoDocument, toProtoKnowledgeBase } from './knowledge.views';

/** What embeds texts: an EmbeddingsClient, or anything with its shape. */
export interface Embedder {
  readonly model: string;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

export interface KnowledgeHandlerDeps extends WriterHost {
  /** Built from the log by `follower`; the only state commands are decided against. */
  projection: KnowledgeProjection;
  access: ResourceAccess;
  /** Where knowledge base names are held (unique per tenant across every resources instance). */
  names: NameLedger;
  /** Embeds chunks when documents are added (none: lexical search only). */
  embedder?: Embedder;
  /** Embeds search queries (shorter time limit); default `embedder`. */
  queryEmbedder?: Embedder;
  warn: (message: string) => void;
  waits?: Partial<PipelineWaits>;
}

/**
 * The gateway gives a request 15 s: an AddDocument spends the most on
 * extraction and embeddings (the embedder's own limit), then up to writeMs.
 */
export const DEFAULT_WAITS: PipelineWaits = { readMs: 5_000, writeMs: 4_000, catchUpMs: 2_000 };

/** Appends of one blob lost to a concurrent writer before giving up (each is then caught up and looked at again). */
const BLOB_ATTEMPTS = 3;

/** A document ready to be recorded: extracted, chunked and embedded, nothing written yet. */
interface PreparedDocument {
  title: string;
  text: Buffer;
  textSha256: string;
  textLength: number;
  chunks: { start: number; end: number }[];
  embeddings: { model: string; dimensions: number; sha256: string; bytes: Buffer } | null;
}

/**
 * KnowledgeService's commands and queries. Each command goes through the
 * command pipeline (idempotency by request_id, unique names, optimistic
 * appends to the knowledge base's stream, replies read from the projection
 * right after the command's own events). AddDocument first extracts, chunks
 * and embeds (a retry with the same request_id that was recorded is answered
 * from the log without doing any of it again), then writes the blobs, then
 * records DocumentAdded: until that event, no document is visible.
 */
export class KnowledgeHandler {
  /** The wiring feeds `pipeline.requests` from the `kb` subscription (without blob parts), after the projection. */
  readonly pipeline: CommandPipeline;

  constructor(private readonly deps: KnowledgeHandlerDeps) {
    const { projection } = deps;
    this.pipeline = writerPipeline(deps, {
      model: 'knowledge base',
      schemaVersion: KNOWLEDGE_EVENTS_SCHEMA_VERSION,
      eventNamespace: KNOWLEDGE_EVENT_ID_NAMESPACE,
      categories: [KNOWLEDGE_CATEGORY],
      waits: { ...DEFAULT_WAITS, ...deps.waits },
      names: {
        ledger: deps.names,
        holders: {
          // Names are compared as written (lower case by their pattern).
          knowledgeBase: {
            fold: (name) => name,
            holderOf: (tenantId, name) => projection.knowledgeBaseIdByName(tenantId, name),
          },
        },
      },
    });
  }

  createKnowledgeBase(ctx: RequestContext, mutation: CreateKnowledgeBaseMutation): Promise<KnowledgeBase> {
    const knowledgeBaseId = knowledgeBaseIdFor(ctx.tenantId, mutation.requestId);
    const knowledgeBase = {
      knowledgeBaseId,
      name: mutation.name,
      description: mutation.description,
      labels: mutation.labels,
      createdBy: ctx.actor.id,
    };
    return this.pipeline.handle(ctx, {
      requestId: mutation.requestId,
      replays: ['KnowledgeBaseCreated'],
      stream: { category: KNOWLEDGE_CATEGORY, id: knowledgeBaseId },
      creates: true,
      load: () => this.deps.projection.stream(ctx.tenantId, knowledgeBaseId),
      initial: initialKnowledgeBaseState,
      decide: (state: KnowledgeBaseState) => decide({ type: 'CreateKnowledgeBase', knowledgeBase }, state),
      names: (events) =>
        events.flatMap((e) =>
          e.type === 'KnowledgeBaseCreated'
            ? [
                {
                  kind: 'knowledgeBase' as const,
                  name: e.data.name,
                  holderId: knowledgeBaseId,
                  action: 'reserve' as const,
                },
              ]
            : [],
        ),
      reply: () => toProtoKnowledgeBase(this.recordedKnowledgeBase(ctx.tenantId, knowledgeBaseId)),
    });
  }

  /**
   * Extracts, chunks and embeds the document, writes its blobs (those the log
   * lacks), then records DocumentAdded with the next version.
   */
  addDocument(ctx: RequestContext, mutation: AddDocumentMutation): Promise<Document> {
    const { knowledgeBaseId } = mutation;
    const documentId = mutation.documentId ?? documentIdFor(ctx.tenantId, knowledgeBaseId, mutation.requestId);
    const request = {
      requestId: mutation.requestId,
      replays: ['DocumentAdded'],
      sameTarget: (steps: readonly RecordedStep[]) => steps.every((s) => isStepOf(s, knowledgeBaseId, documentId)),
      reply: ({ recorded }: { recorded: readonly RecordedStep[] }) =>
        this.replyDocument(ctx.tenantId, knowledgeBaseId, documentId, (recorded.at(-1)!.data as DocumentAdded).version),
    };
    return this.pipeline.handleRequest(ctx, request, async (tx) => {
      // Refused before the work, as it would be after it.
      const kb = await this.requireKnowledgeBase(ctx.tenantId, knowledgeBaseId, true);
      const current = kb.documents.get(documentId)?.versions.length ?? 0;
      if (mutation.expectedVersion !== undefined && mutation.expectedVersion !== current) {
        throw new StaleDocumentVersionError(documentId, mutation.expectedVersion, current);
      }
      const prepared = await this.prepare(mutation);
      const sha256 = sha256Hex(mutation.content);
      await this.writeBlob(ctx, mutation.requestId, mutation.content, sha256, 'original');
      await this.writeBlob(ctx, mutation.requestId, prepared.text, prepared.textSha256, 'text');
      if (prepared.embeddings) {
        await this.writeBlob(
          ctx,
          mutation.requestId,
          prepared.embeddings.bytes,
          prepared.embeddings.sha256,
          'embeddings',
        );
      }
      const document: Omit<DocumentAdded, 'version'> = {
        knowledgeBaseId,
        documentId,
        title: prepared.title,
        contentType: mutation.contentType,
        sizeBytes: mutation.content.length,
        sha256,
        textSha256: prepared.textSha256,
        textLength: prepared.textLength,
        chunks: prepared.chunks,
        metadata: mutation.metadata,
        embeddings: prepared.embeddings && {
          model: prepared.embeddings.model,
          dimensions: prepared.embeddings.dimensions,
          sha256: prepared.embeddings.sha256,
        },
        addedBy: ctx.actor.id,
      };
      await tx.commit({
        stream: { category: KNOWLEDGE_CATEGORY, id: knowledgeBaseId },
        load: () => this.deps.projection.stream(ctx.tenantId, knowledgeBaseId),
        initial: initialKnowledgeBaseState,
        decide: (state: KnowledgeBaseState) =>
          decide({ type: 'AddDocument', document, expectedVersion: mutation.expectedVersion }, state),
      });
    });
  }

  removeDocument(ctx: RequestContext, mutation: RemoveDocumentMutation): Promise<Document> {
    const { knowledgeBaseId, documentId } = mutation;
    return this.pipeline.handle(ctx, {
      requestId: mutation.requestId,
      replays: ['DocumentRemoved'],
      sameTarget: (steps) => steps.every((s) => isStepOf(s, knowledgeBaseId, documentId)),
      stream: { category: KNOWLEDGE_CATEGORY, id: knowledgeBaseId },
      load: () => this.deps.projection.stream(ctx.tenantId, knowledgeBaseId),
      initial: initialKnowledgeBaseState,
      decide: (state: KnowledgeBaseState) =>
        decide(
          { type: 'RemoveDocument', knowledgeBaseId, documentId, expectedVersion: mutation.expectedVersion },
          state,
        ),
      reply: ({ recorded }) =>
        this.replyDocument(
          ctx.tenantId,
          knowledgeBaseId,
          documentId,
          (recorded.at(-1)!.data as DocumentRemoved).version,
        ),
    });
  }

  async getKnowledgeBase(ctx: RequestContext, query: GetKnowledgeBaseQuery): Promise<KnowledgeBase> {
    await this.reach(query.minPosition);
    const { id } = query.knowledgeBase;
    if (id !== undefined) return toProtoKnowledgeBase(await this.requireKnowledgeBase(ctx.tenantId, id, false));
    const knowledgeBaseId = idOfIdOrName(query.knowledgeBase, 'knowledge base', (name) =>
      this.deps.projection.knowledgeBaseIdByName(ctx.tenantId, name),
    );
    // The gateway could only authorize the tenant ("*") for a name; the knowledge base itself is asked about here.
    if (!this.deps.access.mayRead(ctx, knowledgeBaseId)) {
      throw new PermissionDeniedError(`the caller lacks permission knowledge.read on kb/${knowledgeBaseId}`);
    }
    return toProtoKnowledgeBase(await this.requireKnowledgeBase(ctx.tenantId, knowledgeBaseId, false));
  }

  /** The tenant's knowledge bases the caller may read, in creation order. */
  async listKnowledgeBases(ctx: RequestContext, query: ListQuery): Promise<ListKnowledgeBasesResponse> {
    await this.reach(query.minPosition);
    const page = this.deps.projection.listKnowledgeBases(ctx.tenantId, query.afterSeq, query.pageSize, (kb) =>
      this.deps.access.mayRead(ctx, kb.definition.knowledgeBaseId),
    );
    const fit = fitReply(page.items.map(toProtoKnowledgeBase));
    const next = fit.cutAfter === undefined ? page.nextAfterSeq : page.items[fit.cutAfter]!.createSeq;
    return {
      knowledgeBases: fit.items,
      nextPageToken: next === undefined ? '' : encodePageToken('ListKnowledgeBases', next),
    };
  }

  async listDocuments(ctx: RequestContext, query: ListDocumentsQuery): Promise<ListDocumentsResponse> {
    await this.reach(query.minPosition);
    const kb = await this.requireKnowledgeBase(ctx.tenantId, query.knowledgeBaseId, false);
    const page = this.deps.projection.listDocuments(kb, query.afterSeq, query.pageSize);
    const fit = fitReply(page.items.map((d) => toProtoDocument(d, d.versions.at(-1)!)));
    const next = fit.cutAfter === undefined ? page.nextAfterSeq : page.items[fit.cutAfter]!.createSeq;
    return {
      documents: fit.items,
      nextPageToken: next === undefined ? '' : encodePageToken('ListDocuments', next, query.knowledgeBaseId),
    };
  }

  async getDocument(ctx: RequestContext, query: GetDocumentQuery): Promise<Document> {
    await this.reach(query.minPosition);
    const kb = await this.requireKnowledgeBase(ctx.tenantId, query.knowledgeBaseId, false);
    const document = kb.documents.get(query.documentId);
    if (!document) throw new NotFoundError('document', query.documentId);
    const version = query.version === 0 ? document.versions.at(-1)! : document.versions[query.version - 1];
    if (!version) throw new NotFoundError(`version of document ${query.documentId}`, String(query.version));
    if (!query.includeText) return toProtoDocument(document, version);
    let text: string;
    try {
      text = await this.deps.projection.text(ctx.tenantId, version.textSha256);
    } catch (err) {
      if (err instanceof EventStoreUnavailableError)
        throw new UnavailableError('the event log is unavailable', { cause: err });
      throw new AosError(
        'INTERNAL',
        `the text of document ${query.documentId} version ${version.version} cannot be read: ${(err as Error).message}`,
      );
    }
    return toProtoDocument(document, version, text);
  }

  /**
   * BM25 (and dense vectors in HYBRID mode) over the chunks of the knowledge
   * bases the caller may read, the permission filter inside the search.
   */
  async search(ctx: RequestContext, query: SearchQuery): Promise<SearchResponse> {
    await this.reach(query.minPosition);
    const searched = this.searchable(ctx, query.knowledgeBaseIds);
    const allowed = new Set(searched);
    const queryEmbedder = this.deps.queryEmbedder ?? this.deps.embedder;
    const wantsDense = (query.mode ?? (queryEmbedder ? 'HYBRID' : 'LEXICAL')) === 'HYBRID';
    const queryVector =
      wantsDense && queryEmbedder && searched.length > 0
        ? await this.queryVector(ctx, queryEmbedder, query.query)
        : undefined;
    const options: SearchOptions = {
      topK: query.topK,
      allowGroup: (group) => allowed.has(group),
      metadata: query.metadataFilter,
      ...(queryVector && queryEmbedder ? { queryVector, vectorModel: queryEmbedder.model } : {}),
      ...(query.minScore > 0 ? { minScore: query.minScore } : {}),
    };
    let hits: ResolvedHit[];
    try {
      hits = this.deps.projection.search(ctx.tenantId, query.query, options);
    } catch (err) {
      if (!(err instanceof VectorDimensionsError)) throw err;
      this.deps.warn(
        `search in tenant ${ctx.tenantId}: ${err.message} (another embeddings model?); searched lexically`,
      );
      hits = this.deps.projection.search(ctx.tenantId, query.query, { ...options, queryVector: undefined });
    }
    const hybrid = hits.length > 0 ? hits[0]!.hit.mode === 'hybrid' : queryVector !== undefined;
    return {
      results: hits.map((hit) => toSearchResult(hit, query.query)),
      mode: hybrid ? SearchMode.HYBRID : SearchMode.LEXICAL,
      knowledgeBaseIds: searched,
    };
  }

  /**
   * The knowledge bases a search covers. An agent (the runtime, which checked
   * governance for it) names them and gets those of its tenant that exist
   * (NOT_FOUND when none does);
   * anyone else gets those named that it may read (a named one it may not is
   * PERMISSION_DENIED), or with none named, every one it may read.
   */
  private searchable(ctx: RequestContext, named: readonly string[]): string[] {
    const { projection, access } = this.deps;
    const exists = (id: string) => {
      if (!projection.knowledgeBase(ctx.tenantId, id)) throw new NotFoundError('knowledge base', id);
    };
    if (ctx.actor.kind === 'agent') {
      if (named.length === 0) {
        throw new InvalidArgumentError(
          'knowledge_base_ids',
          'an agent names the knowledge bases it searches (its knowledge_base_ids)',
        );
      }
      // An agent's definition may name a knowledge base that was never created (lifecycle does not
      // check them): the search covers the ones that exist, and the reply's knowledge_base_ids says which.
      const existing = named.filter((id) => projection.knowledgeBase(ctx.tenantId, id));
      if (existing.length === 0) exists(named[0]!);
      return existing;
    }
    if (named.length === 0) {
      return projection
        .knowledgeBases(ctx.tenantId)
        .map((kb) => kb.definition.knowledgeBaseId)
        .filter((id) => access.mayRead(ctx, id));
    }
    for (const id of named) {
      exists(id);
      if (!access.mayRead(ctx, id)) {
        throw new PermissionDeniedError(
          `the caller lacks permission knowledge.read on kb/${id}, named in knowledge_base_ids`,
        );
      }
    }
    return [...named];
  }

  /** The query's vector, or undefined (then lexical, said in the log) when the embeddings server fails. */
  private async queryVector(ctx: RequestContext, embedder: Embedder, query: string): Promise<Float32Array | undefined> {
    try {
      return (await embedder.embed([query]))[0];
    } catch (err) {
      this.deps.warn(
        `search in tenant ${ctx.tenantId}: the embeddings server failed (${(err as Error).message}); searching lexically instead of hybrid`,
      );
      return undefined;
    }
  }

  private async prepare(mutation: AddDocumentMutation): Promise<PreparedDocument> {
    let extracted: { text: string; title: string };
    try {
      extracted = await extractText(mutation.content, mutation.contentType);
    } catch (err) {
      if (err instanceof ExtractionError) throw new InvalidArgumentError('content', err.message, { cause: err });
      throw err;
    }
    const { text } = extracted;
    const textBytes = Buffer.from(text, 'utf8');
    if (textBytes.length > MAX_DOCUMENT_TEXT_BYTES) {
      throw new InvalidArgumentError(
        'content',
        `extracts to ${Math.ceil(textBytes.length / 1024)} KiB of text; at most ${MAX_DOCUMENT_TEXT_BYTES / 1024} KiB (split the document)`,
      );
    }
    const chunks = chunkText(text).map(({ start, end }) => ({ start, end }));
    let embeddings: PreparedDocument['embeddings'] = null;
    const { embedder } = this.deps;
    if (embedder) {
      let vectors: Float32Array[];
      try {
        vectors = await embedder.embed(chunks.map(({ start, end }) => text.slice(start, end)));
      } catch (err) {
        throw new UnavailableError(
          `the embeddings server failed, nothing was recorded; retry with the same request_id (${(err as Error).message})`,
          { cause: err },
        );
      }
      const bytes = Buffer.from(encodeVectors(vectors));
      embeddings = { model: embedder.model, dimensions: vectors[0]!.length, sha256: sha256Hex(bytes), bytes };
    }
    return {
      title: [...(mutation.title || extracted.title)].slice(0, LIMITS.title).join(''),
      text: textBytes,
      textSha256: sha256Hex(textBytes),
      textLength: countCodePoints(text),
      chunks,
      embeddings,
    };
  }

  /**
   * Writes one blob's parts to `kb-blob_<sha256>` unless the log holds it
   * already. Event ids derive from the hash, and the parts go after a known
   * revision, so a retry, or another writer of the same bytes, writes the
   * same events into the same places and the log keeps one copy.
   */
  private async writeBlob(
    ctx: RequestContext,
    requestId: string,
    bytes: Buffer,
    sha256: string,
    kind: BlobKind,
  ): Promise<void> {
    const { projection } = this.deps;
    const tenantId = ctx.tenantId;
    const parts = blobParts(sha256, kind, bytes).map((data) => ({ type: 'BlobPartStored', data }));
    const events = envelop(ctx, tenantId, requestId, KNOWLEDGE_EVENTS_SCHEMA_VERSION, parts, (i) =>
      blobPartEventId(tenantId, sha256, kind, i),
    );
    for (let attempt = 1; ; attempt++) {
      if (projection.hasBlob(tenantId, sha256)) return;
      const after = projection.blobAppendAfter(tenantId, sha256, kind);
      try {
        await this.deps.store.append({ tenantId, category: KNOWLEDGE_CATEGORY, id: blobStreamId(sha256) }, events, {
          expectedRevision: after < 0 ? 'no_stream' : after,
        });
        return;
      } catch (err) {
        if (err instanceof EventStoreUnavailableError) {
          throw new UnavailableError('the event log is unavailable; retry with the same request_id', { cause: err });
        }
        if (!(err instanceof ConcurrencyError) || attempt >= BLOB_ATTEMPTS) throw err;
        // Another writer of this blob's stream: see what it wrote, then look again.
        await this.pipeline.catchUp();
      }
    }
  }

  private replyDocument(tenantId: string, knowledgeBaseId: string, documentId: string, version: number): Document {
    const document = this.deps.projection.document(tenantId, knowledgeBaseId, documentId);
    const record = version === 0 ? document?.versions.at(-1) : document?.versions[version - 1];
    if (!document || !record)
      throw new AosError('INTERNAL', `document ${documentId} was recorded but is not in the read model`);
    return toProtoDocument(document, record);
  }

  private recordedKnowledgeBase(tenantId: string, knowledgeBaseId: string): KnowledgeBaseRecord {
    const kb = this.deps.projection.knowledgeBase(tenantId, knowledgeBaseId);
    if (!kb)
      throw new AosError('INTERNAL', `knowledge base ${knowledgeBaseId} was recorded but is not in the read model`);
    return kb;
  }

  /** The tenant's knowledge base; with `catchUp`, an unknown id first waits for the projection to reach the head. */
  private async requireKnowledgeBase(
    tenantId: string,
    knowledgeBaseId: string,
    catchUp: boolean,
  ): Promise<KnowledgeBaseRecord> {
    const kb = await this.pipeline.find(() => this.deps.projection.knowledgeBase(tenantId, knowledgeBaseId), catchUp);
    if (!kb) throw new NotFoundError('knowledge base', knowledgeBaseId);
    return kb;
  }

  /** A query's min_position, for the knowledge bases and for the access model (a policy just changed). */
  private async reach(minPosition: number): Promise<void> {
    await this.pipeline.reach(minPosition);
    if (minPosition > 0) await this.deps.access.waitFor(minPosition, DEFAULT_WAITS.readMs);
  }
}

function isStepOf(step: RecordedStep, knowledgeBaseId: string, documentId: string): boolean {
  return (
    step.category === KNOWLEDGE_CATEGORY &&
    step.streamId === knowledgeBaseId &&
    (step.data as { documentId?: unknown }).documentId === documentId
  );
}

/** A hit as the API shows it: the citation's and the snippet's code point offsets in the document's text. */
function toSearchResult(resolved: ResolvedHit, query: string): SearchResult {
  const { hit, chunkText: text, start } = resolved;
  const snippet = bestSnippet(text, query);
  return {
    citation: {
      knowledgeBaseId: resolved.knowledgeBaseId,
      documentId: resolved.document.documentId,
      documentVersion: resolved.version.version,
      documentTitle: resolved.version.title,
      chunkIndex: resolved.chunkIndex,
      startOffset: start,
      endOffset: resolved.end,
    },
    score: hit.score,
    snippet: text.slice(snippet.start, snippet.end),
    snippetStartOffset: start + toCodePointOffset(text, snippet.start),
    snippetEndOffset: start + toCodePointOffset(text, snippet.end),
    lexicalRank: hit.lexicalRank ?? 0,
    denseRank: hit.denseRank ?? 0,
  };
}
