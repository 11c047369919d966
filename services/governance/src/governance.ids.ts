import { v5 as uuidv5 } from 'uuid';

/**
 * Ids derived from the caller's request_id, so that a retried command produces
 * exactly the ids of the first attempt: the same events (deduplicated by the
 * log) aimed at the same streams. The namespaces are fixed forever; changing
 * one would make a retry across an upgrade create a second principal.
 */
/** The command pipeline's event ids: uuidv5(`<tenant>/<request_id>/<index>`), the index counted across all the streams a request writes. */
export const GOVERNANCE_EVENT_ID_NAMESPACE = '5a0d8d0e-3f4b-4c53-9a55-0f3a3c8e1d21';
const ENTITY_NAMESPACE = 'c4b7e0a2-8e61-4d8f-b1f5-6b2c9d7a4e13';

export type EntityKind = 'principal' | 'key' | 'binding' | 'rule' | 'approval';

/** The id of the entity of `kind` a request creates. */
export function entityIdFor(kind: EntityKind, tenantId: string, requestId: string): string {
  return uuidv5(`${kind}/${tenantId}/${requestId}`, ENTITY_NAMESPACE);
}
