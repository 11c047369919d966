import { DocumentState, toTimestamp, type Document, type KnowledgeBase } from '@aos/contracts';
import type { DocumentRecord, KnowledgeBaseRecord, VersionRecord } from './knowledge.projection';

/** The knowledge base as the API shows it. */
export function toProtoKnowledgeBase(kb: KnowledgeBaseRecord): KnowledgeBase {
  const { definition } = kb;
  return {
    id: definition.knowledgeBaseId,
    tenantId: kb.tenantId,
    name: definition.name,
    description: definition.description,
    labels: { ...definition.labels },
    documentCount: kb.activeDocuments,
    chunkCount: kb.chunkCount,
    revision: kb.stream.revision,
    createdBy: definition.createdBy,
    createTime: toTimestamp(kb.createTime),
    updateTime: toTimestamp(kb.updateTime),
    logPosition: kb.logPosition,
  };
}

/**
 * One version of a document as the API shows it; its state is the
 * document's (REMOVED once removed, whichever version is asked for). The
 * text only when given (GetDocument with include_text).
 */
export function toProtoDocument(document: DocumentRecord, version: VersionRecord, text = ''): Document {
  const current = version === document.versions.at(-1);
  return {
    knowledgeBaseId: document.knowledgeBaseId,
    id: document.documentId,
    version: version.version,
    title: version.title,
    contentType: version.contentType,
    sizeBytes: version.sizeBytes,
    sha256: version.sha256,
    chunkCount: version.chunkCount,
    metadata: { ...version.metadata },
    state: document.removed ? DocumentState.DOCUMENT_REMOVED : DocumentState.DOCUMENT_ACTIVE,
    textLength: version.textLength,
    text,
    embeddingsModel: version.embeddingsModel,
    createdBy: version.addedBy,
    createTime: toTimestamp(version.createTime),
    updateTime: toTimestamp(current ? document.updateTime : version.createTime),
    logPosition: current ? document.logPosition : version.logPosition,
  };
}
