import type {
  AddDocumentBody,
  CreateKnowledgeBaseRequest,
  GetDocumentRequest,
  GetKnowledgeBaseRequest,
  ListDocumentsRequest,
  ListKnowledgeBasesRequest,
  RemoveDocumentRequest,
  SearchRequest,
} from '@aos/contracts';
import { MAX_DOCUMENT_BYTES } from '@aos/domain';
import { InvalidArgumentError } from '@aos/errors';
import {
  charLength,
  CONTROL_CHARS,
  decodePageToken,
  isNonNegativeInteger,
  requireBody,
  validateEnum,
  validateId,
  validatePageSize,
  validatePosition,
  validateRequestId,
  validateText,
  validateIdOrName,
  type IdOrName,
} from '@aos/request-fields';
import { normaliseContentType, type SupportedContentType } from '@aos/retrieval';

/**
 * Turns the bodies that arrive over NATS (ts-proto request types as the
 * gateway forwards them, or anything another NATS client sends) into
 * validated requests. Every error names the proto field in snake_case.
 */

export { validateRequestContext as validateContext } from '@aos/messaging';

export const LIMITS = {
  name: 64,
  description: 2000,
  labels: 32,
  labelText: 63,
  title: 500,
  documentId: 128,
  metadata: 32,
  metadataText: 256,
  query: 2000,
  defaultTopK: 5,
  maxTopK: 50,
} as const;

export const KNOWLEDGE_BASE_NAME = /^[a-z0-9_-]{1,64}$/;
const DOCUMENT_ID = /^[A-Za-z0-9._-]{1,128}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MODES = ['LEXICAL', 'HYBRID'] as const;
export type SearchModeName = (typeof MODES)[number];

export interface CreateKnowledgeBaseMutation {
  requestId: string;
  name: string;
  description: string;
  labels: Record<string, string>;
}
export interface AddDocumentMutation {
  requestId: string;
  knowledgeBaseId: string;
  /** Undefined: derived from the request_id. */
  documentId: string | undefined;
  /** '' when not given (then found in the document). */
  title: string;
  contentType: SupportedContentType;
  content: Buffer;
  metadata: Record<string, string>;
  expectedVersion: number | undefined;
}
export interface RemoveDocumentMutation {
  requestId: string;
  knowledgeBaseId: string;
  documentId: string;
  expectedVersion: number | undefined;
}
export interface GetKnowledgeBaseQuery {
  knowledgeBase: IdOrName;
  minPosition: number;
}
export interface ListQuery {
  pageSize: number;
  /** The list's sequence number of the last item of the previous page; 0 for the first page. */
  afterSeq: number;
  minPosition: number;
}
export interface ListDocumentsQuery extends ListQuery {
  knowledgeBaseId: string;
}
export interface GetDocumentQuery {
  knowledgeBaseId: string;
  documentId: string;
  /** 0: the current version. */
  version: number;
  includeText: boolean;
  minPosition: number;
}
export interface SearchQuery {
  query: string;
  knowledgeBaseIds: string[];
  topK: number;
  metadataFilter: Record<string, string>;
  /** 0 when not given. */
  minScore: number;
  mode: SearchModeName | undefined;
  minPosition: number;
}

export function validateCreateKnowledgeBase(body: CreateKnowledgeBaseRequest | undefined): CreateKnowledgeBaseMutation {
  const request = requireBody(body);
  const requestId = validateRequestId(request.requestId);
  const kb = request.knowledgeBase as unknown;
  if (!kb || typeof kb !== 'object' || Array.isArray(kb)) {
    throw new InvalidArgumentError('knowledge_base', 'is required (a name at least)');
  }
  const { name, description, labels } = kb as Record<string, unknown>;
  if (name === undefined || name === null || name === '')
    throw new InvalidArgumentError('knowledge_base.name', 'is required');
  if (typeof name !== 'string' || !KNOWLEDGE_BASE_NAME.test(name)) {
    throw new InvalidArgumentError('knowledge_base.name', `must be 1-${LIMITS.name} characters of [a-z0-9_-]`);
  }
  return {
    requestId,
    name,
    description: validateText('knowledge_base.description', description, LIMITS.description),
    labels: validateStringMap('knowledge_base.labels', labels, LIMITS.labels, LIMITS.labelText),
  };
}

