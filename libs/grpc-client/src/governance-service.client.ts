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
  WhoAmIRequest,
  WhoAmIResponse,
} from '@aos/contracts';
import type { CallInvoker, UnaryMethod } from './call-invoker';
import { loadServiceDefinition } from './proto-definition';

/**
 * aos.v1.GovernanceService: tenants, principals, API keys, roles, policy
 * rules, access checks, approvals and budgets.
 */
export interface GovernanceClient {
  /** System administrators only. The reply carries the admin key's secret, once. */
  createTenant: UnaryMethod<CreateTenantRequest, CreateTenantResponse>;
  listTenants: UnaryMethod<ListTenantsRequest, ListTenantsResponse>;
  createPrincipal: UnaryMethod<CreatePrincipalRequest, Principal>;
  getPrincipal: UnaryMethod<GetPrincipalRequest, Principal>;
  listPrincipals: UnaryMethod<ListPrincipalsRequest, ListPrincipalsResponse>;
  /** `secret` is in this reply only (empty when the request was a retry). */
  createApiKey: UnaryMethod<CreateApiKeyRequest, CreateApiKeyResponse>;
  listApiKeys: UnaryMethod<ListApiKeysRequest, ListApiKeysResponse>;
  /** The key is refused from the moment this resolves. */
  revokeApiKey: UnaryMethod<RevokeApiKeyRequest, ApiKey>;
  defineRole: UnaryMethod<DefineRoleRequest, Role>;
  listRoles: UnaryMethod<ListRolesRequest, ListRolesResponse>;
  assignRole: UnaryMethod<AssignRoleRequest, RoleBinding>;
  revokeRole: UnaryMethod<RevokeRoleRequest, RoleBinding>;
  listRoleBindings: UnaryMethod<ListRoleBindingsRequest, ListRoleBindingsResponse>;
  addPolicyRule: UnaryMethod<AddPolicyRuleRequest, PolicyRule>;
  removePolicyRule: UnaryMethod<RemovePolicyRuleRequest, PolicyRule>;
  listPolicyRules: UnaryMethod<ListPolicyRulesRequest, ListPolicyRulesResponse>;
  /** An empty `subject` checks the caller. */
  checkAccess: UnaryMethod<CheckAccessRequest, CheckAccessResponse>;
  whoAmI: UnaryMethod<WhoAmIRequest, WhoAmIResponse>;
  listApprovals: UnaryMethod<ListApprovalsRequest, ListApprovalsResponse>;
  decideApproval: UnaryMethod<DecideApprovalRequest, Approval>;
  setBudget: UnaryMethod<SetBudgetRequest, Budget>;
  getBudget: UnaryMethod<GetBudgetRequest, Budget>;
}

export function createGovernanceClient(invoker: CallInvoker): GovernanceClient {
  const service = loadServiceDefinition('GovernanceService');
  return {
    createTenant: invoker.unary(service.CreateTenant),
    listTenants: invoker.unary(service.ListTenants),
    createPrincipal: invoker.unary(service.CreatePrincipal),
    getPrincipal: invoker.unary(service.GetPrincipal),
    listPrincipals: invoker.unary(service.ListPrincipals),
    createApiKey: invoker.unary(service.CreateApiKey),
    listApiKeys: invoker.unary(service.ListApiKeys),
    revokeApiKey: invoker.unary(service.RevokeApiKey),
    defineRole: invoker.unary(service.DefineRole),
    listRoles: invoker.unary(service.ListRoles),
    assignRole: invoker.unary(service.AssignRole),
    revokeRole: invoker.unary(service.RevokeRole),
    listRoleBindings: invoker.unary(service.ListRoleBindings),
    addPolicyRule: invoker.unary(service.AddPolicyRule),
    removePolicyRule: invoker.unary(service.RemovePolicyRule),
    listPolicyRules: invoker.unary(service.ListPolicyRules),
    checkAccess: invoker.unary(service.CheckAccess),
    whoAmI: invoker.unary(service.WhoAmI),
    listApprovals: invoker.unary(service.ListApprovals),
    decideApproval: invoker.unary(service.DecideApproval),
    setBudget: invoker.unary(service.SetBudget),
    getBudget: invoker.unary(service.GetBudget),
  };
}
