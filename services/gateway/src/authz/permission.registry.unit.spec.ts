import { describe, expect, it } from 'vitest';
import { PERMISSIONS } from '@aos/access-control';
import { AgentController } from '../agent.controller';
import { AuditController } from '../audit.controller';
import { GovernanceController } from '../governance.controller';
import '../tool.controller';
import '../task.controller';
import '../command.controller';
import { grpcMethodOf, permissionDeclarations, requiredPermission } from './permission.registry';

/** The method → permission table of the governance design; the declarations must match it exactly. */
const DESIGN: Record<string, string> = {
  'AgentService.CreateAgent': 'agents.create',
  'AgentService.GetAgent': 'agents.get',
  'AgentService.ListAgents': 'agents.list',
  'AgentService.UpdateAgent': 'agents.update',
  'AgentService.DeployAgent': 'agents.deploy',
  'AgentService.PauseAgent': 'agents.pause',
  'AgentService.ResumeAgent': 'agents.resume',
  'AgentService.RetireAgent': 'agents.retire',
  'AgentService.WatchAgents': 'agents.watch',
  'AgentService.ListAgentVersions': 'agents.get',
  'AgentService.GetAgentStats': 'agents.get',
  'AgentService.RollbackAgent': 'agents.update',
  'AuditService.ListEvents': 'audit.list',
  'AuditService.ReplayEvents': 'audit.replay',
  'AuditService.ExportEvents': 'audit.replay',
  'AuditService.GetLogKey': 'audit.list',
  'AuditService.GetCheckpoint': 'audit.list',
  'AuditService.CreateCheckpoint': 'audit.replay',
  'AuditService.VerifyLog': 'audit.replay',
  'AuditService.GetInclusionProof': 'audit.list',
  'AuditService.GetConsistencyProof': 'audit.list',
  'GovernanceService.CreateTenant': 'system.tenants.create',
  'GovernanceService.ListTenants': 'system.tenants.list',
  'GovernanceService.CreatePrincipal': 'principals.create',
  'GovernanceService.GetPrincipal': 'principals.get',
  'GovernanceService.ListPrincipals': 'principals.list',
  'GovernanceService.CreateApiKey': 'keys.create',
  'GovernanceService.ListApiKeys': 'keys.list',
  'GovernanceService.RevokeApiKey': 'keys.revoke',
  'GovernanceService.DefineRole': 'roles.define',
  'GovernanceService.ListRoles': 'roles.list',
  'GovernanceService.AssignRole': 'roles.assign',
  'GovernanceService.RevokeRole': 'roles.revoke',
  'GovernanceService.ListRoleBindings': 'roles.list',
  'GovernanceService.AddPolicyRule': 'policies.add',
  'GovernanceService.RemovePolicyRule': 'policies.remove',
  'GovernanceService.ListPolicyRules': 'policies.list',
  'GovernanceService.CheckAccess': 'access.check',
  'GovernanceService.WhoAmI': 'self.whoami',
  'GovernanceService.ListApprovals': 'approvals.list',
  'GovernanceService.DecideApproval': 'approvals.decide',
  'GovernanceService.SetBudget': 'budgets.set',
  'GovernanceService.GetBudget': 'budgets.get',
  'ToolService.RegisterTool': 'tools.register',
  'ToolService.RegisterMcpServer': 'tools.register',
  'ToolService.GetTool': 'tools.get',
  'ToolService.ListTools': 'tools.list',
  'ToolService.DisableTool': 'tools.disable',
  'TaskService.SubmitTask': 'tasks.submit',
  'TaskService.GetTask': 'tasks.get',
  'TaskService.ListTasks': 'tasks.list',
  'TaskService.CancelTask': 'tasks.cancel',
  'TaskService.ReassignTask': 'tasks.reassign',
  'TaskService.WatchTask': 'tasks.watch',
  'CommandService.Interpret': 'commands.interpret',
  'CommandService.Execute': 'commands.execute',
  'CommandService.GetPlan': 'commands.interpret',
};

describe('permission declarations', () => {
  it('every gRPC method of every gateway controller declares the permission of the design', () => {
    const declared = Object.fromEntries(
      permissionDeclarations().map((d) => [`${d.service}.${d.method}`, d.permission]),
    );
    expect(declared).toEqual(DESIGN);
  });

  it('declares only permissions of the catalog', () => {
    const catalog = new Set(PERMISSIONS.map((p) => p.name));
    for (const { permission } of permissionDeclarations()) expect(catalog).toContain(permission);
  });

  it('reads the gRPC method from the generated decorators, and nothing for other members', () => {
    expect(grpcMethodOf(AgentController, 'watchAgents')).toEqual({ service: 'AgentService', method: 'WatchAgents' });
    expect(grpcMethodOf(GovernanceController, 'whoAmI')).toEqual({ service: 'GovernanceService', method: 'WhoAmI' });
    expect(grpcMethodOf(AuditController, 'constructor')).toBeUndefined();
    expect(requiredPermission(AuditController, 'replayEvents')).toBe('audit.replay');
    expect(requiredPermission(AuditController, 'nope')).toBeUndefined();
  });
});
