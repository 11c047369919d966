import { z } from 'zod';

/**
 * The run-claim protocol: how a runner (the runtime, or the runtime hosting
 * an attached external agent) holds an attempt of a task. Routing is the
 * single writer of `task-*`: a runner claims the next attempt (the claim is
 * the TaskStarted append, so of two runners only one wins), keeps it with
 * renewals, and gives it back when it stops early. An attempt whose lease is
 * not renewed within the lease time is abandoned by routing
 * (TaskAttemptAbandoned) and the task becomes ASSIGNED again; a runner that
 * cannot renew stops its attempt itself before the lease can have run out.
 *
 * What the attempt does — its model and tool calls, the approvals it waits
 * for, its outcome — the runner records in the run's own stream (`run-*`);
 * routing derives the task's WAITING_APPROVAL, SUCCEEDED and FAILED from
 * those events (evolveTask), so no step is written twice.
 */

const id = z.uuid();
const runner = z.string().min(1).max(256);
const runId = z.string().min(1).max(128);
const requestId = z.string().min(1).max(128);

/** Claims attempt `attempt` of an ASSIGNED task (ASSIGNED -> RUNNING). */
export const ClaimRunBodySchema = z.object({
  taskId: id,
  /** Must be the task's attempt + 1; another value is FAILED_PRECONDITION. */
  attempt: z.number().int().positive(),
  /** The runtime instance id, or "external:<session-id>". */
  runner,
  requestId,
});
export type ClaimRunBody = z.infer<typeof ClaimRunBodySchema>;
export interface ClaimRunReply {
  taskId: string;
  runId: string;
  attempt: number;
  /** The agent the attempt runs as. */
  agentId: string;
  /** The run before this one when it was abandoned, else empty. */
  previousRunId: string;
  /** How long the lease lasts from now unless renewed. */
  leaseMs: number;
  logPosition: number;
}

/** Extends the leases of the runner's attempts (of the request context's tenant). */
export const RenewLeasesBodySchema = z.object({
  runner,
  runIds: z.array(runId).max(1000),
});
export type RenewLeasesBody = z.infer<typeof RenewLeasesBodySchema>;
export interface RenewLeasesReply {
  /** Run ids the runner no longer holds (abandoned, cancelled, finished or unknown): stop them. */
  lost: string[];
  leaseMs: number;
}

/**
 * A runner that stops an attempt it still holds (it is shutting down) gives it
 * back: routing abandons it at once (TaskAttemptAbandoned) instead of when the
 * lease runs out, so another runner starts the next attempt without waiting.
 */
export const ReleaseRunBodySchema = z.object({
  taskId: id,
  runId,
  /** Must be the runner holding the attempt; another is FAILED_PRECONDITION. */
  runner,
  reason: z.string().max(1000),
  requestId,
});
export type ReleaseRunBody = z.infer<typeof ReleaseRunBodySchema>;
export interface ReleaseRunReply {
  taskId: string;
  state: string;
  logPosition: number;
}
