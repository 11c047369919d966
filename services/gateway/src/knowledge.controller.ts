import { Controller, Inject } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { InvalidArgumentError } from '@aos/errors';
import {
  KnowledgeServiceControllerMethods,
  MAX_DOCUMENT_BYTES,
  type AddDocumentBody,
  ResourcesSubjects,
  type AddDocumentRequest,
  type CreateKnowledgeBaseRequest,
  type Document,
  type GetDocumentRequest,
  type GetKnowledgeBaseRequest,
  type KnowledgeBase,
  type KnowledgeServiceController,
  type ListDocumentsRequest,
  type ListDocumentsResponse,
  type ListKnowledgeBasesRequest,
  type ListKnowledgeBasesResponse,
  type RemoveDocumentRequest,
  type SearchRequest,
  type SearchResponse,
} from '@aos/contracts';
import { RequiresPermission } from './authz/permission.registry';
import { ServiceForwarder } from './service-forwarder';

/**
 * aos.v1.KnowledgeService: forwards each call to the resources service with
 * the caller's tenant, actor and grant subjects. The PermissionGuard has
 * checked the permission on `kb/<id>` (or on the tenant for a list or a
 * search); resources filters a list or a search by knowledge base inside.
 */
@Controller()
@KnowledgeServiceControllerMethods()
export class KnowledgeController implements KnowledgeServiceController {
  constructor(@Inject(ServiceForwarder) private readonly services: ServiceForwarder) {}

  @RequiresPermission('knowledge.create')
  createKnowledgeBase(request: CreateKnowledgeBaseRequest, metadata?: Metadata): Promise<KnowledgeBase> {
    return this.services.forward(ResourcesSubjects.createKnowledgeBase, request, metadata);
  }

  @RequiresPermission('knowledge.read')
  getKnowledgeBase(request: GetKnowledgeBaseRequest, metadata?: Metadata): Promise<KnowledgeBase> {
    return this.services.forward(ResourcesSubjects.getKnowledgeBase, request, metadata);
  }

  @RequiresPermission('knowledge.read')
  listKnowledgeBases(request: ListKnowledgeBasesRequest, metadata?: Metadata): Promise<ListKnowledgeBasesResponse> {
    return this.services.forward(ResourcesSubjects.listKnowledgeBases, request, metadata);
  }

  @RequiresPermission('knowledge.write')
  addDocument(request: AddDocumentRequest, metadata?: Metadata): Promise<Document> {
    const content = Buffer.from(request.content ?? new Uint8Array());
    // Refused here too: larger, its base64 could exceed a NATS message and fail without naming the field.
    if (content.length > MAX_DOCUMENT_BYTES) {
      throw new InvalidArgumentError('content', `must be at most ${MAX_DOCUMENT_BYTES} bytes; got ${content.length}`);
    }
    const body: AddDocumentBody = { ...request, content: content.toString('base64') };
    return this.services.forward(ResourcesSubjects.addDocument, body, metadata);
  }

  @RequiresPermission('knowledge.read')
  listDocuments(request: ListDocumentsRequest, metadata?: Metadata): Promise<ListDocumentsResponse> {
    return this.services.forward(ResourcesSubjects.listDocuments, request, metadata);
  }

  @RequiresPermission('knowledge.read')
  getDocument(request: GetDocumentRequest, metadata?: Metadata): Promise<Document> {
    return this.services.forward(ResourcesSubjects.getDocument, request, metadata);
  }

  @RequiresPermission('knowledge.write')
  removeDocument(request: RemoveDocumentRequest, metadata?: Metadata): Promise<Document> {
    return this.services.forward(ResourcesSubjects.removeDocument, request, metadata);
  }

  @RequiresPermission('knowledge.read')
  search(request: SearchRequest, metadata?: Metadata): Promise<SearchResponse> {
    return this.services.forward(ResourcesSubjects.search, request, metadata);
  }
}
