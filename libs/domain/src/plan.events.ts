import { z } from 'zod';
import { eventFamily, type EventOf } from './event-family';

/**
 * Plan events: the published language of the `plan-*` streams owned by the
 * commands service (command.proto). One stream per plan. A plan is recorded
 * once, as interpreted (the text in the asker's words, the steps, the
 * digest); each execution then records what every step did. Steps run in the
 * owners' streams under request ids derived from the digest and the step's
 * index, so the audit links each call to its plan by request_id.
 */
export const PLAN_CATEGORY = 'plan';
export const PLAN_EVENTS_SCHEMA_VERSION = 1;

export const PlanRiskSchema = z.enum(['READ', 'WRITE', 'DESTRUCTIVE']);
export const PlanInterpreterSchema = z.enum(['PARSER', 'MODEL']);

export const PlanStepInputSchema = z.object({
  field: z.string(),
  fromStep: z.number().int().nonnegative(),
  fromField: z.string(),
});

export const PlanStepRecordSchema = z.object({
  service: z.string(),
  method: z.string(),
  /** The request as JSON in the form the services receive it (command.proto PlanStep.request_json), without request_id. */
  requestJson: z.string(),
  preview: z.string(),
  permission: z.string(),
  resource: z.string(),
  /** The dry run when the plan was made. */
  permitted: z.boolean(),
  permissionExplanation: z.string(),
  risk: PlanRiskSchema,
  inputs: z.array(PlanStepInputSchema),
});

export const PlanQuestionRecordSchema = z.object({
  text: z.string(),
  options: z.array(z.string()),
});

export const PlanInterpretedSchema = z.object({
  planId: z.string(),
  /** The text as typed. */
  text: z.string(),
  interpreter: PlanInterpreterSchema,
  /** Why a model's proposal was not used ('' when none was asked for or it was used). */
  fallbackReason: z.string(),
  steps: z.array(PlanStepRecordSchema),
  questions: z.array(PlanQuestionRecordSchema),
  notes: z.array(z.string()),
  /** Lowercase hex SHA-256 of the canonical JSON of the steps' actions (command.proto). */
  digest: z.string(),
  /** The asker, `user:<id>` (also in the envelope's actor). */
  createdBy: z.string(),
});

export const PlanStepStatusSchema = z.enum(['SUCCEEDED', 'FAILED', 'NOT_RUN']);

export const PlanStepOutcomeSchema = z.object({
  index: z.number().int().nonnegative(),
  status: PlanStepStatusSchema,
  code: z.string(),
  message: z.string(),
  /** The reply as JSON, cut to 16 KiB in the log (the caller got it whole). */
  responseJson: z.string(),
  summary: z.string(),
});

export const PlanExecutedSchema = z.object({
  planId: z.string(),
  digest: z.string(),
  /** 1 for the first execution of the plan, +1 for each Execute after it (steps then replay). */
  attempt: z.number().int().positive(),
  outcomes: z.array(PlanStepOutcomeSchema),
  succeeded: z.boolean(),
});

export const PlanEventSchemas = {
  PlanInterpreted: PlanInterpretedSchema,
  PlanExecuted: PlanExecutedSchema,
} as const;

export type PlanRisk = z.infer<typeof PlanRiskSchema>;
export type PlanInterpreterName = z.infer<typeof PlanInterpreterSchema>;
export type PlanStepInput = z.infer<typeof PlanStepInputSchema>;
export type PlanStepRecord = z.infer<typeof PlanStepRecordSchema>;
export type PlanQuestionRecord = z.infer<typeof PlanQuestionRecordSchema>;
export type PlanInterpreted = z.infer<typeof PlanInterpretedSchema>;
export type PlanStepOutcomeRecord = z.infer<typeof PlanStepOutcomeSchema>;
export type PlanExecuted = z.infer<typeof PlanExecutedSchema>;

const planEvents = eventFamily(PlanEventSchemas);
export type PlanEvent = EventOf<typeof PlanEventSchemas>;
export type PlanEventType = PlanEvent['type'];
export const PLAN_EVENT_TYPES: readonly PlanEventType[] = planEvents.types;
export const isPlanEventType = planEvents.is;
/** Validates an event read from the log; undefined for a type this version does not know; throws a ZodError on bad data. */
export const parsePlanEvent = planEvents.parse;
