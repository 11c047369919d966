import { randomUUID } from 'node:crypto';
import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  GovernanceSubjects,
  type Approval,
  type DecideApprovalRequest,
  type ListApprovalsRequest,
  type ListApprovalsResponse,
} from '@aos/contracts';
import { type ServiceRequest, Receives } from '@aos/messaging';
import { validateContext } from '../governance.request';
import { ApprovalHandler } from './approval.handler';
import {
  validateDecideApproval,
  validateListApprovals,
  validateRequestApproval,
  type RequestApprovalBody,
} from './approval.validation';

/** NATS face of the approval methods and of the internal requestApproval command. */
@Controller()
export class ApprovalController {
  constructor(@Inject(ApprovalHandler) private readonly approvals: ApprovalHandler) {}

  @Receives(GovernanceSubjects.requestApproval)
  requestApproval(@Payload() request: ServiceRequest<RequestApprovalBody>): Promise<Approval> {
    return this.approvals.request(validateContext(request?.ctx), validateRequestApproval(request?.body, randomUUID));
  }

  @Receives(GovernanceSubjects.listApprovals)
  listApprovals(@Payload() request: ServiceRequest<ListApprovalsRequest>): Promise<ListApprovalsResponse> {
    return this.approvals.list(validateContext(request?.ctx), validateListApprovals(request?.body));
  }

  @Receives(GovernanceSubjects.decideApproval)
  decideApproval(@Payload() request: ServiceRequest<DecideApprovalRequest>): Promise<Approval> {
    return this.approvals.decide(validateContext(request?.ctx), validateDecideApproval(request?.body));
  }
}
