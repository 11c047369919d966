import { z } from 'zod';
import type {
  Agent,
  AgentStats,
  AgentTransitionRequest,
  CreateAgentRequest,
  GetAgentRequest,
  GetAgentStatsRequest,
  ListAgentsRequest,
  ListAgentsResponse,
  ListAgentVersionsRequest,
  ListAgentVersionsResponse,
  RollbackAgentRequest,
  UpdateAgentRequest,
} from './gen/aos/v1/agent';
import type {
  ConsistencyProof,
  CreateCheckpointRequest,
  ExportEventsRequest,
  GetCheckpointRequest,
  GetConsistencyProofRequest,
  GetInclusionProofRequest,
  GetLogKeyRequest,
  InclusionProof,
  ListEventsRequest,
  ListEventsResponse,
  LogCheckpoint,
  LogKey,
  VerifyLogRequest,
  VerifyLogResponse,
} from './gen/aos/v1/audit';
import type { ExecuteRequest, Execution, GetPlanRequest, InterpretRequest, Plan } from './gen/aos/v1/command';
import type {
  AddPolicyRuleRequest,
  ApiKey,
  Approval,
  AssignRoleRequest,
  Budget,
  CheckAccessRequest,
  CheckAccessResponse,
  CreateApiKeyRequest,
  CreateApiKeyResponse,
  CreatePrincipalRequest,
  CreateTenantRequest,
  CreateTenantResponse,
  DecideApprovalRequest,
  DefineRoleRequest,
  GetBudgetRequest,
  GetPrincipalRequest,
  ListApiKeysRequest,
  ListApiKeysResponse,
  ListApprovalsRequest,
  ListApprovalsResponse,
  ListPolicyRulesRequest,
  ListPolicyRulesResponse,
  ListPrincipalsRequest,
  ListPrincipalsResponse,
  ListRoleBindingsRequest,
  ListRoleBindingsResponse,
  ListRolesRequest,
  ListRolesResponse,
  ListTenantsRequest,
  ListTenantsResponse,
  PolicyRule,
  Principal,
  RemovePolicyRuleRequest,
  RevokeApiKeyRequest,
  RevokeRoleRequest,
  Role,
  RoleBinding,
  SetBudgetRequest,
} from './gen/aos/v1/governance';
import type {
  CancelTaskRequest,
  GetTaskRequest,
  ListTasksRequest,
  ListTasksResponse,
  ReassignTaskRequest,
  SubmitTaskRequest,
  Task,
} from './gen/aos/v1/task';
import type {
  DisableToolRequest,
  GetToolRequest,
  ListToolsRequest,
  ListToolsResponse,
  RegisterMcpServerRequest,
  RegisterMcpServerResponse,
  RegisterToolRequest,
  Tool,
} from './gen/aos/v1/tool';
import type {
  AddDocumentRequest,
  CreateKnowledgeBaseRequest,
  Document,
  GetDocumentRequest,
  GetKnowledgeBaseRequest,
  KnowledgeBase,
  ListDocumentsRequest,
  ListDocumentsResponse,
  ListKnowledgeBasesRequest,
  ListKnowledgeBasesResponse,
  RemoveDocumentRequest,
  SearchRequest,
  SearchResponse,
} from './gen/aos/v1/knowledge';
import type {
  ContextEntry,
  DeleteContextRequest,
  GetContextRequest,
  ListContextRequest,
  ListContextResponse,
  PutContextRequest,
} from './gen/aos/v1/context';
import { RecordUsageBodySchema, RequestApprovalBodySchema, type RecordUsageReply } from './governance-protocol';
import {
  ClaimRunBodySchema,
  ReleaseRunBodySchema,
  RenewLeasesBodySchema,
  type ClaimRunReply,
  type ReleaseRunReply,
  type RenewLeasesReply,
} from './run-protocol';
import { DirectToolCallBodySchema, type DirectToolCallReply } from './direct-tool-call';
import {
  OpenSessionBodySchema,
  SessionInboundSchema,
  SessionOutboundSchema,
  type OpenSessionReply,
} from './runtime-session';

