import type { CommandPipeline, RecordedStep } from '@aos/command-pipeline';
import type { ListTasksResponse, Task } from '@aos/contracts';
import { AosError, NotFoundError } from '@aos/errors';
import type { RequestContext } from '@aos/messaging';
import { encodePageToken } from '@aos/request-fields';
import type { RoutingModel } from '../routing.model';
import { decide, requireNameable, type AgentStatusFact } from './task.decider';
import { taskIdFor } from './task.ids';
import { READS_IN_FLIGHT, type TaskHistory } from './task.history';
import { isSummary, toProtoTask, type TaskSummary } from './task.projection';
import type { TaskRouting } from './task.routing';
import { taskStream } from './task.streams';
import type {
  CancelTaskMutation,
  GetTaskQuery,
  ListTasksQuery,
  ReassignTaskMutation,
  SubmitTaskMutation,
} from './task.validation';

/** A ListTasks page ends early rather than reach NATS's 1 MiB message limit (AIP-158 allows short pages). */
export const MAX_LIST_REPLY_BYTES = 768 * 1024;

export interface TaskHandlerDeps {
  model: RoutingModel;
  pipeline: CommandPipeline;
  routing: TaskRouting;
  history: TaskHistory;
}

/**
 * TaskService: each command maps the request to a Task decider command with
 * the facts its rules need (the routing decision, the named agent's state)
 * and hands it to the command pipeline; queries read the model.
 */
export class TaskHandler {
  constructor(private readonly deps: TaskHandlerDeps) {}

  submit(ctx: RequestContext, m: SubmitTaskMutation): Promise<Task> {
    const { model, pipeline, routing } = this.deps;
    const taskId = taskIdFor(ctx.tenantId, m.requestId);
    const request = {
      requestId: m.requestId,
      replays: ['TaskSubmitted', 'TaskRouted', 'TaskQueued'],
      sameTarget: (steps: readonly RecordedStep[]) => steps.every((s) => s.streamId === taskId),
      reply: () => this.reply(ctx.tenantId, taskId),
    };
    return pipeline.handleRequest(ctx, request, async (tx) => {
      // Refused before a routing decision (maybe a model call) is spent on it; decide checks it again.
      if (m.requestedAgentId) requireNameable(m.requestedAgentId, this.agentStatus(ctx, m.requestedAgentId));
      const outcome = await routing.route(ctx.tenantId, { ...m, cause: 'submitted' });
      await tx.commit({
        ...taskStream(model, ctx, taskId),
        creates: true,
        decide: (state) =>
          decide(
            {
              type: 'SubmitTask',
              taskId,
              text: m.text,
              requiredCapabilities: m.requiredCapabilities,
              requestedAgentId: m.requestedAgentId,
              requestedAgentStatus: this.agentStatus(ctx, m.requestedAgentId),
              priority: m.priority,
              submittedBy: ctx.actor.id,
              routing: outcome,
            },
            state,
          ),
      });
    });
  }

  async get(ctx: RequestContext, query: GetTaskQuery): Promise<Task> {
    await this.deps.pipeline.reach(query.minPosition);
    const view = this.deps.model.task(ctx.tenantId, query.taskId);
    if (!view) throw new NotFoundError('task', query.taskId);
    return toProtoTask(await this.deps.history.whole(view), true);
  }

