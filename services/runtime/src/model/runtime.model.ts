import {
  AGENT_CATEGORY,
  evolveTask,
  GovernanceCategories,
  initialTaskState,
  RUN_CATEGORY,
  TASK_CATEGORY,
  taskIdOfRun,
  TOOL_CATEGORY,
  parseAgentEvent,
  parseGovernanceEvent,
  parseRunEvent,
  parseTaskEvent,
  parseToolEvent,
  type TaskHistoryEvent,
} from '@aos/contracts';
import type { RecordedEvent } from '@aos/event-store';
import { evolveAgent, evolveTools, isRunnable, type AgentView, type TaskView, type ToolView } from './views';

/** The categories the runtime follows: a task's state is folded from its runs' events too. */
export const FOLLOWED_CATEGORIES = [
  TASK_CATEGORY,
  RUN_CATEGORY,
  AGENT_CATEGORY,
  TOOL_CATEGORY,
  GovernanceCategories.approval,
] as const;

export type ApprovalStatus = 'PENDING' | 'APPROVED' | 'REJECTED' | 'EXPIRED' | 'WITHDRAWN';

export interface ApprovalView {
  approvalId: string;
  status: ApprovalStatus;
  decidedBy: string;
  reason: string;
}

/** A task the runtime may start, with its agent. */
export interface RunnableTask {
  tenantId: string;
  task: TaskView;
  agent: AgentView;
}

/** Thrown when an event cannot be applied: the log holds something its owner would never write. */
export class RuntimeModelError extends Error {
  override name = 'RuntimeModelError';
  constructor(event: RecordedEvent, problem: string, options?: { cause?: unknown }) {
    super(`cannot apply ${event.type} at position ${event.position} (${event.stream}): ${problem}`, options);
  }
}

class TenantModel {
  readonly tasks = new Map<string, TaskView>();
  /** The ASSIGNED tasks: the only ones a runner may start, so the only ones a scan walks. */
  readonly assigned = new Map<string, TaskView>();
  readonly agents = new Map<string, AgentView>();
  readonly tools = new Map<string, ToolView>();
  readonly toolIdByName = new Map<string, string>();
  readonly approvals = new Map<string, ApprovalView>();
  /** Per task, the correlation id of the request that submitted it. */
  readonly taskCorrelation = new Map<string, string>();
  /** Per stream, the revision last applied: redelivery after a reconnect must not apply a change twice. */
  readonly revisions = new Map<string, number>();
}

type Waiter = (approval: ApprovalView) => void;

/** A RuntimeModel as plain data (RuntimeModel.capture()): what a projection snapshot keeps. */
export interface RuntimeModelState {
  applied: number;
  tenants: Map<string, { [K in keyof TenantModel]: TenantModel[K] }>;
}

/**
 * The runtime's memory of the log: tasks (state, agent, attempt, text),
 * agents (state and definition), tools (definition, enabled) and approvals,
 * per tenant, fed by one subscription per category. Nothing here is read
 * from a stream per command.
 */
export class RuntimeModel {
  private readonly tenants = new Map<string, TenantModel>();
  private readonly approvalWaiters = new Map<string, Set<Waiter>>();
  private applied = 0;
  /** Called after a task or agent changed: the runner looks for work then. */
  onWorkChanged: () => void = () => undefined;

  get eventsApplied(): number {
    return this.applied;
  }

  apply(event: RecordedEvent): void {
    const tenant = this.tenant(event.metadata.tenantId);
    const last = tenant.revisions.get(event.stream);
    if (last !== undefined && event.revision <= last) return;
    try {
      this.applyTo(tenant, event);
    } catch (err) {
      throw new RuntimeModelError(event, (err as Error).message, { cause: err });
    }
    tenant.revisions.set(event.stream, event.revision);
    this.applied += 1;
  }

  /**
   * Everything applied so far, as plain data for a projection snapshot: the
   * maps themselves (shared with the model: serialize it before the next
   * event). The approvals' waiters are this process's own, not state.
   */
  capture(): RuntimeModelState {
    return { applied: this.applied, tenants: new Map([...this.tenants].map(([id, tenant]) => [id, { ...tenant }])) };
  }

  /** Puts a captured state in place of an empty model's. */
  restore(state: RuntimeModelState): void {
    this.tenants.clear();
    for (const [id, maps] of state.tenants) this.tenants.set(id, Object.assign(new TenantModel(), maps));
    this.applied = state.applied;
  }

  /** The correlation id of the request that submitted the task ('' when unknown). */
  taskCorrelationId(tenantId: string, taskId: string): string {
    return this.tenants.get(tenantId)?.taskCorrelation.get(taskId) ?? '';
  }

  agent(tenantId: string, agentId: string): AgentView | undefined {
    return this.tenants.get(tenantId)?.agents.get(agentId);
  }

  tool(tenantId: string, toolId: string): ToolView | undefined {
    return this.tenants.get(tenantId)?.tools.get(toolId);
  }

  toolByName(tenantId: string, name: string): ToolView | undefined {
    const id = this.tenants.get(tenantId)?.toolIdByName.get(name);
    return id === undefined ? undefined : this.tool(tenantId, id);
  }

  approval(tenantId: string, approvalId: string): ApprovalView | undefined {
    return this.tenants.get(tenantId)?.approvals.get(approvalId);
  }

  /** Every task whose next attempt the built-in runtime may start now. */
  *runnable(): Generator<RunnableTask> {
    for (const [tenantId, tenant] of this.tenants) {
      for (const task of tenant.assigned.values()) {
        const agent = tenant.agents.get(task.assignedAgentId);
        if (isRunnable(task, agent)) yield { tenantId, task, agent: agent! };
      }
    }
  }

