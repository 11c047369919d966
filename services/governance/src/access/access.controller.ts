import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { GovernanceSubjects, type CheckAccessRequest, type CheckAccessResponse } from '@aos/contracts';
import { type ServiceRequest, Receives } from '@aos/messaging';
import { validateContext } from '../governance.request';
import { AccessHandler } from './access.handler';
import { validateCheckAccess } from './access.validation';

/** NATS face of CheckAccess. WhoAmI is answered by the gateway, which knows the caller's identity. */
@Controller()
export class AccessController {
  constructor(@Inject(AccessHandler) private readonly access: AccessHandler) {}

  @Receives(GovernanceSubjects.checkAccess)
  checkAccess(@Payload() request: ServiceRequest<CheckAccessRequest>): Promise<CheckAccessResponse> {
    const ctx = validateContext(request?.ctx);
    return this.access.check(ctx, validateCheckAccess(ctx, request?.body));
  }
}
