/**
 * The public API methods a plan may call, with the permission each needs and
 * its risk. Risk is decided here, by code, from the method alone (kubectl-ai
 * learned the hard way that a model judging what counts as a change is not
 * safe). The permissions are the gateway's for the same methods (a test
 * holds the two together). No method outside this table can be a step.
 */
export type StepRisk = 'READ' | 'WRITE' | 'DESTRUCTIVE';

export interface PlanMethod {
  service: string;
  method: string;
  permission: string;
  risk: StepRisk;
}

const m = (service: string, method: string, permission: string, risk: StepRisk): PlanMethod => ({
  service,
  method,
  permission,
  risk,
});

export const PLAN_METHODS: readonly PlanMethod[] = [
  m('AgentService', 'CreateAgent', 'agents.create', 'WRITE'),
  m('AgentService', 'GetAgent', 'agents.get', 'READ'),
  m('AgentService', 'ListAgents', 'agents.list', 'READ'),
  m('AgentService', 'UpdateAgent', 'agents.update', 'WRITE'),
  m('AgentService', 'DeployAgent', 'agents.deploy', 'WRITE'),
  m('AgentService', 'PauseAgent', 'agents.pause', 'WRITE'),
  m('AgentService', 'ResumeAgent', 'agents.resume', 'WRITE'),
  m('AgentService', 'ListAgentVersions', 'agents.get', 'READ'),
  // A new version equal to an earlier one: the versions in between stay in the history.
  m('AgentService', 'RollbackAgent', 'agents.update', 'WRITE'),
  // A retired agent stays retired.
  m('AgentService', 'RetireAgent', 'agents.retire', 'DESTRUCTIVE'),
  m('TaskService', 'SubmitTask', 'tasks.submit', 'WRITE'),
  m('TaskService', 'GetTask', 'tasks.get', 'READ'),
  m('TaskService', 'ListTasks', 'tasks.list', 'READ'),
  // A cancelled task is not resumed.
  m('TaskService', 'CancelTask', 'tasks.cancel', 'DESTRUCTIVE'),
  m('ToolService', 'ListTools', 'tools.list', 'READ'),
  m('ToolService', 'GetTool', 'tools.get', 'READ'),
  m('KnowledgeService', 'ListKnowledgeBases', 'knowledge.read', 'READ'),
  m('GovernanceService', 'AssignRole', 'roles.assign', 'WRITE'),
  m('GovernanceService', 'RevokeRole', 'roles.revoke', 'WRITE'),
  m('GovernanceService', 'ListApprovals', 'approvals.list', 'READ'),
  m('GovernanceService', 'DecideApproval', 'approvals.decide', 'WRITE'),
  m('GovernanceService', 'SetBudget', 'budgets.set', 'WRITE'),
  m('GovernanceService', 'GetBudget', 'budgets.get', 'READ'),
  m('GovernanceService', 'WhoAmI', 'self.whoami', 'READ'),
  m('AuditService', 'ListEvents', 'audit.list', 'READ'),
];

const BY_NAME = new Map(PLAN_METHODS.map((entry) => [`${entry.service}.${entry.method}`, entry]));

/** The catalog entry of `service.method`, or undefined when a plan may not call it. */
export function planMethod(service: string, method: string): PlanMethod | undefined {
  return BY_NAME.get(`${service}.${method}`);
}
