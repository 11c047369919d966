import type {
  AgentDefinition,
  AgentTransitionRequest,
  CreateAgentRequest,
  GetAgentRequest,
  GetAgentStatsRequest,
  ListAgentsRequest,
  ListAgentVersionsRequest,
  RecordSessionBody,
  RollbackAgentRequest,
  UpdateAgentRequest,
} from '@aos/contracts';
import { assertNever, InvalidArgumentError } from '@aos/errors';
import { validate as isUuid } from 'uuid';
import { DEFINITION_FIELDS, type AgentTransitionCommand, type DefinitionField } from './agent.decider';
import { LABEL_KEY_PATTERN, parseAgentFilter, type AgentFilterTerm } from './agent.filter';
import {
  CONTROL_CHARS,
  charLength as length,
  requireBody,
  validatePageSize,
  validatePosition,
  validateRequestId,
  validateText,
  decodePageToken,
  validateExpectedRevision,
  validateId,
  validateIdOrName,
  isNonNegativeInteger,
  type IdOrName,
} from '@aos/request-fields';

/**
 * Turns the bodies that arrive over NATS (ts-proto request types, as
 * @grpc/proto-loader decoded them at the gateway) into validated requests.
 * Nothing is trusted: a body may come from any NATS client, so types are
 * checked at run time too. Every error names the proto field in snake_case.
 */

export interface CreateAgentMutation {
  type: 'CreateAgent';
  requestId: string;
  definition: AgentDefinition;
}
export interface UpdateAgentMutation {
  type: 'UpdateAgent';
  requestId: string;
  agentId: string;
  changes: Partial<AgentDefinition>;
  expectedRevision: number | undefined;
}
export interface TransitionMutation {
  type: AgentTransitionCommand['type'];
  requestId: string;
  agentId: string;
  reason: string;
  expectedRevision: number | undefined;
}
export interface RollbackAgentMutation {
  type: 'RollbackAgent';
  requestId: string;
  agentId: string;
  toVersion: number;
  expectedRevision: number | undefined;
}
export type AgentMutation = CreateAgentMutation | UpdateAgentMutation | RollbackAgentMutation | TransitionMutation;

export interface GetAgentQuery {
  agent: IdOrName;
  minPosition: number;
}
export interface GetAgentStatsQuery extends GetAgentQuery {
  windowMs: number;
}
/** What the runtime asks to record of an external agent's session. */
export type SessionRecord =
  | { type: 'RecordSessionAttached'; agentId: string; sessionId: string; maxConcurrentTasks: number }
  | { type: 'RecordSessionEnded'; agentId: string; sessionId: string; reason: string };
export interface ListAgentsQuery {
  pageSize: number;
  /** Position of the AgentCreated of the last agent on the previous page; 0 for the first page. */
  afterPosition: number;
  filter: AgentFilterTerm[];
  /** The filter as the caller wrote it; a page token is only valid with the same filter. */
  filterText: string;
  minPosition: number;
}

export interface ListAgentVersionsQuery {
  agentId: string;
  pageSize: number;
  /** The oldest version of the previous page; 0 for the first page (from the newest). */
  beforeVersion: number;
  minPosition: number;
}

/** GetAgentStats' window: 24 hours unless given, at most 30 days (the figures keep 30 days of runs). */
export const DEFAULT_STATS_WINDOW_SECONDS = 86_400;
export const MAX_STATS_WINDOW_SECONDS = 2_592_000;

export const LIMITS = {
  name: 100,
  description: 2000,
  capabilities: 50,
  capability: 64,
  instructions: 20_000,
  model: 200,
  requestId: 128,
  reason: 1000,
  labelValue: 255,
  // Not stated in the proto; generous bounds so that one request cannot grow an agent without limit.
  labels: 64,
  ids: 100,
  id: 128,
  defaultPageSize: 50,
  maxPageSize: 1000,
} as const;

/** Proto field (snake_case) → definition field, in the order the proto lists them. */
const MASK_PATHS: Record<string, DefinitionField> = {
  name: 'name',
  description: 'description',
  capabilities: 'capabilities',
  instructions: 'instructions',
  model: 'model',
  tool_ids: 'toolIds',
  knowledge_base_ids: 'knowledgeBaseIds',
  labels: 'labels',
};
export const PROTO_NAMES = Object.fromEntries(
  Object.entries(MASK_PATHS).map(([proto, field]) => [field, proto]),
) as Record<DefinitionField, string>;

/** The request context is checked the same way by every service. */
export { validateRequestContext as validateContext } from '@aos/messaging';

export function validateCreateAgent(body: CreateAgentRequest | undefined): CreateAgentMutation {
  const request = requireBody(body);
  const requestId = validateRequestId(request.requestId);
  if (!request.agent || typeof request.agent !== 'object') throw new InvalidArgumentError('agent', 'is required');
  // Only the writable fields are read; output-only fields a caller sends are ignored.
  const agent = request.agent as unknown as Record<string, unknown>;
  const definition = Object.fromEntries(
    DEFINITION_FIELDS.map((field) => [field, validateDefinitionField(field, agent[field])]),
  ) as AgentDefinition;
  return { type: 'CreateAgent', requestId, definition };
}

