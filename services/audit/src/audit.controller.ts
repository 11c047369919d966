import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  AuditSubjects,
  type ExportPageReply,
  type ExportPageRequest,
  type ListEventsRequest,
  type ListEventsResponse,
} from '@aos/contracts';
import { type ServiceRequest, Receives } from '@aos/messaging';
import { AuditIndexProjection } from './audit-index.projection';

/** NATS edge of the audit service: the request context scopes every query to its tenant. */
@Controller()
export class AuditController {
  constructor(@Inject(AuditIndexProjection) private readonly index: AuditIndexProjection) {}

  @Receives(AuditSubjects.list)
  list(@Payload() request: ServiceRequest<Partial<ListEventsRequest>>): Promise<ListEventsResponse> {
    return this.index.list(request.ctx, request.body ?? {});
  }

  @Receives(AuditSubjects.exportPage)
  exportPage(@Payload() request: ServiceRequest<Partial<ExportPageRequest>>): Promise<ExportPageReply> {
    return this.index.exportPage(request.ctx, request.body ?? {});
  }
}
