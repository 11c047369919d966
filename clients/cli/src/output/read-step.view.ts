import type {
  Agent,
  Budget,
  ListAgentsResponse,
  ListApprovalsResponse,
  ListEventsResponse,
  ListKnowledgeBasesResponse,
  ListTasksResponse,
  ListToolsResponse,
  Task,
  Tool,
  WhoAmIResponse,
} from '@aos/contracts';
import { renderAgent, renderAgentTable } from './agent.view';
import { renderApprovalTable } from './approval.view';
import { renderBudget } from './budget.view';
import { actorRef, renderEventTable } from './event.view';
import type { IdLabels, NamedKind } from './id-labels';
import { renderWhoAmI } from './identity.view';
import { renderKnowledgeBaseTable } from './knowledge.view';
import { renderTask, renderTaskTable, taskRefs } from './task.view';
import { renderTool, renderToolTable } from './tool.view';

/**
 * How the reply of one read method is shown: with the view of the command
 * that makes the same call (`aos agents list` for ListAgents, …), so a
 * question asked in plain language is answered as the dedicated command
 * answers it. `refs` are the ids the view prints with names beside them.
 */
export interface ReadStepView {
  refs(reply: unknown): [NamedKind, string][];
  render(reply: unknown, labels: IdLabels): string;
}

/** The reply is the method's response type: the decoder went through its .proto type. */
function view<Reply>(
  render: (reply: Reply, labels: IdLabels) => string,
  refs: (reply: Reply) => [NamedKind, string][] = () => [],
): ReadStepView {
  return { render: (reply, labels) => render(reply as Reply, labels), refs: (reply) => refs(reply as Reply) };
}

/** `more: …` as `aos … list` says it: a plan's list step reads one page. */
function withMore(text: string, page: { nextPageToken: string }): string {
  return page.nextPageToken ? `${text}more: the reply has another page (--page-token ${page.nextPageToken})\n` : text;
}

const agentRefs = (agent: Agent): [NamedKind, string][] => [
  ...agent.toolIds.map((id): [NamedKind, string] => ['tool', id]),
  ...agent.knowledgeBaseIds.map((id): [NamedKind, string] => ['knowledge base', id]),
  ['principal', agent.createdBy],
];

/** One view per read method of the plan catalog (libs/command-language method-catalog.ts). */
const READ_STEP_VIEWS: ReadonlyMap<string, ReadStepView> = new Map([
  ['AgentService.ListAgents', view((r: ListAgentsResponse) => withMore(renderAgentTable(r.agents), r))],
  ['AgentService.GetAgent', view(renderAgent, agentRefs)],
  [
    'TaskService.ListTasks',
    view(
      (r: ListTasksResponse, labels) => withMore(renderTaskTable(r.tasks, labels), r),
      (r) => r.tasks.map((t): [NamedKind, string] => ['agent', t.assignedAgentId]),
    ),
  ],
  ['TaskService.GetTask', view(renderTask, (t: Task) => taskRefs(t))],
  ['ToolService.ListTools', view((r: ListToolsResponse) => withMore(renderToolTable(r.tools), r))],
  ['ToolService.GetTool', view((t: Tool) => renderTool(t))],
  [
    'KnowledgeService.ListKnowledgeBases',
    view((r: ListKnowledgeBasesResponse) => withMore(renderKnowledgeBaseTable(r.knowledgeBases), r)),
  ],
  [
    'GovernanceService.ListApprovals',
    view((r: ListApprovalsResponse) => withMore(renderApprovalTable(r.approvals), r)),
  ],
  ['GovernanceService.GetBudget', view((b: Budget) => renderBudget(b))],
  ['GovernanceService.WhoAmI', view((me: WhoAmIResponse) => renderWhoAmI(me))],
  [
    'AuditService.ListEvents',
    view(
      (r: ListEventsResponse, labels) => withMore(renderEventTable(r.events, labels), r),
      (r) => r.events.map(actorRef).filter((ref) => ref !== undefined),
    ),
  ],
]);

/** The view of `service.method`'s reply, or undefined for a method that has none (its reply is shown as JSON). */
export function readStepView(service: string, method: string): ReadStepView | undefined {
  return READ_STEP_VIEWS.get(`${service}.${method}`);
}

/** The read methods that have a view, as `Service.Method`. */
export function readStepMethods(): string[] {
  return [...READ_STEP_VIEWS.keys()];
}
