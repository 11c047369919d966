import { Controller, Inject } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { toProtoPrincipal } from '@aos/access-control';
import {
  AccessDecision,
  GovernanceServiceControllerMethods,
  GovernanceSubjects,
  type AddPolicyRuleRequest,
  type ApiKey,
  type Approval,
  type AssignRoleRequest,
  type Budget,
  type CheckAccessRequest,
  type CheckAccessResponse,
  type CreateApiKeyRequest,
  type CreateApiKeyResponse,
  type CreatePrincipalRequest,
  type CreateTenantRequest,
  type CreateTenantResponse,
  type DecideApprovalRequest,
  type DefineRoleRequest,
  type GetBudgetRequest,
  type GetPrincipalRequest,
  type GovernanceServiceController,
  type ListApiKeysRequest,
  type ListApiKeysResponse,
  type ListApprovalsRequest,
  type ListApprovalsResponse,
  type ListPolicyRulesRequest,
  type ListPolicyRulesResponse,
  type ListPrincipalsRequest,
  type ListPrincipalsResponse,
  type ListRoleBindingsRequest,
  type ListRoleBindingsResponse,
  type ListRolesRequest,
  type ListRolesResponse,
  type ListTenantsRequest,
  type ListTenantsResponse,
  type PolicyRule,
  type Principal,
  type RemovePolicyRuleRequest,
  type RevokeApiKeyRequest,
  type RevokeRoleRequest,
  type Role,
  type RoleBinding,
  type SetBudgetRequest,
  type Subject,
  type WhoAmIRequest,
  type WhoAmIResponse,
} from '@aos/contracts';
import type { EventStore } from '@aos/event-store';
import { AccessModelFeed } from './access-model.feed';
import { authorize } from './authz/authorize';
import { RequiresPermission } from './authz/permission.registry';
import { CallContextResolver } from './call-context.resolver';
import { ServiceForwarder } from './service-forwarder';
import { EVENT_STORE } from './gateway.tokens';

/**
 * aos.v1.GovernanceService: forwards each call to the governance service with
 * the caller's tenant and actor. WhoAmI is answered here, from the identity
 * the call was authenticated as. Mutations that change who may do what wait,
 * before replying, until this gateway's own AccessModel has applied them, so
 * the caller's next call already sees the change.
 */
