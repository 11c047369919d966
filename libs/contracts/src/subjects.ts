/**
 * NATS request/reply subjects, `aos.<service>.<verb>`. Every service subscribes
 * in a queue group named after itself, so instances share the work.
 */
export const LifecycleSubjects = {
  create: 'aos.lifecycle.create',
  get: 'aos.lifecycle.get',
  list: 'aos.lifecycle.list',
  update: 'aos.lifecycle.update',
  deploy: 'aos.lifecycle.deploy',
  pause: 'aos.lifecycle.pause',
  resume: 'aos.lifecycle.resume',
  retire: 'aos.lifecycle.retire',
} as const;

export const AuditSubjects = {
  list: 'aos.audit.list',
} as const;

/**
 * Governance: one subject per GovernanceService method (the gateway forwards
 * the gRPC request body), plus the internal commands other services send.
 */
export const GovernanceSubjects = {
  createTenant: 'aos.governance.create-tenant',
  listTenants: 'aos.governance.list-tenants',
  createPrincipal: 'aos.governance.create-principal',
  getPrincipal: 'aos.governance.get-principal',
  listPrincipals: 'aos.governance.list-principals',
  createApiKey: 'aos.governance.create-api-key',
  listApiKeys: 'aos.governance.list-api-keys',
  revokeApiKey: 'aos.governance.revoke-api-key',
  defineRole: 'aos.governance.define-role',
  listRoles: 'aos.governance.list-roles',
  assignRole: 'aos.governance.assign-role',
  revokeRole: 'aos.governance.revoke-role',
  listRoleBindings: 'aos.governance.list-role-bindings',
  addPolicyRule: 'aos.governance.add-policy-rule',
  removePolicyRule: 'aos.governance.remove-policy-rule',
  listPolicyRules: 'aos.governance.list-policy-rules',
  checkAccess: 'aos.governance.check-access',
  listApprovals: 'aos.governance.list-approvals',
  decideApproval: 'aos.governance.decide-approval',
  setBudget: 'aos.governance.set-budget',
  getBudget: 'aos.governance.get-budget',
  /** Internal (runtime → governance): ask a person to approve an action. */
  requestApproval: 'aos.governance.request-approval',
  /** Internal (runtime → governance): charge token/cost usage to budgets; RESOURCE_EXHAUSTED when used up. */
  recordUsage: 'aos.governance.record-usage',
} as const;

/** Resources: one subject per ToolService method (the gateway forwards the gRPC request body). */
export const ResourcesSubjects = {
  registerTool: 'aos.resources.register-tool',
  registerMcpServer: 'aos.resources.register-mcp-server',
  getTool: 'aos.resources.get-tool',
  listTools: 'aos.resources.list-tools',
  disableTool: 'aos.resources.disable-tool',
} as const;

/**
 * Routing: one subject per TaskService method (the gateway forwards the gRPC
 * request body), plus the internal commands through which a runner (the
 * runtime, or the gateway for an attached external agent) moves a task it
 * runs. Their bodies are in run-protocol.ts.
 */
export const RoutingSubjects = {
  submit: 'aos.routing.submit',
  get: 'aos.routing.get',
  list: 'aos.routing.list',
  cancel: 'aos.routing.cancel',
  reassign: 'aos.routing.reassign',
  /** Internal: claim the next attempt of an ASSIGNED task (ASSIGNED -> RUNNING). Only one claimant wins. */
  startRun: 'aos.routing.start-run',
  /** Internal: extend the leases of the runner's attempts; the reply lists those it no longer holds. */
  renewLeases: 'aos.routing.renew-leases',
  /** Internal: RUNNING -> WAITING_APPROVAL. */
  awaitApproval: 'aos.routing.await-approval',
  /** Internal: WAITING_APPROVAL -> RUNNING (approved) or the approval's rejection. */
  resolveApproval: 'aos.routing.resolve-approval',
  /** Internal: the attempt's outcome: SUCCEEDED or FAILED. */
  finishRun: 'aos.routing.finish-run',
  /** Internal: the runner gives up an attempt it holds (shutting down): abandoned now, not after the lease. */
  releaseRun: 'aos.routing.release-run',
} as const;

/**
 * Runtime: external agents' sessions (bodies in runtime-session.ts). Only
 * openSession is shared by the runtime's queue group; a session's own
 * subjects have exactly one subscriber each: the instance hosting it, and
 * the gateway holding its stream.
 */
export const RuntimeSubjects = {
  /** Gateway → any runtime instance: validate the agent and host a session. */
  openSession: 'aos.runtime.open-session',
  /** Gateway → the hosting runtime instance: the agent's messages, pings, close. */
  session: (sessionId: string) => `aos.runtime.session.${sessionId}`,
  /** Hosting runtime instance → the gateway holding the stream: what to write to it. */
  gatewaySession: (sessionId: string) => `aos.gateway.session.${sessionId}`,
} as const;

export const QueueGroups = {
  routing: 'routing',
  runtime: 'runtime',
  lifecycle: 'lifecycle',
  audit: 'audit',
  governance: 'governance',
  resources: 'resources',
} as const;
