import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  ResourcesSubjects,
  type ContextEntry,
  type DeleteContextRequest,
  type GetContextRequest,
  type ListContextRequest,
  type ListContextResponse,
  type PutContextRequest,
} from '@aos/contracts';
import { Receives, type ServiceRequest } from '@aos/messaging';
import { ContextHandler } from './context.handler';
import {
  validateContext,
  validateDeleteContext,
  validateGetContext,
  validateListContext,
  validatePutContext,
} from './context.validation';

/**
 * The NATS face of ContextService (WatchContext is the gateway's, from the
 * log): one subject per method, the ts-proto request as body and reply. It
 * validates and forwards; the handler does the work and RpcErrorFilter turns
 * its errors into WireErrors.
 */
@Controller()
export class ContextController {
  constructor(@Inject(ContextHandler) private readonly context: ContextHandler) {}

  @Receives(ResourcesSubjects.putContext)
  async putContext(@Payload() request: ServiceRequest<PutContextRequest>): Promise<ContextEntry> {
    return this.context.put(validateContext(request?.ctx), validatePutContext(request?.body));
  }

  @Receives(ResourcesSubjects.getContext)
  async getContext(@Payload() request: ServiceRequest<GetContextRequest>): Promise<ContextEntry> {
    return this.context.get(validateContext(request?.ctx), validateGetContext(request?.body));
  }

  @Receives(ResourcesSubjects.listContext)
  async listContext(@Payload() request: ServiceRequest<ListContextRequest>): Promise<ListContextResponse> {
    return this.context.list(validateContext(request?.ctx), validateListContext(request?.body));
  }

  @Receives(ResourcesSubjects.deleteContext)
  async deleteContext(@Payload() request: ServiceRequest<DeleteContextRequest>): Promise<ContextEntry> {
    return this.context.delete(validateContext(request?.ctx), validateDeleteContext(request?.body));
  }
}