  /** The tasks of one external agent whose next attempt its attached session may start now. */
  *runnableExternally(tenantId: string, agentId: string): Generator<RunnableTask> {
    const tenant = this.tenants.get(tenantId);
    const agent = tenant?.agents.get(agentId);
    if (!tenant || !agent) return;
    for (const task of tenant.assigned.values()) {
      if (isRunnable(task, agent, true)) yield { tenantId, task, agent };
    }
  }

  /**
   * Resolves once the approval is decided (granted, rejected or expired) in
   * the log; rejects when `signal` aborts first. A withdrawn approval never
   * resolves: governance withdraws it only once its run is no longer the
   * task's running attempt, so that run's signal aborts (its runner learns it
   * lost the attempt) and the run stops the usual way, recording no decision.
   */
  decidedApproval(tenantId: string, approvalId: string, signal: AbortSignal): Promise<ApprovalView> {
    const known = this.approval(tenantId, approvalId);
    if (known && known.status !== 'PENDING' && known.status !== 'WITHDRAWN') return Promise.resolve(known);
    return new Promise<ApprovalView>((resolve, reject) => {
      const key = `${tenantId}\u0000${approvalId}`;
      const waiters = this.approvalWaiters.get(key) ?? new Set<Waiter>();
      this.approvalWaiters.set(key, waiters);
      const onAbort = () => {
        waiters.delete(waiter);
        reject(signal.reason);
      };
      const waiter: Waiter = (approval) => {
        signal.removeEventListener('abort', onAbort);
        resolve(approval);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      waiters.add(waiter);
    });
  }

  private applyTo(tenant: TenantModel, event: RecordedEvent): void {
    switch (event.category) {
      case TASK_CATEGORY: {
        const parsed = parseTaskEvent(event.type, event.data);
        if (!parsed) return;
        this.applyToTask(tenant, parsed.data.taskId, parsed);
        if (parsed.type === 'TaskSubmitted')
          tenant.taskCorrelation.set(parsed.data.taskId, event.metadata.correlationId);
        return;
      }
      case RUN_CATEGORY: {
        const taskId = taskIdOfRun(event.streamId);
        const parsed = parseRunEvent(event.type, event.data);
        // A run of a task not (yet) seen here changes nothing the runtime starts.
        if (!parsed || taskId === undefined || !tenant.tasks.has(taskId)) return;
        this.applyToTask(tenant, taskId, parsed);
        return;
      }
      case AGENT_CATEGORY: {
        const parsed = parseAgentEvent(event.type, event.data);
        if (!parsed) return;
        const agent = evolveAgent(tenant.agents.get(parsed.data.agentId), parsed);
        tenant.agents.set(agent.agentId, agent);
        this.onWorkChanged();
        return;
      }
      case TOOL_CATEGORY: {
        const parsed = parseToolEvent(event.type, event.data);
        if (!parsed) return;
        for (const tool of evolveTools(tenant.tools, parsed)) {
          tenant.tools.set(tool.definition.toolId, tool);
          tenant.toolIdByName.set(tool.definition.name, tool.definition.toolId);
        }
        return;
      }
      case GovernanceCategories.approval:
        return this.applyApproval(event);
      default:
        return;
    }
  }

  private applyToTask(tenant: TenantModel, taskId: string, event: TaskHistoryEvent): void {
    const before = tenant.tasks.get(taskId);
    const task = evolveTask(before ?? initialTaskState, event);
    if (task.status === 'NONE' || task === before) return;
    tenant.tasks.set(taskId, task);
    if (task.status === 'ASSIGNED') tenant.assigned.set(taskId, task);
    else tenant.assigned.delete(taskId);
    this.onWorkChanged();
  }

  private applyApproval(event: RecordedEvent): void {
    const parsed = parseGovernanceEvent(event.type, event.data);
    if (!parsed) return;
    const tenantId = event.metadata.tenantId;
    const approvals = this.tenant(tenantId).approvals;
    let approval: ApprovalView;
    switch (parsed.type) {
      case 'ApprovalRequested':
        approval = { approvalId: parsed.data.approvalId, status: 'PENDING', decidedBy: '', reason: '' };
        break;
      case 'ApprovalGranted':
      case 'ApprovalRejected': {
        const { approvalId, decidedBy, reason } = parsed.data;
        const status = parsed.type === 'ApprovalGranted' ? 'APPROVED' : 'REJECTED';
        approval = { approvalId, status, decidedBy, reason };
        break;
      }
      case 'ApprovalExpired':
        approval = { approvalId: parsed.data.approvalId, status: 'EXPIRED', decidedBy: '', reason: 'expired' };
        break;
      case 'ApprovalWithdrawn':
        approval = {
          approvalId: parsed.data.approvalId,
          status: 'WITHDRAWN',
          decidedBy: '',
          reason: parsed.data.reason,
        };
        break;
      default:
        return;
    }
    approvals.set(approval.approvalId, approval);
    // A withdrawn approval's waiters end with their run's signal (see decidedApproval).
    if (approval.status === 'PENDING' || approval.status === 'WITHDRAWN') return;
    const key = `${tenantId}\u0000${approval.approvalId}`;
    const waiters = this.approvalWaiters.get(key);
    this.approvalWaiters.delete(key);
    for (const waiter of waiters ?? []) waiter(approval);
  }

  private tenant(tenantId: string): TenantModel {
    let tenant = this.tenants.get(tenantId);
    if (!tenant) {
      tenant = new TenantModel();
      this.tenants.set(tenantId, tenant);
    }
    return tenant;
  }
}
