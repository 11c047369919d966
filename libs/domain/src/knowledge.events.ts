import { z } from 'zod';
import { eventFamily, type EventOf } from './event-family';

/**
 * Knowledge events: the published language of the `kb-*` streams owned by the
 * resources service.
 *
 * - `kb-<knowledgeBaseId>`: KnowledgeBaseCreated, then DocumentAdded (one per
 *   version of a document) and DocumentRemoved.
 * - `kb-blob_<sha256>`: one content-addressed blob (a document's bytes as
 *   uploaded, its extracted text as UTF-8, or its chunks' embeddings as
 *   little-endian float32), as BlobPartStored events of at most
 *   BLOB_PART_BYTES each. Written before the DocumentAdded that names its
 *   hash; a reader joins the parts and checks the hash. Blobs live in the log
 *   (not a JetStream object store) so that every adapter of the log keeps them
 *   and a replay needs nothing else. A blob written by a request that then
 *   failed is referenced by nothing and harmless; the same bytes written again
 *   reuse it (the event ids derive from the hash).
 *
 * DocumentAdded records the chunk boundaries (UTF-16 offsets into the
 * extracted text) and the embeddings blob, so replay neither extracts nor
 * embeds again.
 */
export const KNOWLEDGE_CATEGORY = 'kb';
export const KNOWLEDGE_EVENTS_SCHEMA_VERSION = 1;
/** The largest document AddDocument takes, in bytes as uploaded. */
export const MAX_DOCUMENT_BYTES = 512 * 1024;
/**
 * The most text a document may extract to, in UTF-8 bytes: GetDocument with
 * include_text answers in one NATS message (1 MiB), and a compressed PDF can
 * hold far more text than its size.
 */
export const MAX_DOCUMENT_TEXT_BYTES = 640 * 1024;
/** Raw bytes per BlobPartStored (base64 in the event: about 171 KiB). */
export const BLOB_PART_BYTES = 128 * 1024;
/** The stream id of a blob: `blob_<hex sha256>`. */
export const blobStreamId = (sha256: string): string => `blob_${sha256}`;

export const BlobKindSchema = z.enum(['original', 'text', 'embeddings']);
export type BlobKind = z.infer<typeof BlobKindSchema>;

export const KnowledgeBaseCreatedSchema = z.object({
  knowledgeBaseId: z.string(),
  name: z.string(),
  description: z.string(),
  labels: z.record(z.string(), z.string()),
  createdBy: z.string(),
});

export const BlobPartStoredSchema = z.object({
  sha256: z.string(),
  kind: BlobKindSchema,
  /** 0-based. */
  part: z.number().int().nonnegative(),
  parts: z.number().int().positive(),
  /** Bytes of the whole blob. */
  totalBytes: z.number().int().nonnegative(),
  /** This part's bytes, base64. */
  data: z.string(),
});

export const ChunkBoundarySchema = z.object({
  /** UTF-16 offsets into the extracted text (the API converts them to code points). */
  start: z.number().int().nonnegative(),
  end: z.number().int().nonnegative(),
});

export const DocumentAddedSchema = z.object({
  knowledgeBaseId: z.string(),
  documentId: z.string(),
  version: z.number().int().positive(),
  title: z.string(),
  contentType: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  /** Hex SHA-256 of the bytes as uploaded (blob kind `original`). */
  sha256: z.string(),
  /** Hex SHA-256 of the extracted text, UTF-8 (blob kind `text`). */
  textSha256: z.string(),
  /** Code points of the extracted text. */
  textLength: z.number().int().nonnegative(),
  chunks: z.array(ChunkBoundarySchema),
  metadata: z.record(z.string(), z.string()),
  /** Set when the chunks were embedded: the vectors, in chunk order, are the blob `sha256`. */
  embeddings: z.object({ model: z.string(), dimensions: z.number().int().positive(), sha256: z.string() }).nullable(),
  addedBy: z.string(),
});

export const DocumentRemovedSchema = z.object({
  knowledgeBaseId: z.string(),
  documentId: z.string(),
  /** The version that was current when removed. */
  version: z.number().int().positive(),
});

export const KnowledgeEventSchemas = {
  KnowledgeBaseCreated: KnowledgeBaseCreatedSchema,
  BlobPartStored: BlobPartStoredSchema,
  DocumentAdded: DocumentAddedSchema,
  DocumentRemoved: DocumentRemovedSchema,
} as const;

export type KnowledgeBaseCreated = z.infer<typeof KnowledgeBaseCreatedSchema>;
export type BlobPartStored = z.infer<typeof BlobPartStoredSchema>;
export type DocumentAdded = z.infer<typeof DocumentAddedSchema>;
export type DocumentRemoved = z.infer<typeof DocumentRemovedSchema>;

const knowledgeEvents = eventFamily(KnowledgeEventSchemas);
export type KnowledgeEvent = EventOf<typeof KnowledgeEventSchemas>;
export type KnowledgeEventType = KnowledgeEvent['type'];
export const KNOWLEDGE_EVENT_TYPES: readonly KnowledgeEventType[] = knowledgeEvents.types;
export const isKnowledgeEventType = knowledgeEvents.is;
/** Validates an event read from the log; undefined for a type this version does not know; throws a ZodError on bad data. */
export const parseKnowledgeEvent = knowledgeEvents.parse;
