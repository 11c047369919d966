import { z } from 'zod';
import { eventFamily, type EventOf } from './event-family';

/**
 * Governance events: the published language of the streams owned by the
 * governance service. Stream categories:
 *   tenant-<tenantId>       TenantCreated
 *   principal-<principalId> PrincipalCreated, ApiKeyCreated, ApiKeyRevoked
 *   policy-<tenantId>       RoleDefined, RoleAssigned, RoleRevoked, PolicyRuleAdded, PolicyRuleRemoved
 *   approval-<approvalId>   ApprovalRequested, ApprovalGranted, ApprovalRejected, ApprovalExpired, ApprovalWithdrawn
 *   budget-<scopeKey>       BudgetSet, UsageRecorded   (scopeKey: "tenant" or "agent-<agentId>")
 * The access-control projections (authentication, casbin enforcers) are
 * built from these events alone. No event ever carries an API key's secret:
 * only its public prefix and a slow (scrypt) hash.
 */
export const GovernanceCategories = {
  tenant: 'tenant',
  principal: 'principal',
  policy: 'policy',
  approval: 'approval',
  budget: 'budget',
} as const;
export const GOVERNANCE_EVENTS_SCHEMA_VERSION = 1;

const isoTime = z.string();

export const TenantCreatedSchema = z.object({ tenantId: z.string(), displayName: z.string() });

export const PrincipalCreatedSchema = z.object({
  principalId: z.string(),
  kind: z.enum(['USER', 'SERVICE']),
  name: z.string(),
  oidcSubject: z.string(),
  /** Set only on the bootstrap admin: system administrators create tenants. A tenant's own admin is not one. */
  systemAdmin: z.boolean().default(false),
});

export const ApiKeyCreatedSchema = z.object({
  keyId: z.string(),
  principalId: z.string(),
  prefix: z.string(),
  /** scrypt parameters and output, e.g. "scrypt$N=16384,r=8,p=1$<salt b64>$<hash b64>". */
  hash: z.string(),
  description: z.string(),
  expireTime: isoTime.nullable(),
});
export const ApiKeyRevokedSchema = z.object({ keyId: z.string(), principalId: z.string() });

export const RoleDefinedSchema = z.object({
  role: z.string(),
  permissions: z.array(z.string()),
  description: z.string(),
});
export const RoleAssignedSchema = z.object({ bindingId: z.string(), subject: z.string(), role: z.string() });
export const RoleRevokedSchema = z.object({ bindingId: z.string(), subject: z.string(), role: z.string() });
export const PolicyRuleAddedSchema = z.object({
  ruleId: z.string(),
  subject: z.string(),
  action: z.string(),
  resource: z.string(),
  effect: z.enum(['ALLOW', 'DENY']),
  requiresApproval: z.boolean(),
});
export const PolicyRuleRemovedSchema = z.object({ ruleId: z.string() });

/** The most of an action's input an approval keeps (Approval.arguments_json). */
export const MAX_APPROVAL_ARGUMENTS_CHARS = 16_384;

export const ApprovalRequestedSchema = z.object({
  approvalId: z.string(),
  subject: z.string(),
  action: z.string(),
  resource: z.string(),
  reason: z.string(),
  expireTime: isoTime,
  /** The action's input as the agent gave it (a tool call's arguments as JSON), cut at MAX_APPROVAL_ARGUMENTS_CHARS; absent in logs from before it was kept. */
  argumentsJson: z.string().default(''),
  /** Set when argumentsJson was cut. */
  argumentsTruncated: z.boolean().default(false),
  /** The run that asks (`<taskId>-<attempt>`); '' when no run asks. Once that run is no longer its task's running attempt, governance withdraws the approval. */
  runId: z.string().default(''),
});
export const ApprovalGrantedSchema = z.object({ approvalId: z.string(), decidedBy: z.string(), reason: z.string() });
export const ApprovalRejectedSchema = ApprovalGrantedSchema;
export const ApprovalExpiredSchema = z.object({ approvalId: z.string() });
/** Nobody decided before the run that asked ended or was given up (cancelled, abandoned, a newer attempt started). */
export const ApprovalWithdrawnSchema = z.object({ approvalId: z.string(), reason: z.string() });

export const BudgetSetSchema = z.object({
  scope: z.enum(['TENANT', 'AGENT']),
  agentId: z.string(),
  period: z.enum(['DAILY', 'MONTHLY', 'LIFETIME']),
  tokenLimit: z.number().int().nonnegative(),
  costLimitMicros: z.number().int().nonnegative(),
});
export const UsageRecordedSchema = z.object({
  scope: z.enum(['TENANT', 'AGENT']),
  agentId: z.string(),
  tokens: z.number().int().nonnegative(),
  costMicros: z.number().int().nonnegative(),
  /** What consumed it, e.g. a run id. */
  source: z.string(),
});

export const GovernanceEventSchemas = {
  TenantCreated: TenantCreatedSchema,
  PrincipalCreated: PrincipalCreatedSchema,
  ApiKeyCreated: ApiKeyCreatedSchema,
  ApiKeyRevoked: ApiKeyRevokedSchema,
  RoleDefined: RoleDefinedSchema,
  RoleAssigned: RoleAssignedSchema,
  RoleRevoked: RoleRevokedSchema,
  PolicyRuleAdded: PolicyRuleAddedSchema,
  PolicyRuleRemoved: PolicyRuleRemovedSchema,
  ApprovalRequested: ApprovalRequestedSchema,
  ApprovalGranted: ApprovalGrantedSchema,
  ApprovalRejected: ApprovalRejectedSchema,
  ApprovalExpired: ApprovalExpiredSchema,
  ApprovalWithdrawn: ApprovalWithdrawnSchema,
  BudgetSet: BudgetSetSchema,
  UsageRecorded: UsageRecordedSchema,
} as const;

const governanceEvents = eventFamily(GovernanceEventSchemas);
/** A domain event of the family: `type` plus its data, without the envelope. */
export type GovernanceEvent = EventOf<typeof GovernanceEventSchemas>;
export type GovernanceEventType = GovernanceEvent['type'];
export const GOVERNANCE_EVENT_TYPES: readonly GovernanceEventType[] = governanceEvents.types;
export const isGovernanceEventType = governanceEvents.is;
/** Validates an event read from the log; undefined for a type this version does not know; throws a ZodError on bad data. */
export const parseGovernanceEvent = governanceEvents.parse;