  async list(ctx: RequestContext, query: ListTasksQuery): Promise<ListTasksResponse> {
    await this.deps.pipeline.reach(query.minPosition);
    // One read of the model: tasks kept whole become protos now, before any await lets it apply more events,
    // and the summarised ones of the page are read back from the log up to the same position.
    const upTo = this.deps.model.position;
    const page: { createPosition: number; task?: Task; summary?: TaskSummary }[] = [];
    let totalSize = 0;
    let more = false;
    for (const view of this.deps.model.tasks.tasksOf(ctx.tenantId)) {
      const { task } = view;
      if (query.filter.state !== undefined && task.status !== query.filter.state) continue;
      // The filter's agent_id is the assigned agent (the one the task is with), not the one it named.
      if (
        query.filter.agentId !== undefined &&
        (task.status === 'QUEUED' || task.assignedAgentId !== query.filter.agentId)
      ) {
        continue;
      }
      if (query.filter.createdFrom !== undefined || query.filter.createdBefore !== undefined) {
        const created = isSummary(view) ? view.createMs : Date.parse(view.createTime);
        if (query.filter.createdFrom !== undefined && created < query.filter.createdFrom) continue;
        if (query.filter.createdBefore !== undefined && created >= query.filter.createdBefore) continue;
      }
      totalSize += 1;
      if (query.beforePosition !== undefined && view.createPosition >= query.beforePosition) continue;
      if (page.length >= query.pageSize) more = true;
      else if (isSummary(view)) page.push({ createPosition: view.createPosition, summary: view });
      else page.push({ createPosition: view.createPosition, task: toProtoTask(view, false) });
    }
    // In page order, READS_IN_FLIGHT summarised tasks read back at a time, until the page is full.
    const tasks: Task[] = [];
    let bytes = 0;
    let last: number | undefined;
    for (let start = 0; start < page.length; start += READS_IN_FLIGHT) {
      const window = page.slice(start, start + READS_IN_FLIGHT);
      const read = await Promise.all(
        window.map(
          async (entry) => entry.task ?? toProtoTask(await this.deps.history.whole(entry.summary!, upTo), false),
        ),
      );
      const full = read.findIndex((proto, k) => {
        const size = Buffer.byteLength(JSON.stringify(proto), 'utf8');
        if (tasks.length > 0 && bytes + size > MAX_LIST_REPLY_BYTES) return true;
        tasks.push(proto);
        bytes += size;
        last = window[k]!.createPosition;
        return false;
      });
      if (full >= 0) {
        more = true;
        break;
      }
    }
    return {
      tasks,
      nextPageToken: more && last !== undefined ? encodePageToken('ListTasks', last, query.filterText) : '',
      totalSize,
    };
  }

  cancel(ctx: RequestContext, m: CancelTaskMutation): Promise<Task> {
    return this.deps.pipeline.handle(ctx, {
      requestId: m.requestId,
      replays: ['TaskCancelled'],
      ...taskStream(this.deps.model, ctx, m.taskId),
      expectedRevision: m.expectedRevision,
      decide: (state) =>
        decide({ type: 'CancelTask', taskId: m.taskId, reason: m.reason, cancelledBy: ctx.actor.id }, state),
      reply: () => this.reply(ctx.tenantId, m.taskId),
    });
  }

  /** A person's correction of the router: recorded with its own decision, which the router learns from. */
  reassign(ctx: RequestContext, m: ReassignTaskMutation): Promise<Task> {
    const { model } = this.deps;
    return this.deps.pipeline.handle(ctx, {
      requestId: m.requestId,
      replays: ['TaskReassigned'],
      ...taskStream(model, ctx, m.taskId),
      expectedRevision: m.expectedRevision,
      decide: (state) => {
        const agent = model.agents.get(ctx.tenantId, m.agentId);
        const name = agent?.name ?? m.agentId;
        const from = state.status === 'ASSIGNED' ? state.assignedAgentId : '';
        const fromName = from ? (model.agents.get(ctx.tenantId, from)?.name ?? from) : 'the queue';
        return decide(
          {
            type: 'ReassignTask',
            taskId: m.taskId,
            toAgentId: m.agentId,
            toAgentStatus: agent?.status ?? 'NONE',
            reason: m.reason,
            reassignedBy: ctx.actor.id,
            decision: {
              router: 'person',
              chosenAgentId: m.agentId,
              candidates: [
                {
                  agentId: m.agentId,
                  agentName: name,
                  score: 1,
                  lexicalScore: 0,
                  loadPenalty: 0,
                  queueLength: model.loadOf(ctx.tenantId, m.agentId).queued,
                },
              ],
              rationale: `${ctx.actor.id} moved the task from ${fromName} to ${name}${m.reason ? `: ${m.reason}` : ''}; the router learns from this correction`,
            },
          },
          state,
        );
      },
      reply: () => this.reply(ctx.tenantId, m.taskId),
    });
  }

  private agentStatus(ctx: RequestContext, agentId: string): AgentStatusFact {
    return this.deps.model.agents.get(ctx.tenantId, agentId)?.status ?? 'NONE';
  }

  private async reply(tenantId: string, taskId: string): Promise<Task> {
    const view = this.deps.model.task(tenantId, taskId);
    if (!view) throw new AosError('INTERNAL', `task ${taskId} was recorded but is not in the read model`);
    return toProtoTask(await this.deps.history.whole(view), false);
  }
}
