/**
 * Bodies of the internal RoutingSubjects commands a runner sends. Routing is
 * the single writer of `task-*`: a runner claims an attempt with startRun (the
 * claim is the TaskStarted append, so two runners cannot both win), keeps it
 * with renewLeases, and reports through the rest. An attempt whose lease is
 * not renewed within the lease time is abandoned by routing (TaskAttemptAbandoned)
 * and the task becomes ASSIGNED again for the next attempt; a runner that
 * cannot renew stops its attempt itself before the lease can have run out.
 */
export interface StartRunBody {
  taskId: string;
  /** Must be the task's attempt + 1; another value is FAILED_PRECONDITION. */
  attempt: number;
  /** The runtime instance id, or "external:<session-id>". */
  runner: string;
  request_id: string;
}
export interface StartRunReply {
  taskId: string;
  runId: string;
  attempt: number;
  agentId: string;
  /** The run before this one when it was abandoned, else empty. */
  previousRunId: string;
  /** How long the lease lasts from now unless renewed. */
  leaseMs: number;
  logPosition: number;
}

export interface RenewLeasesBody {
  runner: string;
  runIds: string[];
}
export interface RenewLeasesReply {
  /** Run ids the runner no longer holds (abandoned, cancelled, finished or unknown): stop them. */
  lost: string[];
  leaseMs: number;
}

export interface AwaitApprovalBody {
  taskId: string;
  runId: string;
  approvalId: string;
  toolId: string;
  request_id: string;
}
export interface ResolveApprovalBody {
  taskId: string;
  runId: string;
  approvalId: string;
  approved: boolean;
  request_id: string;
}
export interface FinishRunBody {
  taskId: string;
  runId: string;
  outcome: 'SUCCEEDED' | 'FAILED';
  /** The final answer when SUCCEEDED. */
  result: string;
  /** Why, when FAILED. */
  reason: string;
  /** A status code name when FAILED, e.g. RESOURCE_EXHAUSTED. */
  code: string;
  request_id: string;
}
/**
 * A runner that stops an attempt it still holds (it is shutting down) gives it
 * back: routing abandons it at once (TaskAttemptAbandoned) instead of when the
 * lease runs out, so another runner starts the next attempt without waiting.
 */
export interface ReleaseRunBody {
  taskId: string;
  runId: string;
  /** Must be the runner holding the attempt; another is FAILED_PRECONDITION. */
  runner: string;
  reason: string;
  request_id: string;
}
/** The reply of awaitApproval, resolveApproval, finishRun and releaseRun. */
export interface RunTransitionReply {
  taskId: string;
  state: string;
  logPosition: number;
}
