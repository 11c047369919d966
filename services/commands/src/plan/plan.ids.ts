import { v5 as uuidv5 } from 'uuid';

/** The UUID namespace of plan-* event ids (see CommandPipelineOptions.eventNamespace). Fixed forever. */
export const PLAN_EVENT_ID_NAMESPACE = '4f0b7c52-93a1-4d0e-b0f4-2a6c1e8d5b37';
/** The namespace plan ids are derived in. Fixed forever. */
const PLAN_ID_NAMESPACE = '8d2e6a14-5c7b-4f39-9e01-b3a7d4c6f285';

/**
 * A plan's id derives from the tenant, the asker and the request id, so the
 * same request_id replays the same plan, and two principals who happen to
 * pick the same request_id never meet in one stream.
 */
export function planIdFor(tenantId: string, createdBy: string, requestId: string): string {
  return uuidv5(`${tenantId}/${createdBy}/${requestId}`, PLAN_ID_NAMESPACE);
}

/** The pipeline's request id of an Interpret: per asker, so a request_id is the asker's own. */
export function interpretRequestId(createdBy: string, requestId: string): string {
  return `interpret:${createdBy}:${requestId}`;
}
