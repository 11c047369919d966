import { Controller, Inject } from '@nestjs/common';
import type { Metadata, ServerWritableStream } from '@grpc/grpc-js';
import type { Observable } from 'rxjs';
import {
  AuditServiceControllerMethods,
  AuditSubjects,
  base64Fields,
  type AuditServiceController,
  type ConsistencyProof,
  type CreateCheckpointRequest,
  type Event,
  type ExportChunk,
  type ExportEventsRequest,
  type GetCheckpointRequest,
  type GetConsistencyProofRequest,
  type GetInclusionProofRequest,
  type GetLogKeyRequest,
  type InclusionProof,
  type ListEventsRequest,
  type ListEventsResponse,
  type LogCheckpoint,
  type LogKey,
  type ReplayEventsRequest,
  type VerifyLogRequest,
  type VerifyLogResponse,
} from '@aos/contracts';
import { RequiresPermission } from './authz/permission.registry';
import { CallContextResolver } from './call-context.resolver';
import { ServiceForwarder } from './service-forwarder';
import { EventReplayStream } from './event-replay.stream';
import { AuditExportStream } from './audit-export.stream';
import { SIGNING_TIMEOUT_MS, VERIFY_LOG_TIMEOUT_MS } from './audit-timeouts';

/**
 * aos.v1.AuditService: ListEvents goes to the audit service; ReplayEvents
 * streams from the log; ExportEvents streams pages the audit service formats.
 * All only ever see the caller's tenant.
 */
@Controller()
@AuditServiceControllerMethods()
export class AuditController implements AuditServiceController {
  constructor(
    @Inject(CallContextResolver) private readonly calls: CallContextResolver,
    @Inject(ServiceForwarder) private readonly services: ServiceForwarder,
    @Inject(EventReplayStream) private readonly replay: EventReplayStream,
    @Inject(AuditExportStream) private readonly exports: AuditExportStream,
  ) {}

  @RequiresPermission('audit.list')
  listEvents(request: ListEventsRequest, metadata?: Metadata): Promise<ListEventsResponse> {
    return this.services.forward(AuditSubjects.list, request, metadata);
  }

  @RequiresPermission('audit.replay')
  replayEvents(
    request: ReplayEventsRequest,
    metadata?: Metadata,
    call?: ServerWritableStream<ReplayEventsRequest, Event>,
  ): Observable<Event> {
    return this.replay.open(this.calls.of(metadata).ctx.tenantId, request, call);
  }

  // An export is a replay of the trail into a file: the same permission.
  @RequiresPermission('audit.replay')
  exportEvents(
    request: ExportEventsRequest,
    metadata?: Metadata,
    call?: ServerWritableStream<ExportEventsRequest, ExportChunk>,
  ): Observable<ExportChunk> {
    return this.exports.open(request, metadata, call);
  }

  @RequiresPermission('audit.list')
  getLogKey(request: GetLogKeyRequest, metadata?: Metadata): Promise<LogKey> {
    return this.services.forward(AuditSubjects.getLogKey, request, metadata);
  }

  @RequiresPermission('audit.list')
  async getCheckpoint(request: GetCheckpointRequest, metadata?: Metadata): Promise<LogCheckpoint> {
    const reply = await this.services.forward(AuditSubjects.getCheckpoint, request, metadata);
    return base64Fields<LogCheckpoint>(reply, ['rootHash']);
  }

  // Signing a checkpoint appends an event: the auditor's permission, not a reader's.
  @RequiresPermission('audit.replay')
  async createCheckpoint(request: CreateCheckpointRequest, metadata?: Metadata): Promise<LogCheckpoint> {
    const reply = await this.services.forward(AuditSubjects.createCheckpoint, request, metadata, SIGNING_TIMEOUT_MS);
    return base64Fields<LogCheckpoint>(reply, ['rootHash']);
  }

  // Reads the tenant's whole log: the same permission as a replay.
  @RequiresPermission('audit.replay')
  async verifyLog(request: VerifyLogRequest, metadata?: Metadata): Promise<VerifyLogResponse> {
    const reply = await this.services.forward(AuditSubjects.verifyLog, request, metadata, VERIFY_LOG_TIMEOUT_MS);
    return base64Fields<VerifyLogResponse>(reply, ['rootHash']);
  }

  @RequiresPermission('audit.list')
  async getInclusionProof(request: GetInclusionProofRequest, metadata?: Metadata): Promise<InclusionProof> {
    const reply = await this.services.forward(AuditSubjects.getInclusionProof, request, metadata);
    return base64Fields<InclusionProof>(reply, ['leafHash', 'hashes', 'rootHash']);
  }

  @RequiresPermission('audit.list')
  async getConsistencyProof(request: GetConsistencyProofRequest, metadata?: Metadata): Promise<ConsistencyProof> {
    const reply = await this.services.forward(AuditSubjects.getConsistencyProof, request, metadata);
    return base64Fields<ConsistencyProof>(reply, ['hashes', 'firstRootHash', 'secondRootHash']);
  }
}
