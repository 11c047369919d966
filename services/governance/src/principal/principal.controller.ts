import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
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
import { type ServiceRequest, Receives } from '@aos/messaging';
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

  @Receives(GovernanceSubjects.createPrincipal)
  createPrincipal(@Payload() request: ServiceRequest<CreatePrincipalRequest>): Promise<Principal> {
    return this.principals.create(validateContext(request?.ctx), validateCreatePrincipal(request?.body));
  }

  @Receives(GovernanceSubjects.getPrincipal)
  getPrincipal(@Payload() request: ServiceRequest<GetPrincipalRequest>): Promise<Principal> {
    return this.principals.get(validateContext(request?.ctx), validateGetPrincipal(request?.body));
  }

  @Receives(GovernanceSubjects.listPrincipals)
  listPrincipals(@Payload() request: ServiceRequest<ListPrincipalsRequest>): Promise<ListPrincipalsResponse> {
    return this.principals.list(validateContext(request?.ctx), validateListPrincipals(request?.body));
  }

  @Receives(GovernanceSubjects.createApiKey)
  createApiKey(@Payload() request: ServiceRequest<CreateApiKeyRequest>): Promise<CreateApiKeyResponse> {
    return this.principals.createApiKey(validateContext(request?.ctx), validateCreateApiKey(request?.body));
  }

  @Receives(GovernanceSubjects.listApiKeys)
  listApiKeys(@Payload() request: ServiceRequest<ListApiKeysRequest>): Promise<ListApiKeysResponse> {
    return this.principals.listApiKeys(validateContext(request?.ctx), validateListApiKeys(request?.body));
  }

  @Receives(GovernanceSubjects.revokeApiKey)
  revokeApiKey(@Payload() request: ServiceRequest<RevokeApiKeyRequest>): Promise<ApiKey> {
    return this.principals.revokeApiKey(validateContext(request?.ctx), validateRevokeApiKey(request?.body));
  }
}
