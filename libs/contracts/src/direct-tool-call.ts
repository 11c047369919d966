import { z } from 'zod';

/**
 * A principal (a person or an app, through the gateway's MCP endpoint) calls
 * a registered tool outside any task. The runtime decides it under the same
 * governance as an agent's call (permission "tools.call" on "tools/<id>" for
 * the caller's grant subjects, approvals, budgets), executes it with the same
 * executor, and records it in the log; the reply says what was decided and
 * what the tool answered.
 */
export const DirectToolCallBodySchema = z.object({
  /** The tool's name in the tenant's registry. */
  toolName: z.string().min(1).max(64),
  /** The tool's input: a JSON object as text (at most 64 KiB). */
  argumentsJson: z.string().max(64 * 1024),
  /** Idempotency key: the same request_id is recorded once. */
  requestId: z.string().min(1).max(128),
  /** Who the caller is for governance: the subjects its grants are held by (e.g. "user:alice", "group:ops"). */
  grantSubjects: z.array(z.string().min(1).max(1024)).min(1).max(1024),
});

export interface DirectToolCallReply {
  /** ALLOWED, DENIED, APPROVED or REJECTED. */
  decision: string;
  decisionReason: string;
  /** The tool's result when it ran and succeeded. */
  result: string;
  /** A refusal, or the tool's error. */
  error: string;
  /** Position of the event recording the call. */
  logPosition: number;
}
