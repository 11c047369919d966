import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  GovernanceSubjects,
  type AddPolicyRuleRequest,
  type AssignRoleRequest,
  type DefineRoleRequest,
  type ListPolicyRulesRequest,
  type ListPolicyRulesResponse,
  type ListRoleBindingsRequest,
  type ListRoleBindingsResponse,
  type ListRolesRequest,
  type ListRolesResponse,
  type PolicyRule,
  type RemovePolicyRuleRequest,
  type RevokeRoleRequest,
  type Role,
  type RoleBinding,
} from '@aos/contracts';
import { type ServiceRequest, Receives } from '@aos/messaging';
import { validateContext } from '../governance.request';
import { PolicyHandler } from './policy.handler';
import {
  validateAddPolicyRule,
  validateAssignRole,
  validateDefineRole,
  validatePolicyList,
  validateRemovePolicyRule,
} from './policy.validation';

/** NATS face of the role, binding and rule methods: validates and forwards. */
@Controller()
export class PolicyController {
  constructor(@Inject(PolicyHandler) private readonly policy: PolicyHandler) {}

  @Receives(GovernanceSubjects.defineRole)
  defineRole(@Payload() request: ServiceRequest<DefineRoleRequest>): Promise<Role> {
    return this.policy.defineRole(validateContext(request?.ctx), validateDefineRole(request?.body));
  }

  @Receives(GovernanceSubjects.listRoles)
  listRoles(@Payload() request: ServiceRequest<ListRolesRequest>): Promise<ListRolesResponse> {
    return this.policy.listRoles(validateContext(request?.ctx));
  }

  @Receives(GovernanceSubjects.assignRole)
  assignRole(@Payload() request: ServiceRequest<AssignRoleRequest>): Promise<RoleBinding> {
    return this.policy.assignRole(validateContext(request?.ctx), validateAssignRole(request?.body, 'AssignRole'));
  }

  @Receives(GovernanceSubjects.revokeRole)
  revokeRole(@Payload() request: ServiceRequest<RevokeRoleRequest>): Promise<RoleBinding> {
    return this.policy.revokeRole(validateContext(request?.ctx), validateAssignRole(request?.body, 'RevokeRole'));
  }

  @Receives(GovernanceSubjects.listRoleBindings)
  listRoleBindings(@Payload() request: ServiceRequest<ListRoleBindingsRequest>): Promise<ListRoleBindingsResponse> {
    return this.policy.listBindings(validateContext(request?.ctx), validatePolicyList(request?.body));
  }

  @Receives(GovernanceSubjects.addPolicyRule)
  addPolicyRule(@Payload() request: ServiceRequest<AddPolicyRuleRequest>): Promise<PolicyRule> {
    return this.policy.addRule(validateContext(request?.ctx), validateAddPolicyRule(request?.body));
  }

  @Receives(GovernanceSubjects.removePolicyRule)
  removePolicyRule(@Payload() request: ServiceRequest<RemovePolicyRuleRequest>): Promise<PolicyRule> {
    return this.policy.removeRule(validateContext(request?.ctx), validateRemovePolicyRule(request?.body));
  }

  @Receives(GovernanceSubjects.listPolicyRules)
  listPolicyRules(@Payload() request: ServiceRequest<ListPolicyRulesRequest>): Promise<ListPolicyRulesResponse> {
    return this.policy.listRules(validateContext(request?.ctx), validatePolicyList(request?.body));
  }
}
