import type {
  Event,
  ExportChunk,
  ExportEventsRequest,
  ListEventsRequest,
  ListEventsResponse,
  ReplayEventsRequest,
} from '@aos/contracts';
import type { CallInvoker, ServerStreamMethod, UnaryMethod } from './call-invoker';
import { loadServiceDefinition } from './proto-definition';

/** aos.v1.AuditService. */
export interface AuditClient {
  listEvents: UnaryMethod<ListEventsRequest, ListEventsResponse>;
  /** Catch-up from `afterPosition`, then (with `follow`) live until cancelled. */
  replayEvents: ServerStreamMethod<ReplayEventsRequest, Event>;
  /** The filtered events as a JSONL or CSV file, in chunks; the last chunk says what it covers. */
  exportEvents: ServerStreamMethod<ExportEventsRequest, ExportChunk>;
}

export function createAuditClient(invoker: CallInvoker): AuditClient {
  const service = loadServiceDefinition('AuditService');
  return {
    listEvents: invoker.unary(service.ListEvents),
    replayEvents: invoker.serverStream(service.ReplayEvents),
    exportEvents: invoker.serverStream(service.ExportEvents),
  };
}
