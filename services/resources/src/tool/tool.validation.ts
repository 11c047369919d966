import type {
  DisableToolRequest,
  GetToolRequest,
  HttpMethodName,
  ListToolsRequest,
  RegisterMcpServerRequest,
  RegisterToolRequest,
  ToolKindName,
  ToolRiskName,
} from '@aos/contracts';
import { InvalidArgumentError } from '@aos/errors';
import type { ToolStatus } from './tool.decider';
import { validateInputSchemaJson } from './tool.input-schema';
import {
  CONTROL_CHARS,
  isNonNegativeInteger,
  requireBody,
  validateEnum,
  validateId,
  validatePageSize,
  validatePosition,
  validateRequestId,
  validateText,
  decodePageToken,
  validateExpectedRevision,
  validateIdOrName,
  type IdOrName,
} from '@aos/request-fields';

/**
 * Turns the bodies that arrive over NATS (ts-proto request types, as
 * @grpc/proto-loader decoded them at the gateway) into validated requests.
 * Nothing is trusted: a body may come from any NATS client, so types are
 * checked at run time too. Every error names the proto field in snake_case.
 */

export { validateRequestContext as validateContext } from '@aos/messaging';

export interface RegisterToolMutation {
  type: 'RegisterTool';
  requestId: string;
  name: string;
  description: string;
  risk: ToolRiskName;
  http: { endpoint: string; method: HttpMethodName };
  inputSchemaJson: string;
  /** What one call costs in micro-units; 0 is free. */
  priceMicros: number;
}
export interface RegisterMcpServerMutation {
  type: 'RegisterMcpServer';
  requestId: string;
  url: string;
  /** Undefined: tools whose annotations do not say are DESTRUCTIVE. */
  defaultRisk: ToolRiskName | undefined;
  namePrefix: string;
}
export interface DisableToolMutation {
  type: 'DisableTool';
  requestId: string;
  toolId: string;
  reason: string;
  expectedRevision: number | undefined;
}
export type ToolMutation = RegisterToolMutation | RegisterMcpServerMutation | DisableToolMutation;

export interface GetToolQuery {
  tool: IdOrName;
  minPosition: number;
}
export interface ToolFilter {
  kind?: ToolKindName;
  risk?: ToolRiskName;
  state?: ToolStatus;
  serverId?: string;
}
export interface ListToolsQuery {
  pageSize: number;
  /** createSeq of the last tool on the previous page; 0 for the first page. */
  afterSeq: number;
  filter: ToolFilter;
  minPosition: number;
}

export const LIMITS = {
  name: 64,
  namePrefix: 32,
  description: 2000,
  url: 2048,
  reason: 1000,
  requestId: 128,
  defaultPageSize: 50,
  maxPageSize: 1000,
  /** One million units of the budgets' currency per call. */
  priceMicros: 1_000_000_000_000,
} as const;

