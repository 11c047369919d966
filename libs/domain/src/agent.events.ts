import { z } from 'zod';
import { assertNever } from '@aos/errors';
import { eventFamily, type EventOf } from './event-family';

/**
 * Agent events: the published language of the `agent-*` streams, owned by the
 * lifecycle service. Data schemas are versioned by `schemaVersion` in the
 * envelope; a change that is not backward compatible gets a new version and an
 * upcaster, never an edit of an old shape.
 */
export const AGENT_CATEGORY = 'agent';
export const AGENT_EVENTS_SCHEMA_VERSION = 1;

export const AgentDefinitionSchema = z.object({
  name: z.string(),
  description: z.string(),
  capabilities: z.array(z.string()),
  instructions: z.string(),
  model: z.string(),
  toolIds: z.array(z.string()),
  knowledgeBaseIds: z.array(z.string()),
  labels: z.record(z.string(), z.string()),
});
export type AgentDefinition = z.infer<typeof AgentDefinitionSchema>;

export const AgentCreatedSchema = z.object({
  agentId: z.string(),
  definition: AgentDefinitionSchema,
  definitionVersion: z.number().int().positive(),
  createdBy: z.string(),
});
export const AgentUpdatedSchema = z.object({
  agentId: z.string(),
  /** The whole new definition, so each version is readable on its own in the log. */
  definition: AgentDefinitionSchema,
  definitionVersion: z.number().int().positive(),
  changedFields: z.array(z.string()),
  /**
   * Set by RollbackAgent: the version whose definition this one restores. A
   * rollback is an update like any other for every follower; the field only
   * tells the audit why the definition changed. Optional, so events recorded
   * before it existed read as they were (no new schema version).
   */
  rolledBackTo: z.number().int().positive().optional(),
});
const TransitionSchema = z.object({ agentId: z.string(), reason: z.string() });
export const AgentDeployedSchema = TransitionSchema;
export const AgentPausedSchema = TransitionSchema;
export const AgentResumedSchema = TransitionSchema;
export const AgentRetiredSchema = TransitionSchema.extend({
  previousState: z.enum(['DRAFT', 'ACTIVE', 'PAUSED']),
});

/**
 * An external agent's process attached (RuntimeService.Connect): the runtime
 * instance hosting the session asks lifecycle to record it, and its end.
 */
export const AgentSessionAttachedSchema = z.object({
  agentId: z.string(),
  sessionId: z.string(),
  maxConcurrentTasks: z.number().int().nonnegative(),
});
/** The session ended: the process closed the stream, died, or the gateway or the runtime instance went away. */
export const AgentSessionEndedSchema = z.object({ agentId: z.string(), sessionId: z.string(), reason: z.string() });
export const HealthStatusNameSchema = z.enum(['UNKNOWN', 'HEALTHY', 'DEGRADED', 'UNHEALTHY']);
/**
 * The agent's health status changed (see agent-health.ts for the rules).
 * `causePosition` is the log position of the newest event the new status was
 * computed from (a run's end, a session's start or end): a replica that has
 * folded less proposes an older cause and records nothing.
 */
export const AgentHealthChangedSchema = z.object({
  agentId: z.string(),
  status: HealthStatusNameSchema,
  previousStatus: HealthStatusNameSchema,
  reason: z.string(),
  causePosition: z.number().int().nonnegative(),
});

export const AgentEventSchemas = {
  AgentCreated: AgentCreatedSchema,
  AgentUpdated: AgentUpdatedSchema,
  AgentDeployed: AgentDeployedSchema,
  AgentPaused: AgentPausedSchema,
  AgentResumed: AgentResumedSchema,
  AgentRetired: AgentRetiredSchema,
  AgentSessionAttached: AgentSessionAttachedSchema,
  AgentSessionEnded: AgentSessionEndedSchema,
  AgentHealthChanged: AgentHealthChangedSchema,
} as const;

const agentEvents = eventFamily(AgentEventSchemas);
/** A domain event of the family: `type` plus its data, without the envelope. */
export type AgentEvent = EventOf<typeof AgentEventSchemas>;
export type AgentEventType = AgentEvent['type'];
export const AGENT_EVENT_TYPES: readonly AgentEventType[] = agentEvents.types;
export const isAgentEventType = agentEvents.is;
/** Validates an event read from the log; undefined for a type this version does not know; throws a ZodError on bad data. */
export const parseAgentEvent = agentEvents.parse;

export type AgentStatusName = 'DRAFT' | 'ACTIVE' | 'PAUSED' | 'RETIRED';

/** An agent as its agent-* stream makes it. */
export interface AgentSnapshot {
  agentId: string;
  status: AgentStatusName;
  definition: AgentDefinition;
  definitionVersion: number;
  createdBy: string;
}

/**
 * The one fold of an agent-* stream, applied by its owner (lifecycle) and by
 * every service that follows it (routing, runtime). A change to an agent that
 * was never created cannot be applied: it throws rather than invent one.
 */
export function evolveAgentSnapshot(agent: AgentSnapshot | undefined, event: AgentEvent): AgentSnapshot {
  if (event.type === 'AgentCreated') {
    const { agentId, definition, definitionVersion, createdBy } = event.data;
    return { status: 'DRAFT', agentId, definition, definitionVersion, createdBy };
  }
  if (!agent) throw new Error(`${event.type} for agent ${event.data.agentId} before AgentCreated`);
  switch (event.type) {
    case 'AgentUpdated':
      return { ...agent, definition: event.data.definition, definitionVersion: event.data.definitionVersion };
    case 'AgentDeployed':
    case 'AgentResumed':
      return { ...agent, status: 'ACTIVE' };
    case 'AgentPaused':
      return { ...agent, status: 'PAUSED' };
    case 'AgentRetired':
      return { ...agent, status: 'RETIRED' };
    // What the OS saw of the agent, not a change of its definition or state.
    case 'AgentSessionAttached':
    case 'AgentSessionEnded':
    case 'AgentHealthChanged':
      return agent;
    default:
      return assertNever(event);
  }
}
