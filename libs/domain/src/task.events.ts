import { z } from 'zod';
import { eventFamily, type EventOf } from './event-family';

/**
 * Task events: the published language of the `task-<taskId>` streams, owned by
 * the routing service. The runtime never appends here: it asks routing to
 * start, suspend, resume or finish an attempt (RoutingSubjects), and records
 * what the attempt did in its own `run-*` stream (run.events.ts).
 *
 * States: QUEUED, ASSIGNED, RUNNING, WAITING_APPROVAL, SUCCEEDED, FAILED,
 * CANCELLED (the last three are terminal).
 */
export const TASK_CATEGORY = 'task';
export const TASK_EVENTS_SCHEMA_VERSION = 1;

export const TaskPrioritySchema = z.enum(['LOW', 'NORMAL', 'HIGH']);
export type TaskPriorityName = z.infer<typeof TaskPrioritySchema>;

export const RoutingCandidateSchema = z.object({
  agentId: z.string(),
  agentName: z.string(),
  score: z.number(),
  lexicalScore: z.number(),
  loadPenalty: z.number(),
  queueLength: z.number().int().nonnegative(),
});
export const RoutingDecisionSchema = z.object({
  /** lexical | llm | requested | person */
  router: z.enum(['lexical', 'llm', 'requested', 'person']),
  /** Empty when no agent could be chosen. */
  chosenAgentId: z.string(),
  candidates: z.array(RoutingCandidateSchema),
  rationale: z.string(),
});
export type RoutingDecisionData = z.infer<typeof RoutingDecisionSchema>;

export const TaskSubmittedSchema = z.object({
  taskId: z.string(),
  text: z.string(),
  requiredCapabilities: z.array(z.string()),
  /** Empty unless the submitter named the agent. */
  requestedAgentId: z.string(),
  priority: TaskPrioritySchema,
  submittedBy: z.string(),
});
/** Why a routing decision was taken now. */
export const RoutingCauseSchema = z.enum(['submitted', 'agent-available', 'agent-retired', 'agent-unavailable']);
/** -> ASSIGNED */
export const TaskRoutedSchema = z.object({
  taskId: z.string(),
  agentId: z.string(),
  cause: RoutingCauseSchema,
  decision: RoutingDecisionSchema,
});
/** -> QUEUED: no eligible agent. */
export const TaskQueuedSchema = z.object({
  taskId: z.string(),
  cause: RoutingCauseSchema,
  reason: z.string(),
  decision: RoutingDecisionSchema,
});
/** A person's correction of the router -> ASSIGNED to toAgentId. The router learns from it. */
export const TaskReassignedSchema = z.object({
  taskId: z.string(),
  fromAgentId: z.string(),
  toAgentId: z.string(),
  reason: z.string(),
  reassignedBy: z.string(),
  decision: RoutingDecisionSchema,
});
/** ASSIGNED -> RUNNING: a runner claimed attempt `attempt` (the claim is this append). */
export const TaskStartedSchema = z.object({
  taskId: z.string(),
  runId: z.string(),
  attempt: z.number().int().positive(),
  agentId: z.string(),
  /** The runtime instance, or "external:<session-id>" for an attached agent process. */
  runner: z.string(),
});
/** RUNNING | WAITING_APPROVAL -> ASSIGNED: the runner stopped renewing its lease (crashed, cut off); the next attempt may start. */
export const TaskAttemptAbandonedSchema = z.object({
  taskId: z.string(),
  runId: z.string(),
  attempt: z.number().int().positive(),
  runner: z.string(),
  reason: z.string(),
});
/** RUNNING -> WAITING_APPROVAL */
export const TaskWaitingApprovalSchema = z.object({
  taskId: z.string(),
  runId: z.string(),
  approvalId: z.string(),
  toolId: z.string(),
});
/** WAITING_APPROVAL -> RUNNING (approved) ; a rejection is followed by TaskFailed. */
export const TaskApprovalResolvedSchema = z.object({
  taskId: z.string(),
  runId: z.string(),
  approvalId: z.string(),
  approved: z.boolean(),
});
export const TaskSucceededSchema = z.object({ taskId: z.string(), runId: z.string(), result: z.string() });
export const TaskFailedSchema = z.object({
  taskId: z.string(),
  /** Empty when the task failed before any run (e.g. no model server configured). */
  runId: z.string(),
  reason: z.string(),
  /** A status code name: RESOURCE_EXHAUSTED, PERMISSION_DENIED, DEADLINE_EXCEEDED, UNAVAILABLE, INTERNAL, ... */
  code: z.string(),
});
export const TaskCancelledSchema = z.object({ taskId: z.string(), reason: z.string(), cancelledBy: z.string() });

export const TaskEventSchemas = {
  TaskSubmitted: TaskSubmittedSchema,
  TaskRouted: TaskRoutedSchema,
  TaskQueued: TaskQueuedSchema,
  TaskReassigned: TaskReassignedSchema,
  TaskStarted: TaskStartedSchema,
  TaskAttemptAbandoned: TaskAttemptAbandonedSchema,
  TaskWaitingApproval: TaskWaitingApprovalSchema,
  TaskApprovalResolved: TaskApprovalResolvedSchema,
  TaskSucceeded: TaskSucceededSchema,
  TaskFailed: TaskFailedSchema,
  TaskCancelled: TaskCancelledSchema,
} as const;

const taskEvents = eventFamily(TaskEventSchemas);
/** A domain event of the family: `type` plus its data, without the envelope. */
export type TaskEvent = EventOf<typeof TaskEventSchemas>;
export type TaskEventType = TaskEvent['type'];
export const TASK_EVENT_TYPES: readonly TaskEventType[] = taskEvents.types;
export const isTaskEventType = taskEvents.is;
/** Validates an event read from the log; undefined for a type this version does not know; throws a ZodError on bad data. */
export const parseTaskEvent = taskEvents.parse;