export function validateAddDocument(body: AddDocumentBody | undefined): AddDocumentMutation {
  const request = requireBody(body);
  const knowledgeBaseId = validateId('knowledge_base_id', request.knowledgeBaseId);
  const documentId =
    request.documentId === undefined || request.documentId === null || request.documentId === ''
      ? undefined
      : validateDocumentId(request.documentId);
  const title = validateText('title', request.title, LIMITS.title, { multiline: false });
  const rawType: unknown = request.contentType;
  if (rawType === undefined || rawType === null || rawType === '') {
    throw new InvalidArgumentError(
      'content_type',
      'is required: text/plain, text/markdown, text/html or application/pdf',
    );
  }
  const contentType = typeof rawType === 'string' ? normaliseContentType(rawType) : undefined;
  if (!contentType) {
    throw new InvalidArgumentError(
      'content_type',
      `must be text/plain, text/markdown, text/html or application/pdf; got ${JSON.stringify(String(rawType).slice(0, 100))}`,
    );
  }
  const content = decodeContent(request.content);
  const metadata = validateStringMap('metadata', request.metadata, LIMITS.metadata, LIMITS.metadataText);
  const expectedVersion = validateOptionalVersion('expected_version', request.expectedVersion);
  const requestId = validateRequestId(request.requestId);
  return { requestId, knowledgeBaseId, documentId, title, contentType, content, metadata, expectedVersion };
}

export function validateRemoveDocument(body: RemoveDocumentRequest | undefined): RemoveDocumentMutation {
  const request = requireBody(body);
  return {
    knowledgeBaseId: validateId('knowledge_base_id', request.knowledgeBaseId),
    documentId: validateDocumentId(request.documentId),
    expectedVersion: validateOptionalVersion('expected_version', request.expectedVersion),
    requestId: validateRequestId(request.requestId),
  };
}

export function validateGetKnowledgeBase(body: GetKnowledgeBaseRequest | undefined): GetKnowledgeBaseQuery {
  const request = requireBody(body);
  return {
    knowledgeBase: validateIdOrName(request.id, request.name),
    minPosition: validatePosition('min_position', request.minPosition),
  };
}

export function validateListKnowledgeBases(body: ListKnowledgeBasesRequest | undefined): ListQuery {
  const request = requireBody(body);
  return {
    pageSize: validatePageSize(request.pageSize),
    afterSeq: decodePageToken(request.pageToken, 'ListKnowledgeBases'),
    minPosition: validatePosition('min_position', request.minPosition),
  };
}

export function validateListDocuments(body: ListDocumentsRequest | undefined): ListDocumentsQuery {
  const request = requireBody(body);
  const knowledgeBaseId = validateId('knowledge_base_id', request.knowledgeBaseId);
  return {
    knowledgeBaseId,
    pageSize: validatePageSize(request.pageSize),
    // Bound to the knowledge base: a token is not replayed against another one.
    afterSeq: decodePageToken(request.pageToken, 'ListDocuments', knowledgeBaseId),
    minPosition: validatePosition('min_position', request.minPosition),
  };
}

export function validateGetDocument(body: GetDocumentRequest | undefined): GetDocumentQuery {
  const request = requireBody(body);
  const includeText: unknown = request.includeText ?? false;
  if (typeof includeText !== 'boolean') throw new InvalidArgumentError('include_text', 'must be a boolean');
  const version: unknown = request.version ?? 0;
  if (!isNonNegativeInteger(version)) throw new InvalidArgumentError('version', 'must be a non-negative integer');
  return {
    knowledgeBaseId: validateId('knowledge_base_id', request.knowledgeBaseId),
    documentId: validateDocumentId(request.documentId),
    version,
    includeText,
    minPosition: validatePosition('min_position', request.minPosition),
  };
}