export function validateUpdateAgent(body: UpdateAgentRequest | undefined): UpdateAgentMutation {
  const request = requireBody(body);
  const agentId = validateAgentId(request.id);
  const requestId = validateRequestId(request.requestId);
  const expectedRevision = validateExpectedRevision(request.expectedRevision);
  const agent = (request.agent ?? {}) as unknown as Record<string, unknown>;
  if (typeof agent !== 'object') throw new InvalidArgumentError('agent', 'must be an Agent message');
  const fields = maskedFields(request.updateMask, agent);
  const changes: Partial<Record<DefinitionField, unknown>> = {};
  for (const field of fields) changes[field] = validateDefinitionField(field, agent[field]);
  return { type: 'UpdateAgent', requestId, agentId, changes: changes as Partial<AgentDefinition>, expectedRevision };
}

export function validateTransition(
  type: AgentTransitionCommand['type'],
  body: AgentTransitionRequest | undefined,
): TransitionMutation {
  const request = requireBody(body);
  const agentId = validateAgentId(request.id);
  const requestId = validateRequestId(request.requestId);
  const expectedRevision = validateExpectedRevision(request.expectedRevision);
  const reason = validateText('reason', request.reason, LIMITS.reason, { multiline: true });
  return { type, requestId, agentId, reason, expectedRevision };
}

export function validateGetAgent(body: GetAgentRequest | undefined): GetAgentQuery {
  const request = requireBody(body);
  return {
    agent: validateIdOrName(request.id, request.name),
    minPosition: validatePosition('min_position', request.minPosition),
  };
}

export function validateGetAgentStats(body: GetAgentStatsRequest | undefined): GetAgentStatsQuery {
  const request = requireBody(body);
  const window = request.windowSeconds ?? 0;
  if (!isNonNegativeInteger(window) || window > MAX_STATS_WINDOW_SECONDS) {
    throw new InvalidArgumentError('window_seconds', `must be an integer from 0 to ${MAX_STATS_WINDOW_SECONDS}`);
  }
  return {
    agent: validateIdOrName(request.id, request.name),
    windowMs: (window === 0 ? DEFAULT_STATS_WINDOW_SECONDS : window) * 1000,
    minPosition: validatePosition('min_position', request.minPosition),
  };
}

/** The body's types were checked on receipt (its zod schema); the ids and the reason are checked here. */
export function validateRecordSession(body: RecordSessionBody | undefined): SessionRecord {
  const request = requireBody(body);
  const agentId = validateId('agentId', request.agentId);
  const sessionId = validateId('sessionId', request.sessionId);
  if (request.event === 'attached') {
    return { type: 'RecordSessionAttached', agentId, sessionId, maxConcurrentTasks: request.maxConcurrentTasks };
  }
  const reason = validateText('reason', request.reason, LIMITS.reason);
  return { type: 'RecordSessionEnded', agentId, sessionId, reason };
}

export function validateListAgents(body: ListAgentsRequest | undefined): ListAgentsQuery {
  const request = requireBody(body);
  const filterText = request.filter ?? '';
  if (typeof filterText !== 'string') throw new InvalidArgumentError('filter', 'must be a string');
  const filter = parseAgentFilter(filterText);
  return {
    pageSize: validatePageSize(request.pageSize),
    afterPosition: decodePageToken(request.pageToken, 'ListAgents', filterText),
    filter,
    filterText,
    minPosition: validatePosition('min_position', request.minPosition),
  };
}

export function validateRollbackAgent(body: RollbackAgentRequest | undefined): RollbackAgentMutation {
  const request = requireBody(body);
  const agentId = validateAgentId(request.id);
  const requestId = validateRequestId(request.requestId);
  const expectedRevision = validateExpectedRevision(request.expectedRevision);
  const toVersion: unknown = request.toVersion;
  if (toVersion === undefined || toVersion === null || toVersion === 0) {
    throw new InvalidArgumentError('to_version', 'is required');
  }
  if (!isNonNegativeInteger(toVersion)) throw new InvalidArgumentError('to_version', 'must be a positive integer');
  return { type: 'RollbackAgent', requestId, agentId, toVersion, expectedRevision };
}

/** The page token is bound to the agent: a token of another agent's history is INVALID_ARGUMENT. */
export function validateListAgentVersions(body: ListAgentVersionsRequest | undefined): ListAgentVersionsQuery {
  const request = requireBody(body);
  const agentId = validateAgentId(request.id);
  return {
    agentId,
    pageSize: validatePageSize(request.pageSize),
    beforeVersion: decodePageToken(request.pageToken, 'ListAgentVersions', agentId),
    minPosition: validatePosition('min_position', request.minPosition),
  };
}