export const TOOL_NAME = /^[a-z0-9_-]{1,64}$/;
const NAME_PREFIX = /^[a-z0-9_-]{0,32}$/;
const RISKS: readonly ToolRiskName[] = ['READ', 'WRITE', 'DESTRUCTIVE'];
const KINDS: readonly ToolKindName[] = ['HTTP', 'MCP'];
const STATES: readonly ToolStatus[] = ['ENABLED', 'DISABLED'];
const METHODS: readonly HttpMethodName[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

export function validateRegisterTool(body: RegisterToolRequest | undefined): RegisterToolMutation {
  const request = requireBody(body);
  const requestId = validateRequestId(request.requestId);
  if (!request.tool || typeof request.tool !== 'object') throw new InvalidArgumentError('tool', 'is required');
  const tool = request.tool as unknown as Record<string, unknown>;
  const name = validateToolName('tool.name', tool.name);
  const description = validateText('tool.description', tool.description, LIMITS.description);
  const risk = validateEnum('tool.risk', tool.risk, RISKS);
  if (!risk) throw new InvalidArgumentError('tool.risk', `is required: one of ${RISKS.join(', ')}`);
  const http = tool.http as Record<string, unknown> | undefined | null;
  if (!http || typeof http !== 'object')
    throw new InvalidArgumentError('tool.http', 'is required (endpoint and method)');
  const endpoint = validateHttpUrl('tool.http.endpoint', http.endpoint);
  const method = validateMethod('tool.http.method', http.method);
  const schemaText = tool.inputSchemaJson ?? '';
  if (typeof schemaText !== 'string') throw new InvalidArgumentError('tool.input_schema_json', 'must be a string');
  const inputSchemaJson = validateInputSchemaJson('tool.input_schema_json', schemaText);
  const priceMicros = validatePrice('tool.price_micros', tool.priceMicros);
  return {
    type: 'RegisterTool',
    requestId,
    name,
    description,
    risk,
    http: { endpoint, method },
    inputSchemaJson,
    priceMicros,
  };
}

/** A per-call price in micro-units: an integer 0..LIMITS.priceMicros; absent is 0 (free). */
function validatePrice(field: string, value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (!isNonNegativeInteger(value) || value > LIMITS.priceMicros) {
    throw new InvalidArgumentError(field, `must be an integer from 0 to ${LIMITS.priceMicros} (micro-units per call)`);
  }
  return value;
}

export function validateRegisterMcpServer(body: RegisterMcpServerRequest | undefined): RegisterMcpServerMutation {
  const request = requireBody(body);
  const requestId = validateRequestId(request.requestId);
  const url = validateHttpUrl('url', request.url);
  const defaultRisk = validateEnum('default_risk', request.defaultRisk, RISKS);
  const namePrefix = request.namePrefix ?? '';
  if (typeof namePrefix !== 'string' || !NAME_PREFIX.test(namePrefix)) {
    throw new InvalidArgumentError('name_prefix', `must be at most ${LIMITS.namePrefix} characters of [a-z0-9_-]`);
  }
  return { type: 'RegisterMcpServer', requestId, url, defaultRisk, namePrefix };
}

export function validateDisableTool(body: DisableToolRequest | undefined): DisableToolMutation {
  const request = requireBody(body);
  const toolId = validateId('id', request.id);
  const requestId = validateRequestId(request.requestId);
  const reason = validateText('reason', request.reason, LIMITS.reason);
  const expectedRevision = validateExpectedRevision(request.expectedRevision);
  return { type: 'DisableTool', requestId, toolId, reason, expectedRevision };
}

export function validateGetTool(body: GetToolRequest | undefined): GetToolQuery {
  const request = requireBody(body);
  return {
    tool: validateIdOrName(request.id, request.name),
    minPosition: validatePosition('min_position', request.minPosition),
  };
}

export function validateListTools(body: ListToolsRequest | undefined): ListToolsQuery {
  const request = requireBody(body);
  const filter: ToolFilter = {};
  const kind = validateEnum('kind', request.kind, KINDS);
  const risk = validateEnum('risk', request.risk, RISKS);
  const state = validateEnum('state', request.state, STATES);
  if (kind) filter.kind = kind;
  if (risk) filter.risk = risk;
  if (state) filter.state = state;
  if (request.serverId !== undefined && request.serverId !== null && request.serverId !== '') {
    filter.serverId = validateId('server_id', request.serverId);
  }
  return {
    pageSize: validatePageSize(request.pageSize),
    afterSeq: decodePageToken(request.pageToken, 'ListTools', filterKey(filter)),
    filter,
    minPosition: validatePosition('min_position', request.minPosition),
  };
}

/** What a ListTools page token is bound to: its filters, so a token is not replayed under others. */
export function filterKey(filter: ToolFilter): string {
  return [filter.kind ?? '', filter.risk ?? '', filter.state ?? '', filter.serverId ?? ''].join('/');
}

export function validateToolName(field: string, value: unknown): string {
  if (value === undefined || value === null || value === '') throw new InvalidArgumentError(field, 'is required');
  if (typeof value !== 'string' || !TOOL_NAME.test(value)) {
    throw new InvalidArgumentError(field, `must be 1-${LIMITS.name} characters of [a-z0-9_-]`);
  }
  return value;
}

/**
 * An absolute http(s) URL: the resources service and the runtime connect to it.
 * No user:password part: it would be stored in the log and shown to everyone
 * who may read the tool.
 */
function validateHttpUrl(field: string, value: unknown): string {
  if (value === undefined || value === null || value === '') throw new InvalidArgumentError(field, 'is required');
  if (typeof value !== 'string' || value.length > LIMITS.url || CONTROL_CHARS.test(value)) {
    throw new InvalidArgumentError(field, `must be an http:// or https:// URL of at most ${LIMITS.url} characters`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(field, `must be an absolute http:// or https:// URL; got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError(field, `must be an http:// or https:// URL; got scheme ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidArgumentError(field, 'must not contain credentials (user:password@)');
  }
  return url.toString();
}

function validateMethod(field: string, value: unknown): HttpMethodName {
  if (value === undefined || value === null || value === '') {
    throw new InvalidArgumentError(field, `is required: one of ${METHODS.join(', ')}`);
  }
  const upper = typeof value === 'string' ? value.trim().toUpperCase() : '';
  const method = METHODS.find((m) => m === upper);
  if (!method) throw new InvalidArgumentError(field, `must be one of ${METHODS.join(', ')}`);
  return method;
}
