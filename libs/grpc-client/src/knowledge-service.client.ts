import type {
  AddDocumentRequest,
  CreateKnowledgeBaseRequest,
  Document,
  GetDocumentRequest,
  GetKnowledgeBaseRequest,
  KnowledgeBase,
  ListDocumentsRequest,
  ListDocumentsResponse,
  ListKnowledgeBasesRequest,
  ListKnowledgeBasesResponse,
  RemoveDocumentRequest,
  SearchRequest,
  SearchResponse,
} from '@aos/contracts';
import type { CallInvoker, UnaryMethod } from './call-invoker';
import { loadServiceDefinition } from './proto-definition';

/** aos.v1.KnowledgeService: knowledge bases, their documents, and search with citations. */
export interface KnowledgeClient {
  createKnowledgeBase: UnaryMethod<CreateKnowledgeBaseRequest, KnowledgeBase>;
  getKnowledgeBase: UnaryMethod<GetKnowledgeBaseRequest, KnowledgeBase>;
  /** Only the knowledge bases the caller may read. */
  listKnowledgeBases: UnaryMethod<ListKnowledgeBasesRequest, ListKnowledgeBasesResponse>;
  /** `content` is the document's bytes (at most 512 KiB); the same document id again records a new version. */
  addDocument: UnaryMethod<AddDocumentRequest, Document>;
  listDocuments: UnaryMethod<ListDocumentsRequest, ListDocumentsResponse>;
  getDocument: UnaryMethod<GetDocumentRequest, Document>;
  removeDocument: UnaryMethod<RemoveDocumentRequest, Document>;
  search: UnaryMethod<SearchRequest, SearchResponse>;
}

export function createKnowledgeClient(invoker: CallInvoker): KnowledgeClient {
  const service = loadServiceDefinition('KnowledgeService');
  return {
    createKnowledgeBase: invoker.unary(service.CreateKnowledgeBase),
    getKnowledgeBase: invoker.unary(service.GetKnowledgeBase),
    listKnowledgeBases: invoker.unary(service.ListKnowledgeBases),
    addDocument: invoker.unary(service.AddDocument),
    listDocuments: invoker.unary(service.ListDocuments),
    getDocument: invoker.unary(service.GetDocument),
    removeDocument: invoker.unary(service.RemoveDocument),
    search: invoker.unary(service.Search),
  };
}