/** Which definition fields an update writes: the mask's, or (empty mask) every field set to a non-default value. */
function maskedFields(rawMask: unknown, agent: Record<string, unknown>): DefinitionField[] {
  const paths = maskPaths(rawMask);
  if (paths.length === 0) {
    return Object.values(MASK_PATHS).filter((field) => isSet(agent[field]));
  }
  return [
    ...new Set(
      paths.map((path) => {
        const field = typeof path === 'string' && Object.hasOwn(MASK_PATHS, path) ? MASK_PATHS[path] : undefined;
        if (!field) {
          throw new InvalidArgumentError(
            'update_mask',
            `unknown path ${JSON.stringify(path)}; paths are ${Object.keys(MASK_PATHS).join(', ')}`,
          );
        }
        return field;
      }),
    ),
  ];
}

/**
 * The ts-proto type describes a FieldMask as `string[]`, while @grpc/proto-loader
 * (what the gateway forwards) decodes it as `{ paths: string[] }`; accept both.
 */
function maskPaths(raw: unknown): unknown[] {
  if (raw === undefined || raw === null) return [];
  if (Array.isArray(raw)) return raw;
  if (typeof raw === 'object' && Array.isArray((raw as { paths?: unknown }).paths))
    return (raw as { paths: unknown[] }).paths;
  throw new InvalidArgumentError('update_mask', 'must be a FieldMask');
}

/** proto3 presence for scalars: a value is set when it differs from its default. */
function isSet(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string' || Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

function validateDefinitionField(field: DefinitionField, value: unknown): AgentDefinition[DefinitionField] {
  const name = `agent.${PROTO_NAMES[field]}`;
  switch (field) {
    case 'name':
      return validateName(name, value);
    case 'description':
      return validateText(name, value, LIMITS.description, { multiline: true });
    case 'instructions':
      return validateText(name, value, LIMITS.instructions, { multiline: true });
    case 'model':
      return validateText(name, value, LIMITS.model, { multiline: false });
    case 'capabilities':
      return validateStringList(name, value, LIMITS.capabilities, LIMITS.capability);
    case 'toolIds':
    case 'knowledgeBaseIds':
      return validateStringList(name, value, LIMITS.ids, LIMITS.id);
    case 'labels':
      return validateLabels(name, value);
    default:
      return assertNever(field);
  }
}

function validateName(field: string, value: unknown): string {
  if (value === undefined || value === null) throw new InvalidArgumentError(field, 'is required');
  if (typeof value !== 'string') throw new InvalidArgumentError(field, 'must be a string');
  const name = value.trim();
  if (name === '') throw new InvalidArgumentError(field, 'is required');
  if (length(name) > LIMITS.name) throw new InvalidArgumentError(field, `must be at most ${LIMITS.name} characters`);
  if (CONTROL_CHARS.test(name)) throw new InvalidArgumentError(field, 'must not contain control characters');
  return name;
}

function validateStringList(field: string, value: unknown, maxItems: number, maxLength: number): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new InvalidArgumentError(field, 'must be a list of strings');
  if (value.length > maxItems) throw new InvalidArgumentError(field, `must have at most ${maxItems} entries`);
  const items = value.map((item, i) => {
    if (typeof item !== 'string') throw new InvalidArgumentError(field, `entry ${i} must be a string`);
    const trimmed = item.trim();
    if (trimmed === '' || length(trimmed) > maxLength || CONTROL_CHARS.test(trimmed)) {
      throw new InvalidArgumentError(field, `entry ${i} must be 1-${maxLength} characters without control characters`);
    }
    return trimmed;
  });
  const duplicate = items.find((item, i) => items.indexOf(item) !== i);
  if (duplicate !== undefined) throw new InvalidArgumentError(field, `${JSON.stringify(duplicate)} is listed twice`);
  return items;
}

function validateLabels(field: string, value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new InvalidArgumentError(field, 'must be a map of strings');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > LIMITS.labels)
    throw new InvalidArgumentError(field, `must have at most ${LIMITS.labels} entries`);
  for (const [key, v] of entries) {
    if (!LABEL_KEY_PATTERN.test(key)) {
      throw new InvalidArgumentError(field, `key ${JSON.stringify(key)} must be 1-63 characters of [a-z0-9_.-]`);
    }
    if (typeof v !== 'string' || length(v) > LIMITS.labelValue || CONTROL_CHARS.test(v)) {
      throw new InvalidArgumentError(
        field,
        `value of ${JSON.stringify(key)} must be a string of at most ${LIMITS.labelValue} characters`,
      );
    }
  }
  // Sorted keys, so that two requests with the same labels record the same definition.
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as Record<string, string>;
}

/**
 * Agent ids are UUIDs. A malformed id cannot name any agent, so it is a bad
 * argument; a well-formed id that names no agent of the tenant is NOT_FOUND.
 */
function validateAgentId(value: unknown): string {
  if (value === undefined || value === null || value === '') throw new InvalidArgumentError('id', 'is required');
  if (typeof value !== 'string' || !isUuid(value)) throw new InvalidArgumentError('id', 'must be a UUID');
  return value.toLowerCase();
}
