import type {
  ConsistencyProof,
  CreateCheckpointRequest,
  Event,
  ExportChunk,
  ExportEventsRequest,
  GetCheckpointRequest,
  GetConsistencyProofRequest,
  GetInclusionProofRequest,
  GetLogKeyRequest,
  InclusionProof,
  ListEventsRequest,
  ListEventsResponse,
  LogCheckpoint,
  LogKey,
  ReplayEventsRequest,
  VerifyLogRequest,
  VerifyLogResponse,
} from '@aos/contracts';
import type { CallInvoker, ServerStreamMethod, UnaryMethod } from './call-invoker';
import { loadServiceDefinition } from './proto-definition';

/** aos.v1.AuditService. */
export interface AuditClient {
  listEvents: UnaryMethod<ListEventsRequest, ListEventsResponse>;
  /** Catch-up from `afterPosition`, then (with `follow`) live until cancelled. */
  replayEvents: ServerStreamMethod<ReplayEventsRequest, Event>;
  /** The filtered events as a JSONL, CSV or bundle file, in chunks; the last chunk says what it covers. */
  exportEvents: ServerStreamMethod<ExportEventsRequest, ExportChunk>;
  /** The log's public key (the checkpoints' signer). */
  getLogKey: UnaryMethod<GetLogKeyRequest, LogKey>;
  /** The newest signed checkpoint of the caller's tenant, or the one of a tree size. */
  getCheckpoint: UnaryMethod<GetCheckpointRequest, LogCheckpoint>;
  /** Signs a checkpoint of the tenant's log as it is now. */
  createCheckpoint: UnaryMethod<CreateCheckpointRequest, LogCheckpoint>;
  /** Recomputes the tenant's tree from the log and checks every checkpoint; the first bad position. */
  verifyLog: UnaryMethod<VerifyLogRequest, VerifyLogResponse>;
  getInclusionProof: UnaryMethod<GetInclusionProofRequest, InclusionProof>;
  getConsistencyProof: UnaryMethod<GetConsistencyProofRequest, ConsistencyProof>;
}

export function createAuditClient(invoker: CallInvoker): AuditClient {
  const service = loadServiceDefinition('AuditService');
  return {
    listEvents: invoker.unary(service.ListEvents),
    replayEvents: invoker.serverStream(service.ReplayEvents),
    exportEvents: invoker.serverStream(service.ExportEvents),
    getLogKey: invoker.unary(service.GetLogKey),
    getCheckpoint: invoker.unary(service.GetCheckpoint),
    createCheckpoint: invoker.unary(service.CreateCheckpoint),
    verifyLog: invoker.unary(service.VerifyLog),
    getInclusionProof: invoker.unary(service.GetInclusionProof),
    getConsistencyProof: invoker.unary(service.GetConsistencyProof),
  };
}
