import {
  AuditSubjects,
  GovernanceSubjects,
  LifecycleSubjects,
  ResourcesSubjects,
  RoutingSubjects,
  type Subject,
} from '@aos/contracts';

/**
 * Where each method a plan may call (PLAN_METHODS) is sent: the owner's NATS
 * subject, the very one the gateway forwards a direct call to; or `local` for
 * WhoAmI, which the gateway answers itself from the caller's identity (so the
 * commands service answers it from its own access model).
 */
export type StepRoute = { subject: Subject<unknown, unknown> } | { local: 'WhoAmI' };

// A step's body is built from the method's .proto request type at run time (proto-json.ts), and the owner
// checks it as it checks the gateway's: the one place a body is not typed by its subject at compile time.
const to = <Body, Reply>(subject: Subject<Body, Reply>): StepRoute => ({
  subject: subject as unknown as Subject<unknown, unknown>,
});

export const STEP_ROUTES: Readonly<Record<string, StepRoute>> = {
  'AgentService.CreateAgent': to(LifecycleSubjects.create),
  'AgentService.GetAgent': to(LifecycleSubjects.get),
  'AgentService.ListAgents': to(LifecycleSubjects.list),
  'AgentService.UpdateAgent': to(LifecycleSubjects.update),
  'AgentService.DeployAgent': to(LifecycleSubjects.deploy),
  'AgentService.PauseAgent': to(LifecycleSubjects.pause),
  'AgentService.ResumeAgent': to(LifecycleSubjects.resume),
  'AgentService.RetireAgent': to(LifecycleSubjects.retire),
  'AgentService.ListAgentVersions': to(LifecycleSubjects.listVersions),
  'AgentService.RollbackAgent': to(LifecycleSubjects.rollback),
  'TaskService.SubmitTask': to(RoutingSubjects.submit),
  'TaskService.GetTask': to(RoutingSubjects.get),
  'TaskService.ListTasks': to(RoutingSubjects.list),
  'TaskService.CancelTask': to(RoutingSubjects.cancel),
  'ToolService.ListTools': to(ResourcesSubjects.listTools),
  'ToolService.GetTool': to(ResourcesSubjects.getTool),
  'KnowledgeService.ListKnowledgeBases': to(ResourcesSubjects.listKnowledgeBases),
  'GovernanceService.AssignRole': to(GovernanceSubjects.assignRole),
  'GovernanceService.RevokeRole': to(GovernanceSubjects.revokeRole),
  'GovernanceService.ListApprovals': to(GovernanceSubjects.listApprovals),
  'GovernanceService.DecideApproval': to(GovernanceSubjects.decideApproval),
  'GovernanceService.SetBudget': to(GovernanceSubjects.setBudget),
  'GovernanceService.GetBudget': to(GovernanceSubjects.getBudget),
  'GovernanceService.WhoAmI': { local: 'WhoAmI' },
  'AuditService.ListEvents': to(AuditSubjects.list),
};

export function stepRoute(service: string, method: string): StepRoute | undefined {
  return STEP_ROUTES[`${service}.${method}`];
}