/**
 * A NATS request/reply subject, `aos.<service>.<verb>`, with its body and
 * reply types declared once: the sender's `request(subject, ctx, body)`
 * infers both, and the receiver checks the body against `body` on receipt
 * (INVALID_ARGUMENT naming the field that does not match) before its own
 * validation. The bodies of the public subjects are the gRPC request
 * messages the gateway forwards (ts-proto types); the receiving service's
 * validators check every field of those. Internal bodies are zod schemas here.
 */
export interface Subject<Body, Reply> {
  readonly name: string;
  readonly body: z.ZodType<Body>;
  /** The reply's type; never set (a type carrier). */
  readonly reply?: Reply;
}

export type BodyOf<S> = S extends Subject<infer B, unknown> ? B : never;
export type ReplyOf<S> = S extends Subject<unknown, infer R> ? R : never;

function subject<Body, Reply>(name: string, body: z.ZodType<Body>): Subject<Body, Reply> {
  return { name, body };
}

/**
 * A protobuf message as JSON carries it: any field may be absent (proto3's
 * default), as it may from any client; the receiver's validators say which
 * are required. The gateway forwards whole messages.
 */
export type WireMessage<T> = T extends readonly (infer U)[]
  ? WireMessage<U>[]
  : T extends object
    ? { [K in keyof T]?: WireMessage<T[K]> }
    : T;

/** A gRPC request message as it travels: an object, its fields checked by the receiving service. */
function message<T>(): z.ZodType<WireMessage<T>> {
  return z.custom<WireMessage<T>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
    message: 'must be a request message (an object)',
  });
}

/** A public subject: the gRPC method's request message in, its response out. */
function method<Request, Response>(name: string): Subject<WireMessage<Request>, Response> {
  return subject<WireMessage<Request>, Response>(name, message<Request>());
}

export const RecordSessionBodySchema = z.object({
  agentId: z.string(),
  sessionId: z.string(),
  event: z.enum(['attached', 'ended']),
  /** The attached session's max_concurrent_tasks (0 for `ended`). */
  maxConcurrentTasks: z.number().int().nonnegative(),
  /** Why the session ended ('' for `attached`). */
  reason: z.string(),
});
export type RecordSessionBody = z.infer<typeof RecordSessionBodySchema>;
/** The log position the record reached (a retried record answers the first one's). */
export interface RecordSessionReply {
  position: number;
}

export const LifecycleSubjects = {
  create: method<CreateAgentRequest, Agent>('aos.lifecycle.create'),
  get: method<GetAgentRequest, Agent>('aos.lifecycle.get'),
  list: method<ListAgentsRequest, ListAgentsResponse>('aos.lifecycle.list'),
  update: method<UpdateAgentRequest, Agent>('aos.lifecycle.update'),
  deploy: method<AgentTransitionRequest, Agent>('aos.lifecycle.deploy'),
  pause: method<AgentTransitionRequest, Agent>('aos.lifecycle.pause'),
  resume: method<AgentTransitionRequest, Agent>('aos.lifecycle.resume'),
  retire: method<AgentTransitionRequest, Agent>('aos.lifecycle.retire'),
  listVersions: method<ListAgentVersionsRequest, ListAgentVersionsResponse>('aos.lifecycle.list-versions'),
  rollback: method<RollbackAgentRequest, Agent>('aos.lifecycle.rollback'),
  getStats: method<GetAgentStatsRequest, AgentStats>('aos.lifecycle.get-stats'),
  /**
   * Internal (runtime → lifecycle): an external agent's session attached or
   * ended; recorded on the agent's stream (AgentSessionAttached /
   * AgentSessionEnded), once per session and event however often it is sent.
   */
  recordSession: subject<RecordSessionBody, RecordSessionReply>(
    'aos.lifecycle.record-session',
    RecordSessionBodySchema,
  ),
} as const;

/** The commands service (CommandService): plain language to plans, and their execution. */
export const CommandSubjects = {
  interpret: method<InterpretRequest, Plan>('aos.commands.interpret'),
  execute: method<ExecuteRequest, Execution>('aos.commands.execute'),
  getPlan: method<GetPlanRequest, Plan>('aos.commands.get-plan'),
} as const;

/**
 * One page of an AuditService.ExportEvents file. The gateway asks for pages
 * in turn, each continuing after the previous page's `next`, and streams
 * their text to the caller; `until` 0 on the first page means the index's
 * newest event at that read, which the reply returns for the later pages.
 */
