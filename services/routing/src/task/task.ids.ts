import { v5 as uuidv5 } from 'uuid';

/**
 * Ids derived from the caller's request_id, so that a retried submission
 * produces exactly the ids of the first attempt: the same events (dropped as
 * duplicates by the log) aimed at the same stream. The namespaces are fixed
 * forever; changing one would make a retry across an upgrade submit twice.
 */
export const TASK_ID_NAMESPACE = '5b87a6ce-d387-439d-949a-9ca676212d1f';
/** The command pipeline's event ids (uuidv5 of `<tenant>/<request_id>/<index>`). */
export const TASK_EVENT_ID_NAMESPACE = '7d0a043c-6cfa-4b15-8f4e-368ee1ee7293';

/** The id of the task a SubmitTask request creates. */
export function taskIdFor(tenantId: string, requestId: string): string {
  return uuidv5(`${tenantId}/${requestId}`, TASK_ID_NAMESPACE);
}

/**
 * Routing's own reactions (routing a queued task again, abandoning an expired
 * attempt) have no caller's request_id; theirs is derived from the state they
 * act on, so the same reaction taken twice (after a crash) is written once.
 */
export function reactionRequestId(kind: 'route' | 'abandon', taskId: string, revision: number): string {
  return `routing:${kind}:${taskId}:${revision}`;
}
