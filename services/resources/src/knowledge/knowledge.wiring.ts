import { followerOf, type LogFollower, type PipelineWaits } from '@aos/command-pipeline';
import { KNOWLEDGE_CATEGORY } from '@aos/contracts';
import { TimeoutError } from '@aos/event-store';
import { EmbeddingsClient } from '@aos/retrieval';
import type { ServiceHost } from '@aos/service-host';
import type { ResourceAccess } from '../resource-access';
import type { ResourcePart } from '../resource-part';
import { KnowledgeController } from './knowledge.controller';
import { KnowledgeHandler, type Embedder } from './knowledge.handler';
import { KnowledgeProjection } from './knowledge.projection';

export interface KnowledgeOptions {
  /**
   * What embeds chunks and queries. Default: AOS_EMBEDDINGS_MODEL through the
   * /v1/embeddings of AOS_OPENAI_BASE_URL when set, else none (lexical only);
   * null: none whatever the configuration.
   */
  embedder?: { documents: Embedder; queries: Embedder } | null;
  /** Joined text and embeddings blobs kept in memory (default 64 MiB); the log has them all. */
  blobCacheBytes?: number;
  waits?: Partial<PipelineWaits>;
}

/** One request's limit when documents are embedded: within the 15 s the gateway gives an AddDocument. */
const DOCUMENT_EMBEDDINGS_TIMEOUT_MS = 10_000;
/** A search waits this long for its query's vector, then searches lexically. */
const QUERY_EMBEDDINGS_TIMEOUT_MS = 3_000;

/**
 * Builds the knowledge bases' model from the `kb-*` streams (blob parts
 * included: they precede the DocumentAdded that names them) and returns
 * KnowledgeService's controller; lists and searches ask `access` (the
 * service's one access model) which knowledge bases the caller may read.
 * Resolves once the model has caught up with the log, documents indexed.
 */
export async function buildKnowledge(
  host: ServiceHost,
  access: ResourceAccess,
  options: KnowledgeOptions = {},
): Promise<ResourcePart> {
  const warn = (message: string) => host.logger.warn(message, 'knowledge');
  const projection = new KnowledgeProjection({ store: host.store, blobCacheBytes: options.blobCacheBytes, warn });
  const embedder = options.embedder === undefined ? configuredEmbedder(host) : (options.embedder ?? undefined);
  const handler = new KnowledgeHandler({
    store: host.store,
    projection,
    access,
    names: await host.nameLedger(),
    // Commands wait for the knowledge subscription only, and for the blobs it reads back from the log.
    follower: settledFollower(followerOf({ waitFor: (...args) => subscription.waitFor(...args) }), projection),
    isFollowing: host.isFollowing,
    embedder: embedder?.documents,
    queryEmbedder: embedder?.queries,
    warn,
    waits: options.waits,
  });
  const subscription = host.follow('knowledge', { category: KNOWLEDGE_CATEGORY }, (e) => {
    projection.apply(e);
    // Blob parts are not requests' answers, and their data is large: the request index keeps none of it;
    // of a document's event it keeps what a retry's reply needs (not the chunk boundaries).
    if (e.type !== 'BlobPartStored') handler.pipeline.requests.apply({ ...e, data: replyFacts(e.data) });
  });
  await subscription.caughtUp;
  await projection.settled();
  host.logger.log(
    `knowledge bases: ${projection.eventsApplied} events applied; embeddings ${embedder ? `with ${embedder.documents.model}` : 'off (lexical search only)'}`,
    'knowledge',
  );
  return { controllers: [KnowledgeController], providers: [{ provide: KnowledgeHandler, useValue: handler }] };
}

/** AOS_EMBEDDINGS_MODEL at AOS_OPENAI_BASE_URL, or none. */
function configuredEmbedder(host: ServiceHost): { documents: Embedder; queries: Embedder } | undefined {
  const { AOS_EMBEDDINGS_MODEL: model, AOS_OPENAI_BASE_URL: baseURL, AOS_OPENAI_API_KEY: apiKey } = host.config;
  if (!model || !baseURL) return undefined;
  return {
    documents: new EmbeddingsClient({
      baseURL,
      apiKey,
      model,
      timeoutMs: DOCUMENT_EMBEDDINGS_TIMEOUT_MS,
      maxRetries: 1,
    }),
    queries: new EmbeddingsClient({ baseURL, apiKey, model, timeoutMs: QUERY_EMBEDDINGS_TIMEOUT_MS, maxRetries: 0 }),
  };
}

/** `follower`, then the projection's events still waiting for a blob read back from the log, within the same time. */
function settledFollower(follower: LogFollower, projection: KnowledgeProjection): LogFollower {
  return {
    async waitFor(position, timeoutMs = 5_000, category) {
      const started = Date.now();
      await follower.waitFor(position, timeoutMs, category);
      let timer: NodeJS.Timeout | undefined;
      const left = Math.max(0, timeoutMs - (Date.now() - started));
      try {
        await Promise.race([
          projection.settled(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new TimeoutError(position, 0, timeoutMs)), left);
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** What the request index keeps of a knowledge base stream's event: which document and version it was about. */
function replyFacts(data: unknown): unknown {
  const { knowledgeBaseId, documentId, version } = (data ?? {}) as Record<string, unknown>;
  return { knowledgeBaseId, documentId, version };
}
