import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  GovernanceSubjects,
  type CreateTenantRequest,
  type CreateTenantResponse,
  type ListTenantsRequest,
  type ListTenantsResponse,
} from '@aos/contracts';
import { type ServiceRequest, Receives } from '@aos/messaging';
import { validateContext } from '../governance.request';
import { TenantHandler } from './tenant.handler';
import { validateCreateTenant, validateListTenants } from './tenant.validation';

/** NATS face of CreateTenant and ListTenants: validates and forwards. */
@Controller()
export class TenantController {
  constructor(@Inject(TenantHandler) private readonly tenants: TenantHandler) {}

  @Receives(GovernanceSubjects.createTenant)
  createTenant(@Payload() request: ServiceRequest<CreateTenantRequest>): Promise<CreateTenantResponse> {
    return this.tenants.create(validateContext(request?.ctx), validateCreateTenant(request?.body));
  }

  @Receives(GovernanceSubjects.listTenants)
  listTenants(@Payload() request: ServiceRequest<ListTenantsRequest>): Promise<ListTenantsResponse> {
    return this.tenants.list(validateContext(request?.ctx), validateListTenants(request?.body));
  }
}