@Controller()
@GovernanceServiceControllerMethods()
export class GovernanceController implements GovernanceServiceController {
  constructor(
    @Inject(CallContextResolver) private readonly calls: CallContextResolver,
    @Inject(ServiceForwarder) private readonly services: ServiceForwarder,
    @Inject(AccessModelFeed) private readonly access: AccessModelFeed,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  @RequiresPermission('system.tenants.create')
  async createTenant(request: CreateTenantRequest, metadata?: Metadata): Promise<CreateTenantResponse> {
    const reply = await this.services.forward(GovernanceSubjects.createTenant, request, metadata);
    await this.access.waitFor(
      Math.max(reply.tenant?.logPosition ?? 0, reply.admin?.logPosition ?? 0, reply.adminApiKey?.logPosition ?? 0),
    );
    return reply;
  }

  @RequiresPermission('system.tenants.list')
  listTenants(request: ListTenantsRequest, metadata?: Metadata): Promise<ListTenantsResponse> {
    return this.services.forward(GovernanceSubjects.listTenants, request, metadata);
  }

  @RequiresPermission('principals.create')
  createPrincipal(request: CreatePrincipalRequest, metadata?: Metadata): Promise<Principal> {
    return this.forwardAndApply(GovernanceSubjects.createPrincipal, request, metadata, (p: Principal) => p.logPosition);
  }

  @RequiresPermission('principals.get')
  getPrincipal(request: GetPrincipalRequest, metadata?: Metadata): Promise<Principal> {
    return this.services.forward(GovernanceSubjects.getPrincipal, request, metadata);
  }

  @RequiresPermission('principals.list')
  listPrincipals(request: ListPrincipalsRequest, metadata?: Metadata): Promise<ListPrincipalsResponse> {
    return this.services.forward(GovernanceSubjects.listPrincipals, request, metadata);
  }

  @RequiresPermission('keys.create')
  createApiKey(request: CreateApiKeyRequest, metadata?: Metadata): Promise<CreateApiKeyResponse> {
    return this.forwardAndApply(
      GovernanceSubjects.createApiKey,
      request,
      metadata,
      (r: CreateApiKeyResponse) => r.apiKey?.logPosition ?? 0,
    );
  }

  @RequiresPermission('keys.list')
  listApiKeys(request: ListApiKeysRequest, metadata?: Metadata): Promise<ListApiKeysResponse> {
    return this.services.forward(GovernanceSubjects.listApiKeys, request, metadata);
  }

  @RequiresPermission('keys.revoke')
  revokeApiKey(request: RevokeApiKeyRequest, metadata?: Metadata): Promise<ApiKey> {
    return this.forwardAndApply(GovernanceSubjects.revokeApiKey, request, metadata, (k: ApiKey) => k.logPosition);
  }

  @RequiresPermission('roles.define')
  async defineRole(request: DefineRoleRequest, metadata?: Metadata): Promise<Role> {
    const role = await this.services.forward(GovernanceSubjects.defineRole, request, metadata);
    // Role carries no log_position; the head read after the reply is at or
    // past the RoleDefined event, so waiting for it is enough (if a little more).
    await this.access.waitFor(await this.store.headPosition());
    return role;
  }

  @RequiresPermission('roles.list')
  listRoles(request: ListRolesRequest, metadata?: Metadata): Promise<ListRolesResponse> {
    return this.services.forward(GovernanceSubjects.listRoles, request, metadata);
  }

  @RequiresPermission('roles.assign')
  assignRole(request: AssignRoleRequest, metadata?: Metadata): Promise<RoleBinding> {
    return this.forwardAndApply(GovernanceSubjects.assignRole, request, metadata, (b: RoleBinding) => b.logPosition);
  }

  @RequiresPermission('roles.revoke')
  revokeRole(request: RevokeRoleRequest, metadata?: Metadata): Promise<RoleBinding> {
    return this.forwardAndApply(GovernanceSubjects.revokeRole, request, metadata, (b: RoleBinding) => b.logPosition);
  }

  @RequiresPermission('roles.list')
  listRoleBindings(request: ListRoleBindingsRequest, metadata?: Metadata): Promise<ListRoleBindingsResponse> {
    return this.services.forward(GovernanceSubjects.listRoleBindings, request, metadata);
  }

  @RequiresPermission('policies.add')
  addPolicyRule(request: AddPolicyRuleRequest, metadata?: Metadata): Promise<PolicyRule> {
    return this.forwardAndApply(GovernanceSubjects.addPolicyRule, request, metadata, (r: PolicyRule) => r.logPosition);
  }

  @RequiresPermission('policies.remove')
  removePolicyRule(request: RemovePolicyRuleRequest, metadata?: Metadata): Promise<PolicyRule> {
    return this.forwardAndApply(
      GovernanceSubjects.removePolicyRule,
      request,
      metadata,
      (r: PolicyRule) => r.logPosition,
    );
  }

  @RequiresPermission('policies.list')
  listPolicyRules(request: ListPolicyRulesRequest, metadata?: Metadata): Promise<ListPolicyRulesResponse> {
    return this.services.forward(GovernanceSubjects.listPolicyRules, request, metadata);
  }

  @RequiresPermission('access.check')
  checkAccess(request: CheckAccessRequest, metadata?: Metadata): Promise<CheckAccessResponse> {
    // "Empty: the caller" is resolved here, where the caller is known.
    const { caller } = this.calls.of(metadata);
    if (!request.subject && !caller.identity.principalId) {
      // An OIDC caller without a principal acts through its groups: answer with the
      // very decision the guard makes for it, rather than for a subject that names nobody.
      const decision = authorize(this.access.model, caller, request.action, request.resource || '*');
      return Promise.resolve({
        decision: decision.allowed ? AccessDecision.ALLOWED : AccessDecision.DENIED,
        allowed: decision.allowed,
        explanation: decision.explanation,
        subject: caller.identity.subject,
      });
    }
    const subject = request.subject || caller.identity.subject;
    return this.services.forward(GovernanceSubjects.checkAccess, { ...request, subject }, metadata);
  }

  @RequiresPermission('self.whoami')
  whoAmI(_request: WhoAmIRequest, metadata?: Metadata): WhoAmIResponse {
    const { identity } = this.calls.of(metadata).caller;
    const view = identity.principalId
      ? this.access.model.principal(identity.tenantId, identity.principalId)
      : undefined;
    return {
      tenantId: identity.tenantId,
      subject: identity.subject,
      principal: view && toProtoPrincipal(view),
      roles: identity.roles,
      authentication: identity.authentication,
    };
  }

  @RequiresPermission('approvals.list')
  listApprovals(request: ListApprovalsRequest, metadata?: Metadata): Promise<ListApprovalsResponse> {
    return this.services.forward(GovernanceSubjects.listApprovals, request, metadata);
  }

  @RequiresPermission('approvals.decide')
  decideApproval(request: DecideApprovalRequest, metadata?: Metadata): Promise<Approval> {
    return this.services.forward(GovernanceSubjects.decideApproval, request, metadata);
  }

  @RequiresPermission('budgets.set')
  setBudget(request: SetBudgetRequest, metadata?: Metadata): Promise<Budget> {
    return this.services.forward(GovernanceSubjects.setBudget, request, metadata);
  }

  @RequiresPermission('budgets.get')
  getBudget(request: GetBudgetRequest, metadata?: Metadata): Promise<Budget> {
    return this.services.forward(GovernanceSubjects.getBudget, request, metadata);
  }

  private async forwardAndApply<TBody, TReply>(
    subject: Subject<TBody, TReply>,
    body: TBody,
    metadata: Metadata | undefined,
    positionOf: (reply: TReply) => number,
  ): Promise<TReply> {
    const reply = await this.services.forward(subject, body, metadata);
    await this.access.waitFor(positionOf(reply));
    return reply;
  }
}
