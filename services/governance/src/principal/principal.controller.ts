import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  GovernanceSubjects,
  type ApiKey,
  type CreateApiKeyRequest,
  type CreateApiKeyResponse,
  type CreatePrincipalRequest,
  type GetPrincipalRequest,
  type ListApiKeysRequest,
  type ListApiKeysResponse,
  type ListPrincipalsRequest,
  type ListPrincipalsResponse,
  type Principal,
  type RevokeApiKeyRequest,
} from '@aos/contracts';
import type { ServiceRequest } from '@aos/messaging';
import { validateContext } from '../governance.request';
import { PrincipalHandler } from './principal.handler';
import {
  validateCreateApiKey,
  validateCreatePrincipal,
  validateGetPrincipal,
  validateListApiKeys,
  validateListPrincipals,
  validateRevokeApiKey,
} from './principal.validation';

/** NATS face of the principal and API key methods: validates and forwards. */
@Controller()
export class PrincipalController {
  constructor(@Inject(PrincipalHandler) private readonly principals: PrincipalHandler) {}

  @MessagePattern(GovernanceSubjects.createPrincipal)
  createPrincipal(@Payload() request: ServiceRequest<CreatePrincipalRequest>): Promise<Principal> {
    return this.principals.create(validateContext(request?.ctx), validateCreatePrincipal(request?.body));
  }

  @MessagePattern(GovernanceSubjects.getPrincipal)
  getPrincipal(@Payload() request: ServiceRequest<GetPrincipalRequest>): Promise<Principal> {
    return this.principals.get(validateContext(request?.ctx), validateGetPrincipal(request?.body));
  }

  @MessagePattern(GovernanceSubjects.listPrincipals)
  listPrincipals(@Payload() request: ServiceRequest<ListPrincipalsRequest>): Promise<ListPrincipalsResponse> {
    return this.principals.list(validateContext(request?.ctx), validateListPrincipals(request?.body));
  }

  @MessagePattern(GovernanceSubjects.createApiKey)
  createApiKey(@Payload() request: ServiceRequest<CreateApiKeyRequest>): Promise<CreateApiKeyResponse> {
    return this.principals.createApiKey(validateContext(request?.ctx), validateCreateApiKey(request?.body));
  }

  @MessagePattern(GovernanceSubjects.listApiKeys)
  listApiKeys(@Payload() request: ServiceRequest<ListApiKeysRequest>): Promise<ListApiKeysResponse> {
    return this.principals.listApiKeys(validateContext(request?.ctx), validateListApiKeys(request?.body));
  }

  @MessagePattern(GovernanceSubjects.revokeApiKey)
  revokeApiKey(@Payload() request: ServiceRequest<RevokeApiKeyRequest>): Promise<ApiKey> {
    return this.principals.revokeApiKey(validateContext(request?.ctx), validateRevokeApiKey(request?.body));
  }
}
