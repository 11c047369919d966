import { z } from 'zod';
import { eventFamily, type EventOf } from './event-family';

/**
 * Run events: the published language of the `run-<runId>` streams, owned by
 * the runtime. One stream per attempt of a task (`runId` = `<taskId>-<attempt>`),
 * so a retry after a crash is a new stream beside the abandoned one and the log
 * shows both. Every model call, tool call (with governance's decision), approval
 * waited for and the outcome is one event; replaying them rebuilds the run step
 * for step.
 *
 * Beside them, `run-direct_<id>` streams hold one DirectToolCalled each: a
 * principal's call of a registered tool outside any task (RuntimeSubjects.callTool),
 * its id derived from the tenant and the call's request_id. They belong to no
 * task (their id never has the `<taskId>-<attempt>` shape), so the task's
 * followers pass them by.
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
  /** The priced tool call charged (its price, 0 tokens); absent for a model call's usage. */
  callId: z.string().optional(),
});
export const RunSucceededSchema = z.object({ runId: z.string(), result: z.string() });
export const RunFailedSchema = z.object({ runId: z.string(), reason: z.string(), code: z.string() });
/** The runner stopped: its lease was lost, the task was cancelled, or it shut down. */
export const RunStoppedSchema = z.object({ runId: z.string(), reason: z.string() });

/** Where one search result comes from (KnowledgeService's Citation, with the result's score). */
export const KnowledgeCitationSchema = z.object({
  knowledgeBaseId: z.string(),
  documentId: z.string(),
  documentVersion: z.number().int().nonnegative(),
  chunkIndex: z.number().int().nonnegative(),
  /** Code point offsets of the chunk in the document's extracted text. */
  startOffset: z.number().int().nonnegative(),
  endOffset: z.number().int().nonnegative(),
  score: z.number(),
});
export type KnowledgeCitation = z.infer<typeof KnowledgeCitationSchema>;

/**
 * The agent's built-in `knowledge_search` (its model's, or an external
 * agent's through RuntimeService): what was asked, which of the knowledge
 * bases asked for were searched and which refused (not among the agent's
 * knowledge_base_ids, or a DENY rule on knowledge.read), and the citations
 * returned — the same the model or the agent received.
 */
export const KnowledgeSearchedSchema = z.object({
  runId: z.string(),
  callId: z.string(),
  query: z.string(),
  topK: z.number().int().nonnegative(),
  /** The knowledge bases searched: the agent's grant, asked for, that governance did not refuse. */
  knowledgeBaseIds: z.array(z.string()),
  /** The knowledge bases asked for (or granted) that were left out, and why. */
  refused: z.array(z.object({ knowledgeBaseId: z.string(), reason: z.string() })),
  /** ALLOWED when something was searched; DENIED when nothing was left to search (or the arguments were unusable). */
  decision: ToolDecisionSchema,
  decisionReason: z.string(),
  outcome: z.enum(['ok', 'error', 'refused']),
  citations: z.array(KnowledgeCitationSchema),
  /** What went wrong when error or refused. */
  error: z.string(),
  durationMs: z.number().nonnegative(),
});

/**
 * A principal (a person or an app, through the gateway's MCP endpoint)
 * called a registered tool outside any task: governance's decision for its
 * grant subjects, and the outcome. The only event of its `run-direct_<id>` stream.
 */
export const DirectToolCalledSchema = ToolCalledSchema.omit({ runId: true, callId: true }).extend({
  /** The call's request_id (the stream's id derives from it and the tenant). */
  requestId: z.string(),
  /** The caller as governance knows it, e.g. "user:alice". */
  principal: z.string(),
  /** The subjects whose grants were checked. */
  grantSubjects: z.array(z.string()),
  /** The tool's result when ok, truncated to 64 KiB (the reply to a retry is built from it). */
  result: z.string(),
});

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
  KnowledgeSearched: KnowledgeSearchedSchema,
  DirectToolCalled: DirectToolCalledSchema,
} as const;

const runEvents = eventFamily(RunEventSchemas);
/** A domain event of the family: `type` plus its data, without the envelope. */
export type RunEvent = EventOf<typeof RunEventSchemas>;
export type RunEventType = RunEvent['type'];
export const RUN_EVENT_TYPES: readonly RunEventType[] = runEvents.types;
export const isRunEventType = runEvents.is;
/** Validates an event read from the log; undefined for a type this version does not know; throws a ZodError on bad data. */
export const parseRunEvent = runEvents.parse;