export interface ExportPageRequest {
  request: Partial<ExportEventsRequest>;
  after: number;
  until: number;
  /** Start the file (the CSV header line, a bundle's header). */
  first: boolean;
  /** A bundle's tree size, as the first page fixed it (0 on the first page). */
  treeSize?: number;
  /** A bundle's totals over the pages before this one, for its trailer. */
  count?: number;
  firstPosition?: number;
  lastPosition?: number;
}

export interface ExportPageReply {
  /** The page's part of the file (UTF-8 text). */
  text: string;
  events: number;
  /** Positions of the page's first and last event (0 when it has none). */
  firstPosition: number;
  lastPosition: number;
  /** Where the next page starts (after this position). */
  next: number;
  /** The export's last position (the request's `until`, or the index head when that was 0). */
  until: number;
  done: boolean;
  /** A bundle's tree size (the checkpoint its proofs are for); 0 for other formats. */
  treeSize: number;
}

/**
 * The export-page body as the audit service checks it on receipt: an internal subject (gateway → audit), so its own
 * fields are typed here; the caller's request inside is checked field by field as ListEvents' is.
 */
const ExportPageBodySchema = z.object({
  request: message<ExportEventsRequest>().optional(),
  after: z.number().optional(),
  until: z.number().optional(),
  first: z.boolean().optional(),
  treeSize: z.number().optional(),
  count: z.number().optional(),
  firstPosition: z.number().optional(),
  lastPosition: z.number().optional(),
});

/**
 * A reply as JSON carries it over NATS: its `bytes` fields (Uint8Array) as
 * base64 strings; the gateway turns them back into bytes (base64Fields).
 */
export type Base64Bytes<T> = {
  [K in keyof T]: T[K] extends Uint8Array ? string : T[K] extends Uint8Array[] ? string[] : T[K];
};

/** A reply's base64 `bytes` fields (those named) as bytes again, for the gRPC answer. */
export function base64Fields<T>(reply: Base64Bytes<T>, fields: readonly (keyof T)[]): T {
  const out: Record<string, unknown> = { ...(reply as Record<string, unknown>) };
  for (const field of fields) {
    const value = out[field as string];
    out[field as string] = Array.isArray(value)
      ? value.map((v) => Buffer.from(String(v), 'base64'))
      : Buffer.from(typeof value === 'string' ? value : '', 'base64');
  }
  return out as T;
}

export const AuditSubjects = {
  list: method<Partial<ListEventsRequest>, ListEventsResponse>('aos.audit.list'),
  getLogKey: method<GetLogKeyRequest, LogKey>('aos.audit.get-log-key'),
  getCheckpoint: method<GetCheckpointRequest, Base64Bytes<LogCheckpoint>>('aos.audit.get-checkpoint'),
  createCheckpoint: method<CreateCheckpointRequest, Base64Bytes<LogCheckpoint>>('aos.audit.create-checkpoint'),
  verifyLog: method<VerifyLogRequest, Base64Bytes<VerifyLogResponse>>('aos.audit.verify-log'),
  getInclusionProof: method<GetInclusionProofRequest, Base64Bytes<InclusionProof>>('aos.audit.get-inclusion-proof'),
  getConsistencyProof: method<GetConsistencyProofRequest, Base64Bytes<ConsistencyProof>>(
    'aos.audit.get-consistency-proof',
  ),
  /** Internal (gateway → audit): one page of an ExportEvents file. */
  exportPage: subject<Partial<ExportPageRequest>, ExportPageReply>(
    'aos.audit.export-page',
    ExportPageBodySchema as unknown as z.ZodType<Partial<ExportPageRequest>>,
  ),
} as const;

/**
 * Governance: one subject per GovernanceService method (the gateway forwards
 * the gRPC request body), plus the internal commands the runtime sends.
 */
