import type { Event, ListEventsRequest, ListEventsResponse, ReplayEventsRequest } from '@aos/contracts';
import type { CallInvoker, ServerStreamMethod, UnaryMethod } from './call-invoker';
import { loadServiceDefinition } from './proto-definition';

/** aos.v1.AuditService. */
export interface AuditClient {
  listEvents: UnaryMethod<ListEventsRequest, ListEventsResponse>;
  /** Catch-up from `afterPosition`, then (with `follow`) live until cancelled. */
  replayEvents: ServerStreamMethod<ReplayEventsRequest, Event>;
}

export function createAuditClient(invoker: CallInvoker): AuditClient {
  const service = loadServiceDefinition('AuditService');
  return {
    listEvents: invoker.unary(service.ListEvents),
    replayEvents: invoker.serverStream(service.ReplayEvents),
  };
}
