import type {
  Budget,
  ListAgentsResponse,
  ListAgentVersionsResponse,
  ListApprovalsResponse,
  ListEventsResponse,
  ListKnowledgeBasesResponse,
  ListTasksResponse,
  ListToolsResponse,
  Task,
  Tool,
  WhoAmIResponse,
} from '@aos/contracts';
import { agentRefs, renderAgent, renderAgentTable } from './agent.view';
import { renderAgentVersionTable, versionRefs } from './agent-version.view';
import { approvalSubjects, renderApprovalTable } from './approval.view';
import { renderBudget } from './budget.view';
import { actorRef, renderEventTable } from './event.view';
import { subjectRefs, type IdLabels, type NamedKind } from './id-labels';
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

/** One view per read method of the plan catalog (libs/command-language method-catalog.ts). */
const READ_STEP_VIEWS: ReadonlyMap<string, ReadStepView> = new Map([
  ['AgentService.ListAgents', view((r: ListAgentsResponse) => withMore(renderAgentTable(r.agents), r))],
  ['AgentService.GetAgent', view(renderAgent, agentRefs)],
  [
    'AgentService.ListAgentVersions',
    view(
      (r: ListAgentVersionsResponse, labels) => withMore(renderAgentVersionTable(r.versions, labels), r),
      (r) => versionRefs(r.versions),
    ),
  ],
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
    view(
      (r: ListApprovalsResponse, labels) => withMore(renderApprovalTable(r.approvals, labels), r),
      (r) => subjectRefs(approvalSubjects(r.approvals)),
    ),
  ],
  ['GovernanceService.GetBudget', view(renderBudget, (b: Budget): [NamedKind, string][] => [['agent', b.agentId]])],
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
