/**
 * One line a person understands for a step that ran, from its reply: what
 * was done, to what (name beside a short id), and the state it left.
 */
const AGENT_VERBS: Readonly<Record<string, string>> = {
  CreateAgent: 'Created',
  GetAgent: 'Read',
  UpdateAgent: 'Updated',
  DeployAgent: 'Deployed',
  PauseAgent: 'Paused',
  ResumeAgent: 'Resumed',
  RetireAgent: 'Retired',
  RollbackAgent: 'Rolled back',
};

const TASK_VERBS: Readonly<Record<string, string>> = {
  SubmitTask: 'Submitted',
  GetTask: 'Read',
  CancelTask: 'Cancelled',
};

/** The plural of what a list method returns, and the reply field holding it. */
const LISTS: Readonly<Record<string, readonly [field: string, noun: string]>> = {
  ListAgents: ['agents', 'agents'],
  ListAgentVersions: ['versions', 'versions'],
  ListTasks: ['tasks', 'tasks'],
  ListTools: ['tools', 'tools'],
  ListKnowledgeBases: ['knowledgeBases', 'knowledge bases'],
  ListApprovals: ['approvals', 'approvals'],
  ListEvents: ['events', 'events'],
};

const shortId = (id: unknown) => (typeof id === 'string' && id.length > 8 ? `${id.slice(0, 8)}…` : String(id ?? ''));

export function stepSummary(method: string, reply: unknown): string {
  const r = (reply ?? {}) as Record<string, unknown>;
  const agentVerb = AGENT_VERBS[method];
  if (agentVerb) return `${agentVerb} agent ${String(r.name ?? '')} (${shortId(r.id)}): ${String(r.state ?? '')}`;
  const taskVerb = TASK_VERBS[method];
  if (taskVerb) return `${taskVerb} task ${shortId(r.id)}: ${String(r.state ?? '')}`;
  const list = LISTS[method];
  if (list) {
    const items = r[list[0]];
    return `Listed ${Array.isArray(items) ? items.length : 0} ${list[1]}`;
  }
  switch (method) {
    case 'AssignRole':
      return `Assigned role ${String(r.role ?? '')} to ${String(r.subject ?? '')}`;
    case 'RevokeRole':
      return `Revoked role ${String(r.role ?? '')} from ${String(r.subject ?? '')}`;
    case 'DecideApproval':
      return `Decided approval ${shortId(r.id)}: ${String(r.state ?? '')}`;
    case 'SetBudget':
      return `Set the ${String(r.period ?? '')} budget of ${r.scope === 'AGENT' ? `agent ${shortId(r.agentId)}` : 'the tenant'}`;
    case 'WhoAmI':
      return `You are ${String(r.subject ?? '')} in tenant ${String(r.tenantId ?? '')}`;
    default:
      return `${method} succeeded`;
  }
}
