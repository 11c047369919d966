import { z } from 'zod';
import type { Subject } from './subjects';

export const SessionAliveBodySchema = z.object({});
export interface SessionAliveReply {
  sessionId: string;
}

/**
 * Served by the runtime instance hosting an external agent's session, for as
 * long as it hosts it (beside RuntimeService's session(<id>), whose requests
 * count as the gateway's pings, so a probe must not go there). Lifecycle asks
 * it about sessions the log holds open: NATS answering "no responders" means
 * no instance hosts the session any more (its runtime died without recording
 * the end), and lifecycle records the end itself.
 */
export function sessionAliveSubject(sessionId: string): Subject<Record<string, never>, SessionAliveReply> {
  return { name: `aos.runtime.session-alive.${sessionId}`, body: SessionAliveBodySchema };
}
