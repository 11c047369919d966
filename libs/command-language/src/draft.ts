import { z } from 'zod';

/**
 * The draft: what a sentence asks for, before any name is resolved. Both
 * interpreters produce it: the deterministic parser (parseCommand) and a
 * model (its structured output is constrained by draftJsonSchema() and
 * validated by DraftSchema). Names stay names here ("billing-helper", "the
 * ledger tool"); resolveDraft turns them into ids from the server's read
 * models, by code, and raises a question where a name is unknown or
 * ambiguous. So a model never picks an id, and nothing a model writes can
 * name a method outside this union.
 */

/** Which agents an action is about: every field given must hold (AND); none given is not allowed. */
export const AgentSelectorSchema = z
  .object({
    /** One agent, by its name (or its id). */
    name: z.string().min(1).max(200).optional(),
    /** Every agent with this capability ("support"). */
    capability: z.string().min(1).max(200).optional(),
    /** Every agent with this label ("team" = "sales"). */
    label: z.object({ key: z.string().min(1).max(63), value: z.string().max(200) }).optional(),
    /** Every agent in this state. */
    state: z.enum(['DRAFT', 'ACTIVE', 'PAUSED', 'RETIRED']).optional(),
    /** Every agent of the tenant (that the action applies to). */
    all: z.literal(true).optional(),
  })
  .strict();

const names = z.array(z.string().min(1).max(200)).max(50);
const text = (max: number) => z.string().min(1).max(max);

export const DraftActionSchema = z.discriminatedUnion('action', [
  z
    .object({
      action: z.literal('create_agent'),
      name: text(200),
      description: z.string().max(2000).optional(),
      capabilities: names.optional(),
      instructions: z.string().max(20000).optional(),
      model: z.string().max(200).optional(),
      /** Tool names. */
      tools: names.optional(),
      /** Knowledge base names. */
      knowledgeBases: names.optional(),
      labels: z.record(z.string(), z.string()).optional(),
    })
    .strict(),
  z
    .object({
      action: z.literal('update_agent'),
      agent: text(200),
      /** A new name. */
      rename: z.string().min(1).max(200).optional(),
      description: z.string().max(2000).optional(),
      instructions: z.string().max(20000).optional(),
      model: z.string().max(200).optional(),
      addCapabilities: names.optional(),
      removeCapabilities: names.optional(),
      setLabels: z.record(z.string(), z.string()).optional(),
    })
    .strict(),
  z.object({ action: z.literal('deploy_agents'), agents: AgentSelectorSchema }).strict(),
  z.object({ action: z.literal('pause_agents'), agents: AgentSelectorSchema }).strict(),
  z.object({ action: z.literal('resume_agents'), agents: AgentSelectorSchema }).strict(),
  z.object({ action: z.literal('retire_agents'), agents: AgentSelectorSchema }).strict(),
  z.object({ action: z.literal('grant_tools'), agents: AgentSelectorSchema, tools: names.min(1) }).strict(),
  z.object({ action: z.literal('revoke_tools'), agents: AgentSelectorSchema, tools: names.min(1) }).strict(),
  z
    .object({ action: z.literal('grant_knowledge'), agents: AgentSelectorSchema, knowledgeBases: names.min(1) })
    .strict(),
  z
    .object({ action: z.literal('revoke_knowledge'), agents: AgentSelectorSchema, knowledgeBases: names.min(1) })
    .strict(),
  z
    .object({
      action: z.literal('submit_task'),
      text: text(20000),
      /** The agent to give it to, by name; absent: the router chooses by capability. */
      agent: z.string().min(1).max(200).optional(),
      priority: z.number().int().min(0).max(9).optional(),
    })
    .strict(),
  z.object({ action: z.literal('cancel_task'), task: text(200) }).strict(),
  z
    .object({
      action: z.literal('rollback_agent'),
      agent: text(200),
      /** The definition version to restore; absent: the one before the current. */
      toVersion: z.number().int().min(1).optional(),
    })
    .strict(),
  z
    .object({
      action: z.literal('set_budget'),
      /** An agent's name; absent: the tenant's budget. */
      agent: z.string().min(1).max(200).optional(),
      period: z.enum(['DAY', 'WEEK', 'MONTH']),
      tokenLimit: z.number().int().nonnegative().optional(),
      /** In millionths of the currency unit ($5 = 5000000). */
      costLimitMicros: z.number().int().nonnegative().optional(),
    })
    .strict(),
  z.object({ action: z.literal('assign_role'), principal: text(200), role: text(200) }).strict(),
  z.object({ action: z.literal('revoke_role'), principal: text(200), role: text(200) }).strict(),
  z
    .object({
      action: z.literal('decide_approval'),
      approval: text(200),
      approve: z.boolean(),
      reason: z.string().max(2000).optional(),
    })
    .strict(),
  // Questions: answered by read steps.
  z.object({ action: z.literal('list_agents'), agents: AgentSelectorSchema.optional() }).strict(),
  z.object({ action: z.literal('show_agent'), agent: text(200) }).strict(),
  /** Every definition version of one agent, newest first. */
  z.object({ action: z.literal('list_agent_versions'), agent: text(200) }).strict(),
  z
    .object({
      action: z.literal('agent_activity'),
      agent: text(200),
      /** 'today', 'yesterday', 'this week', or an ISO 8601 time. */
      since: z.string().max(100).optional(),
    })
    .strict(),
  z
    .object({
      action: z.literal('list_tasks'),
      state: z
        .enum(['QUEUED', 'ASSIGNED', 'RUNNING', 'WAITING_APPROVAL', 'SUCCEEDED', 'FAILED', 'CANCELLED'])
        .optional(),
      agent: z.string().min(1).max(200).optional(),
    })
    .strict(),
  z
    .object({
      action: z.literal('show_spend'),
      period: z.enum(['DAY', 'WEEK', 'MONTH']),
      agent: z.string().min(1).max(200).optional(),
    })
    .strict(),
  z.object({ action: z.literal('list_tools') }).strict(),
  z.object({ action: z.literal('list_knowledge_bases') }).strict(),
  z.object({ action: z.literal('list_approvals') }).strict(),
  z.object({ action: z.literal('who_am_i') }).strict(),
]);

export const DraftQuestionSchema = z.object({ text: text(500), options: z.array(z.string()).max(20) }).strict();

export const DraftSchema = z
  .object({
    actions: z.array(DraftActionSchema).max(50),
    /** What the interpreter could not settle from the text alone. */
    questions: z.array(DraftQuestionSchema).max(20),
    /** Parts of the text not turned into an action, and why ("ignored: …"). */
    notes: z.array(z.string().max(500)).max(20),
  })
  .strict();

export type AgentSelector = z.infer<typeof AgentSelectorSchema>;
export type DraftAction = z.infer<typeof DraftActionSchema>;
export type DraftActionName = DraftAction['action'];
export type DraftQuestion = z.infer<typeof DraftQuestionSchema>;
export type Draft = z.infer<typeof DraftSchema>;

/** The JSON Schema of a draft, generated from DraftSchema: what a model's structured output must match. */
export function draftJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(DraftSchema, { target: 'draft-7' }) as Record<string, unknown>;
}
