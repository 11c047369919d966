/**
 * @aos/retrieval: the search engine behind knowledge bases, as a pure
 * library (no NATS, no Nest): text extraction (Markdown, HTML, PDF),
 * token-aware chunking, our own BM25 index fused with dense vectors by
 * reciprocal rank, snippets, and an OpenAI-compatible embeddings client.
 *
 * Tenants: the caller keeps one HybridIndex per tenant, so BM25's document
 * statistics never mix tenants; within a tenant, knowledge bases are the
 * index's groups, filtered inside every search (SearchOptions.allowGroup).
 */
export {
  SUPPORTED_CONTENT_TYPES,
  ExtractionError,
  extractText,
  normaliseContentType,
  type ExtractedText,
  type ExtractionFailure,
  type SupportedContentType,
} from './extraction';
export {
  DEFAULT_MAX_TOKENS,
  DEFAULT_OVERLAP_TOKENS,
  chunkText,
  countTokens,
  toCodePointOffset,
  toUtf16Offset,
  type ChunkOptions,
  type ChunkSpan,
} from './chunking';
export { BM25_B, BM25_K1, tokenize } from './lexical';
export { STOP_WORDS } from './stop-words';
export {
  HybridIndex,
  VectorDimensionsError,
  type IndexedChunk,
  type SearchHit,
  type SearchOptions,
} from './hybrid-index';
export { RRF_K, reciprocalRankFusion } from './fusion';
export { DEFAULT_SNIPPET_CHARS, bestSnippet } from './snippet';
export {
  EmbeddingsClient,
  EmbeddingsError,
  decodeVectors,
  encodeVectors,
  type EmbeddingsClientOptions,
} from './embeddings';
