import { v5 as uuidv5 } from 'uuid';

/**
 * Ids derived from the caller's request_id, so that a retried command produces
 * exactly the ids of the first attempt: the same events (JetStream drops them
 * as duplicates by Nats-Msg-Id, EventStoreDB by event id) aimed at the same
 * stream. The namespaces are fixed forever; changing one would make retries
 * across an upgrade record a second agent.
 */
export const AGENT_ID_NAMESPACE = 'cbf266a9-f9f0-4a02-a8de-42483f63a617';
/** The command pipeline's event ids: the `index`-th event a request appends is uuidv5(`<tenant>/<request_id>/<index>`) in it. */
export const AGENT_EVENT_ID_NAMESPACE = '268547bb-0f39-4042-87ac-661bb9bd0bd2';

/** The id of the agent a CreateAgent request creates. */
export function agentIdFor(tenantId: string, requestId: string): string {
  return uuidv5(`${tenantId}/${requestId}`, AGENT_ID_NAMESPACE);
}
