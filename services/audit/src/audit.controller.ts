import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  AuditSubjects,
  type Base64Bytes,
  type ConsistencyProof,
  type GetCheckpointRequest,
  type GetConsistencyProofRequest,
  type GetInclusionProofRequest,
  type InclusionProof,
  type LogCheckpoint,
  type LogKey,
  type VerifyLogRequest,
  type VerifyLogResponse,
  type ExportPageReply,
  type ExportPageRequest,
  type ListEventsRequest,
  type ListEventsResponse,
} from '@aos/contracts';
import { type ServiceRequest, Receives } from '@aos/messaging';
import { AuditIndexProjection } from './audit-index.projection';
import { LogIntegrity } from './log-integrity';

/** NATS edge of the audit service: the request context scopes every query to its tenant. */
@Controller()
export class AuditController {
  constructor(
    @Inject(AuditIndexProjection) private readonly index: AuditIndexProjection,
    @Inject(LogIntegrity) private readonly integrity: LogIntegrity,
  ) {}

  @Receives(AuditSubjects.list)
  list(@Payload() request: ServiceRequest<Partial<ListEventsRequest>>): Promise<ListEventsResponse> {
    return this.index.list(request.ctx, request.body ?? {});
  }

  @Receives(AuditSubjects.exportPage)
  exportPage(@Payload() request: ServiceRequest<Partial<ExportPageRequest>>): Promise<ExportPageReply> {
    return this.index.exportPage(request.ctx, request.body ?? {}, (ctx, body) =>
      this.integrity.bundleWriter(ctx, body),
    );
  }

  @Receives(AuditSubjects.getLogKey)
  getLogKey(@Payload() request: ServiceRequest<unknown>): LogKey {
    return this.integrity.logKey(request.ctx);
  }

  @Receives(AuditSubjects.getCheckpoint)
  getCheckpoint(
    @Payload() request: ServiceRequest<Partial<GetCheckpointRequest>>,
  ): Promise<Base64Bytes<LogCheckpoint>> {
    return this.integrity.checkpoint(request.ctx, request.body ?? {});
  }

  @Receives(AuditSubjects.createCheckpoint)
  createCheckpoint(@Payload() request: ServiceRequest<unknown>): Promise<Base64Bytes<LogCheckpoint>> {
    return this.integrity.createCheckpoint(request.ctx);
  }

  @Receives(AuditSubjects.verifyLog)
  verifyLog(@Payload() request: ServiceRequest<Partial<VerifyLogRequest>>): Promise<Base64Bytes<VerifyLogResponse>> {
    return this.integrity.verify(request.ctx, request.body ?? {});
  }

  @Receives(AuditSubjects.getInclusionProof)
  getInclusionProof(
    @Payload() request: ServiceRequest<Partial<GetInclusionProofRequest>>,
  ): Promise<Base64Bytes<InclusionProof>> {
    return this.integrity.inclusionProof(request.ctx, request.body ?? {});
  }

  @Receives(AuditSubjects.getConsistencyProof)
  getConsistencyProof(
    @Payload() request: ServiceRequest<Partial<GetConsistencyProofRequest>>,
  ): Promise<Base64Bytes<ConsistencyProof>> {
    return this.integrity.consistencyProof(request.ctx, request.body ?? {});
  }
}
