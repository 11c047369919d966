import { z } from 'zod';
import { eventFamily, type EventOf } from './event-family';

/**
 * Run events: the published language of the `run-<runId>` streams, owned by
 * the runtime. One stream per attempt of a task (`runId` = `<taskId>-<attempt>`),
 * so a retry after a crash is a new stream beside the abandoned one and the log
 * shows both. Every model call, tool call (with governance's decision), approval
 * waited for and the outcome is one event; replaying them rebuilds the run step
 * for step.
 */
export const RUN_CATEGORY = 'run';
export const RUN_EVENTS_SCHEMA_VERSION = 1;

/** Governance's answer to one tool call. */
export const ToolDecisionSchema = z.enum(['ALLOWED', 'DENIED', 'APPROVED', 'REJECTED']);
export type ToolDecisionName = z.infer<typeof ToolDecisionSchema>;

export const RunStartedSchema = z.object({
  runId: z.string(),
  taskId: z.string(),
  attempt: z.number().int().positive(),
  agentId: z.string(),
  definitionVersion: z.number().int().nonnegative(),
  /** The model the loop uses; empty for an external agent. */
  model: z.string(),
  runner: z.string(),
  /** The attempt before this one, when it was abandoned; empty otherwise. */
  previousRunId: z.string(),
});
export const ModelCalledSchema = z.object({
  runId: z.string(),
  /** 1-based index of the model call within the run. */
  turn: z.number().int().positive(),
  model: z.string(),
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  totalTokens: z.number().int().nonnegative(),
  finishReason: z.string(),
  /** What the model decided: answer, or call these tools. */
  decision: z.enum(['answer', 'tool_calls']),
  toolCalls: z.array(z.object({ callId: z.string(), name: z.string() })),
  /** The answer text (truncated to 8 KiB); empty for tool calls. */
  content: z.string(),
  durationMs: z.number().nonnegative(),
  /** Calls that failed and were retried before this one succeeded. */
  retries: z.number().int().nonnegative(),
});
export const ToolCalledSchema = z.object({
  runId: z.string(),
  callId: z.string(),
  /** Empty when the name matches no tool of the tenant. */
  toolId: z.string(),
  toolName: z.string(),
  /** The arguments as the model or agent sent them (JSON text, truncated to 8 KiB). */
  argumentsJson: z.string(),
  decision: ToolDecisionSchema,
  /** Why governance decided so (rule, binding, or "not among the agent's tools"). */
  decisionReason: z.string(),
  outcome: z.enum(['ok', 'error', 'refused']),
  /** The tool's result (truncated to 8 KiB) when ok. */
  result: z.string(),
  /** What went wrong when error or refused. */
  error: z.string(),
  durationMs: z.number().nonnegative(),
});
export const ApprovalAwaitedSchema = z.object({
  runId: z.string(),
  callId: z.string(),
  approvalId: z.string(),
  toolId: z.string(),
});
export const ApprovalReceivedSchema = z.object({
  runId: z.string(),
  approvalId: z.string(),
  approved: z.boolean(),
  decidedBy: z.string(),
  reason: z.string(),
});
/** A step an external agent reported in its own words. */
export const StepReportedSchema = z.object({ runId: z.string(), summary: z.string(), detailJson: z.string() });
export const UsageChargedSchema = z.object({
  runId: z.string(),
  tokens: z.number().int().nonnegative(),
  costMicros: z.number().int().nonnegative(),
});
export const RunSucceededSchema = z.object({ runId: z.string(), result: z.string() });
export const RunFailedSchema = z.object({ runId: z.string(), reason: z.string(), code: z.string() });
/** The runner stopped: its lease was lost, the task was cancelled, or it shut down. */
export const RunStoppedSchema = z.object({ runId: z.string(), reason: z.string() });

export const RunEventSchemas = {
  RunStarted: RunStartedSchema,
  ModelCalled: ModelCalledSchema,
  ToolCalled: ToolCalledSchema,
  ApprovalAwaited: ApprovalAwaitedSchema,
  ApprovalReceived: ApprovalReceivedSchema,
  StepReported: StepReportedSchema,
  UsageCharged: UsageChargedSchema,
  RunSucceeded: RunSucceededSchema,
  RunFailed: RunFailedSchema,
  RunStopped: RunStoppedSchema,
} as const;

const runEvents = eventFamily(RunEventSchemas);
/** A domain event of the family: `type` plus its data, without the envelope. */
export type RunEvent = EventOf<typeof RunEventSchemas>;
export type RunEventType = RunEvent['type'];
export const RUN_EVENT_TYPES: readonly RunEventType[] = runEvents.types;
export const isRunEventType = runEvents.is;
/** Validates an event read from the log; undefined for a type this version does not know; throws a ZodError on bad data. */
export const parseRunEvent = runEvents.parse;
