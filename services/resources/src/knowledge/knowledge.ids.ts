import { v5 as uuidv5 } from 'uuid';
import type { BlobKind } from '@aos/domain';

/**
 * Ids derived from what a request names, so that a retried request aims at
 * exactly what its first attempt did. The namespaces are fixed forever;
 * changing one would make a retry across an upgrade create or write twice.
 */
export const KNOWLEDGE_BASE_ID_NAMESPACE = '2c694ec4-7c04-421b-b484-1f5fd409d5f7';
/** The command pipeline's event ids (uuidv5 of `<tenant>/<request_id>/<index>`). */
export const KNOWLEDGE_EVENT_ID_NAMESPACE = '982f64c0-b176-483b-a126-7b2a83cf975a';
export const DOCUMENT_ID_NAMESPACE = '0489c122-4f0d-4d63-9daf-3a2a49f3cfbe';
export const BLOB_EVENT_ID_NAMESPACE = '642612eb-3be0-4e5b-a05d-69f6cd09ba14';

/** The id of the knowledge base a CreateKnowledgeBase request creates (also its stream's id). */
export function knowledgeBaseIdFor(tenantId: string, requestId: string): string {
  return uuidv5(`${tenantId}/${requestId}`, KNOWLEDGE_BASE_ID_NAMESPACE);
}

/** The id of the document an AddDocument request without a document_id adds. */
export function documentIdFor(tenantId: string, knowledgeBaseId: string, requestId: string): string {
  return uuidv5(`${tenantId}/${knowledgeBaseId}/${requestId}`, DOCUMENT_ID_NAMESPACE);
}

/**
 * The id of one BlobPartStored: from the blob's hash, not from a request, so
 * every writer of the same bytes writes the same events (a retry, another
 * document with the same bytes, a concurrent writer: the log keeps one).
 */
export function blobPartEventId(tenantId: string, sha256: string, kind: BlobKind, part: number): string {
  return uuidv5(`${tenantId}/${sha256}/${kind}/${part}`, BLOB_EVENT_ID_NAMESPACE);
}

/** The index's key of one chunk, and its removal unit. */
export const chunkKey = (kbId: string, documentId: string, version: number, chunkIndex: number): string =>
  `${kbId}/${documentId}/${version}/${chunkIndex}`;
export const documentKey = (kbId: string, documentId: string): string => `${kbId}/${documentId}`;

/** The parts of a chunkKey (document ids are [A-Za-z0-9._-], knowledge base ids UUIDs: no "/" in either). */
export function parseChunkKey(key: string): { kbId: string; documentId: string; version: number; chunkIndex: number } {
  const [kbId = '', documentId = '', version = '', chunkIndex = ''] = key.split('/');
  return { kbId, documentId, version: Number(version), chunkIndex: Number(chunkIndex) };
}