export const GovernanceSubjects = {
  createTenant: method<CreateTenantRequest, CreateTenantResponse>('aos.governance.create-tenant'),
  listTenants: method<ListTenantsRequest, ListTenantsResponse>('aos.governance.list-tenants'),
  createPrincipal: method<CreatePrincipalRequest, Principal>('aos.governance.create-principal'),
  getPrincipal: method<GetPrincipalRequest, Principal>('aos.governance.get-principal'),
  listPrincipals: method<ListPrincipalsRequest, ListPrincipalsResponse>('aos.governance.list-principals'),
  createApiKey: method<CreateApiKeyRequest, CreateApiKeyResponse>('aos.governance.create-api-key'),
  listApiKeys: method<ListApiKeysRequest, ListApiKeysResponse>('aos.governance.list-api-keys'),
  revokeApiKey: method<RevokeApiKeyRequest, ApiKey>('aos.governance.revoke-api-key'),
  defineRole: method<DefineRoleRequest, Role>('aos.governance.define-role'),
  listRoles: method<ListRolesRequest, ListRolesResponse>('aos.governance.list-roles'),
  assignRole: method<AssignRoleRequest, RoleBinding>('aos.governance.assign-role'),
  revokeRole: method<RevokeRoleRequest, RoleBinding>('aos.governance.revoke-role'),
  listRoleBindings: method<ListRoleBindingsRequest, ListRoleBindingsResponse>('aos.governance.list-role-bindings'),
  addPolicyRule: method<AddPolicyRuleRequest, PolicyRule>('aos.governance.add-policy-rule'),
  removePolicyRule: method<RemovePolicyRuleRequest, PolicyRule>('aos.governance.remove-policy-rule'),
  listPolicyRules: method<ListPolicyRulesRequest, ListPolicyRulesResponse>('aos.governance.list-policy-rules'),
  checkAccess: method<CheckAccessRequest, CheckAccessResponse>('aos.governance.check-access'),
  listApprovals: method<ListApprovalsRequest, ListApprovalsResponse>('aos.governance.list-approvals'),
  decideApproval: method<DecideApprovalRequest, Approval>('aos.governance.decide-approval'),
  setBudget: method<SetBudgetRequest, Budget>('aos.governance.set-budget'),
  getBudget: method<GetBudgetRequest, Budget>('aos.governance.get-budget'),
  /** Internal (runtime → governance): ask a person to approve an action. */
  requestApproval: subject<z.infer<typeof RequestApprovalBodySchema>, Approval>(
    'aos.governance.request-approval',
    RequestApprovalBodySchema,
  ),
  /** Internal (runtime → governance): charge token/cost usage to budgets; RESOURCE_EXHAUSTED when used up. */
  recordUsage: subject<z.infer<typeof RecordUsageBodySchema>, RecordUsageReply>(
    'aos.governance.record-usage',
    RecordUsageBodySchema,
  ),
} as const;

/**
 * AddDocument as it travels over NATS: `content` as base64. Bytes in a JSON
 * body would be an array of numbers, about 3.6 times their size, so a 512 KiB
 * document would not fit in a NATS message (1 MiB); base64 is 4/3.
 */
export type AddDocumentBody = Omit<AddDocumentRequest, 'content'> & { content: string };

/**
 * Resources: one subject per ToolService, KnowledgeService and ContextService
 * method (the gateway forwards the gRPC request body; WatchContext is served
 * by the gateway from the log). The runtime sends the same subjects for an
 * agent's built-in knowledge and context tools, as the agent.
 */
export const ResourcesSubjects = {
  registerTool: method<RegisterToolRequest, Tool>('aos.resources.register-tool'),
  registerMcpServer: method<RegisterMcpServerRequest, RegisterMcpServerResponse>('aos.resources.register-mcp-server'),
  getTool: method<GetToolRequest, Tool>('aos.resources.get-tool'),
  listTools: method<ListToolsRequest, ListToolsResponse>('aos.resources.list-tools'),
  disableTool: method<DisableToolRequest, Tool>('aos.resources.disable-tool'),
  createKnowledgeBase: method<CreateKnowledgeBaseRequest, KnowledgeBase>('aos.resources.create-knowledge-base'),
  getKnowledgeBase: method<GetKnowledgeBaseRequest, KnowledgeBase>('aos.resources.get-knowledge-base'),
  listKnowledgeBases: method<ListKnowledgeBasesRequest, ListKnowledgeBasesResponse>(
    'aos.resources.list-knowledge-bases',
  ),
  addDocument: method<AddDocumentBody, Document>('aos.resources.add-document'),
  listDocuments: method<ListDocumentsRequest, ListDocumentsResponse>('aos.resources.list-documents'),
  getDocument: method<GetDocumentRequest, Document>('aos.resources.get-document'),
  removeDocument: method<RemoveDocumentRequest, Document>('aos.resources.remove-document'),
  search: method<SearchRequest, SearchResponse>('aos.resources.search'),
  putContext: method<PutContextRequest, ContextEntry>('aos.resources.put-context'),
  getContext: method<GetContextRequest, ContextEntry>('aos.resources.get-context'),
  listContext: method<ListContextRequest, ListContextResponse>('aos.resources.list-context'),
  deleteContext: method<DeleteContextRequest, ContextEntry>('aos.resources.delete-context'),
} as const;