export function validateSearch(body: SearchRequest | undefined): SearchQuery {
  const request = requireBody(body);
  const query: unknown = request.query;
  if (query === undefined || query === null || (typeof query === 'string' && query.trim() === '')) {
    throw new InvalidArgumentError('query', 'is required');
  }
  if (
    typeof query !== 'string' ||
    charLength(query) > LIMITS.query ||
    CONTROL_CHARS.test(query.replace(/[\t\n\r]/g, ' '))
  ) {
    throw new InvalidArgumentError('query', `must be 1-${LIMITS.query} characters without control characters`);
  }
  const ids: unknown = request.knowledgeBaseIds ?? [];
  if (!Array.isArray(ids)) throw new InvalidArgumentError('knowledge_base_ids', 'must be a list of knowledge base ids');
  const knowledgeBaseIds = [...new Set(ids.map((id: unknown) => validateId('knowledge_base_ids', id)))];
  const topK: unknown = request.topK ?? 0;
  if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 0 || topK > LIMITS.maxTopK) {
    throw new InvalidArgumentError(
      'top_k',
      `must be between 1 and ${LIMITS.maxTopK} (0 for the default, ${LIMITS.defaultTopK})`,
    );
  }
  const minScore: unknown = request.minScore ?? 0;
  if (typeof minScore !== 'number' || !Number.isFinite(minScore) || minScore < 0 || minScore > 1) {
    throw new InvalidArgumentError('min_score', 'must be a number between 0 and 1');
  }
  return {
    query,
    knowledgeBaseIds,
    topK: topK === 0 ? LIMITS.defaultTopK : topK,
    metadataFilter: validateStringMap('metadata_filter', request.metadataFilter, LIMITS.metadata, LIMITS.metadataText),
    minScore,
    mode: validateEnum('mode', request.mode, MODES),
    minPosition: validatePosition('min_position', request.minPosition),
  };
}

export function validateDocumentId(value: unknown): string {
  if (value === undefined || value === null || value === '')
    throw new InvalidArgumentError('document_id', 'is required');
  if (typeof value !== 'string' || !DOCUMENT_ID.test(value)) {
    throw new InvalidArgumentError('document_id', `must be 1-${LIMITS.documentId} characters of [A-Za-z0-9._-]`);
  }
  return value;
}

/**
 * The document's bytes: base64 as the gateway forwards them (AddDocumentBody),
 * or the JSON forms of a Buffer another NATS client may send.
 */
function decodeContent(value: unknown): Buffer {
  let bytes: Buffer;
  if (typeof value === 'string') {
    if (!BASE64.test(value))
      throw new InvalidArgumentError('content', 'must be the document as bytes (base64 over NATS)');
    bytes = Buffer.from(value, 'base64');
  } else if (value instanceof Uint8Array) {
    bytes = Buffer.from(value);
  } else if (isByteArray(value) || isByteArray((value as { data?: unknown } | null)?.data)) {
    bytes = Buffer.from(Array.isArray(value) ? value : (value as { data: number[] }).data);
  } else if (value === undefined || value === null) {
    bytes = Buffer.alloc(0);
  } else {
    throw new InvalidArgumentError('content', 'must be the document as bytes');
  }
  if (bytes.length === 0) throw new InvalidArgumentError('content', 'is required: the document as bytes (not empty)');
  if (bytes.length > MAX_DOCUMENT_BYTES) {
    throw new InvalidArgumentError('content', `must be at most ${MAX_DOCUMENT_BYTES} bytes; got ${bytes.length}`);
  }
  return bytes;
}

function isByteArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((b) => Number.isInteger(b) && b >= 0 && b <= 255);
}

/** proto3 `optional int64` versions: absent is undefined. */
function validateOptionalVersion(field: string, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isNonNegativeInteger(value)) throw new InvalidArgumentError(field, 'must be a non-negative integer');
  return value;
}

/**
 * A proto map<string, string> (labels, metadata, a metadata filter): at most
 * `maxEntries` pairs, keys and values of 1-`maxText` characters without
 * control characters. Sorted by key, so that equal maps record equal events.
 */
export function validateStringMap(
  field: string,
  value: unknown,
  maxEntries: number,
  maxText: number,
): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new InvalidArgumentError(field, 'must be a map of strings');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > maxEntries) throw new InvalidArgumentError(field, `must have at most ${maxEntries} entries`);
  const fits = (s: unknown): s is string =>
    typeof s === 'string' && s !== '' && charLength(s) <= maxText && !CONTROL_CHARS.test(s);
  for (const [key, v] of entries) {
    if (!fits(key) || !fits(v)) {
      throw new InvalidArgumentError(
        field,
        `${JSON.stringify(key.slice(0, 64))}: keys and values must be 1-${maxText} characters without control characters`,
      );
    }
  }
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as Record<string, string>;
}
