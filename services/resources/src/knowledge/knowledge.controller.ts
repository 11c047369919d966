import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  ResourcesSubjects,
  type AddDocumentBody,
  type CreateKnowledgeBaseRequest,
  type Document,
  type GetDocumentRequest,
  type GetKnowledgeBaseRequest,
  type KnowledgeBase,
  type ListDocumentsRequest,
  type ListDocumentsResponse,
  type ListKnowledgeBasesRequest,
  type ListKnowledgeBasesResponse,
  type RemoveDocumentRequest,
  type SearchRequest,
  type SearchResponse,
} from '@aos/contracts';
import { Receives, type ServiceRequest } from '@aos/messaging';
import { KnowledgeHandler } from './knowledge.handler';
import {
  validateAddDocument,
  validateContext,
  validateCreateKnowledgeBase,
  validateGetDocument,
  validateGetKnowledgeBase,
  validateListDocuments,
  validateListKnowledgeBases,
  validateRemoveDocument,
  validateSearch,
} from './knowledge.validation';

/**
 * The NATS face of KnowledgeService: one subject per gRPC method, the ts-proto
 * request as body (AddDocument's content as base64), the ts-proto response as
 * reply. It validates and forwards; RpcErrorFilter turns errors into WireErrors.
 */
@Controller()
export class KnowledgeController {
  constructor(@Inject(KnowledgeHandler) private readonly knowledge: KnowledgeHandler) {}

  @Receives(ResourcesSubjects.createKnowledgeBase)
  async createKnowledgeBase(@Payload() request: ServiceRequest<CreateKnowledgeBaseRequest>): Promise<KnowledgeBase> {
    return this.knowledge.createKnowledgeBase(
      validateContext(request?.ctx),
      validateCreateKnowledgeBase(request?.body),
    );
  }

  @Receives(ResourcesSubjects.getKnowledgeBase)
  async getKnowledgeBase(@Payload() request: ServiceRequest<GetKnowledgeBaseRequest>): Promise<KnowledgeBase> {
    return this.knowledge.getKnowledgeBase(validateContext(request?.ctx), validateGetKnowledgeBase(request?.body));
  }

  @Receives(ResourcesSubjects.listKnowledgeBases)
  async listKnowledgeBases(
    @Payload() request: ServiceRequest<ListKnowledgeBasesRequest>,
  ): Promise<ListKnowledgeBasesResponse> {
    return this.knowledge.listKnowledgeBases(validateContext(request?.ctx), validateListKnowledgeBases(request?.body));
  }

  @Receives(ResourcesSubjects.addDocument)
  async addDocument(@Payload() request: ServiceRequest<AddDocumentBody>): Promise<Document> {
    return this.knowledge.addDocument(validateContext(request?.ctx), validateAddDocument(request?.body));
  }

  @Receives(ResourcesSubjects.listDocuments)
  async listDocuments(@Payload() request: ServiceRequest<ListDocumentsRequest>): Promise<ListDocumentsResponse> {
    return this.knowledge.listDocuments(validateContext(request?.ctx), validateListDocuments(request?.body));
  }

  @Receives(ResourcesSubjects.getDocument)
  async getDocument(@Payload() request: ServiceRequest<GetDocumentRequest>): Promise<Document> {
    return this.knowledge.getDocument(validateContext(request?.ctx), validateGetDocument(request?.body));
  }

  @Receives(ResourcesSubjects.removeDocument)
  async removeDocument(@Payload() request: ServiceRequest<RemoveDocumentRequest>): Promise<Document> {
    return this.knowledge.removeDocument(validateContext(request?.ctx), validateRemoveDocument(request?.body));
  }

  @Receives(ResourcesSubjects.search)
  async search(@Payload() request: ServiceRequest<SearchRequest>): Promise<SearchResponse> {
    return this.knowledge.search(validateContext(request?.ctx), validateSearch(request?.body));
  }
}