/**
 * Routing: one subject per TaskService method (the gateway forwards the gRPC
 * request body), plus the run-claim protocol through which a runner holds an
 * attempt of a task (bodies in run-protocol.ts).
 */
export const RoutingSubjects = {
  submit: method<SubmitTaskRequest, Task>('aos.routing.submit'),
  get: method<GetTaskRequest, Task>('aos.routing.get'),
  list: method<ListTasksRequest, ListTasksResponse>('aos.routing.list'),
  cancel: method<CancelTaskRequest, Task>('aos.routing.cancel'),
  reassign: method<ReassignTaskRequest, Task>('aos.routing.reassign'),
  /** Internal: claim the next attempt of an ASSIGNED task (ASSIGNED -> RUNNING). Only one claimant wins. */
  claimRun: subject<z.infer<typeof ClaimRunBodySchema>, ClaimRunReply>('aos.routing.claim-run', ClaimRunBodySchema),
  /** Internal: extend the leases of the runner's attempts; the reply lists those it no longer holds. */
  renewLeases: subject<z.infer<typeof RenewLeasesBodySchema>, RenewLeasesReply>(
    'aos.routing.renew-leases',
    RenewLeasesBodySchema,
  ),
  /** Internal: the runner gives up an attempt it holds (shutting down): abandoned now, not after the lease. */
  releaseRun: subject<z.infer<typeof ReleaseRunBodySchema>, ReleaseRunReply>(
    'aos.routing.release-run',
    ReleaseRunBodySchema,
  ),
} as const;

/**
 * Runtime: external agents' sessions (bodies in runtime-session.ts). Only
 * openSession is shared by the runtime's queue group; a session's own
 * subjects have exactly one subscriber each: the instance hosting it, and
 * the gateway holding its stream.
 */
export const RuntimeSubjects = {
  /** Gateway → any runtime instance: validate the agent and host a session. */
  openSession: subject<z.infer<typeof OpenSessionBodySchema>, OpenSessionReply>(
    'aos.runtime.open-session',
    OpenSessionBodySchema,
  ),
  /** Gateway (MCP endpoint) → any runtime instance: a principal's governed, recorded call of a registered tool. */
  callTool: subject<z.infer<typeof DirectToolCallBodySchema>, DirectToolCallReply>(
    'aos.runtime.call-tool',
    DirectToolCallBodySchema,
  ),
  /** Gateway → the hosting runtime instance: the agent's messages, pings, close. */
  session: (sessionId: string) =>
    subject<z.infer<typeof SessionInboundSchema>, Record<string, never>>(
      `aos.runtime.session.${sessionId}`,
      SessionInboundSchema,
    ),
  /** Hosting runtime instance → the gateway holding the stream: what to write to it. */
  gatewaySession: (sessionId: string) =>
    subject<z.infer<typeof SessionOutboundSchema>, Record<string, never>>(
      `aos.gateway.session.${sessionId}`,
      SessionOutboundSchema,
    ),
} as const;

/** Every subject a service answers in its queue group (the per-session ones are made per session). */
export const SERVICE_SUBJECTS: readonly Subject<unknown, unknown>[] = [
  ...Object.values(LifecycleSubjects),
  ...Object.values(AuditSubjects),
  ...Object.values(GovernanceSubjects),
  ...Object.values(ResourcesSubjects),
  ...Object.values(RoutingSubjects),
  ...Object.values(CommandSubjects),
  RuntimeSubjects.openSession,
  RuntimeSubjects.callTool,
] as Subject<unknown, unknown>[];

export const QueueGroups = {
  routing: 'routing',
  runtime: 'runtime',
  lifecycle: 'lifecycle',
  audit: 'audit',
  governance: 'governance',
  resources: 'resources',
  commands: 'commands',
} as const;
