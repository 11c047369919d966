import { z } from 'zod';
import type { Budget } from './gen/aos/v1/governance';

/**
 * Bodies of governance's internal subjects (the runtime asks them). The
 * receiver checks their shape against these schemas, then the values by its
 * own rules (a subject's or an action's form, a TTL's range).
 */
export const RequestApprovalBodySchema = z.object({
  /** Who asks: `agent:<id>`. */
  subject: z.string(),
  /** The permission the action needs, e.g. tools.call. */
  action: z.string(),
  /** What it acts on, e.g. tools/<id>. */
  resource: z.string().optional(),
  /** Shown to the person deciding: why the action needs approval (its input goes in argumentsJson). */
  reason: z.string().optional(),
  /** The action's input as the agent gave it, e.g. a tool call's arguments as JSON; kept up to 16384 characters (Approval.arguments_json). */
  argumentsJson: z.string().optional(),
  /**
   * The run that asks (`<taskId>-<attempt>`). Once it is no longer its task's
   * running attempt (cancelled, abandoned, ended) while the approval is still
   * pending, governance withdraws the approval (WITHDRAWN).
   */
  runId: z.string().optional(),
  /** 0 or absent: one hour. */
  ttlSeconds: z.number().optional(),
  /** Optional idempotency key: a retry with it records the approval once. */
  requestId: z.string().optional(),
});
export type RequestApprovalBody = z.infer<typeof RequestApprovalBodySchema>;

export const RecordUsageBodySchema = z.object({
  /** Empty: usage not attributable to an agent, charged to the tenant budget only. */
  agentId: z.string().optional(),
  tokens: z.number().optional(),
  costMicros: z.number().optional(),
  /** What consumed it, e.g. a run id. */
  source: z.string().optional(),
  /** Optional idempotency key: a retry with it is charged once. */
  requestId: z.string().optional(),
});
export type RecordUsageBody = z.infer<typeof RecordUsageBodySchema>;

/** The budgets charged, as they are after the usage. */
export interface RecordUsageReply {
  budgets: Budget[];
}
