import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { RequestIndex, type RequestIndexState } from '@aos/command-pipeline';
import { TASK_CATEGORY } from '@aos/contracts';
import type { RecordedEvent } from '@aos/event-store';
import { AGENTS, HISTORY, TASKS } from '../../../libs/capability-router/test/routing-set';
import { RoutingModel, routingSnapshot, type RoutingModelState } from '../src/routing.model';
import { isSummary } from '../src/task/task.projection';
import { chooseAgent } from '../src/task/task.routing';

/**
 * A realistic log for two tenants: the routing test set's agents created,
 * deployed, updated, paused, resumed and retired; tasks submitted, routed,
 * queued, reassigned by a person, started, waiting for approval, succeeded,
 * failed, abandoned and cancelled, with their runs' steps.
 */
class Log {
  private position = 0;
  private readonly revisions = new Map<string, number>();
  readonly events: RecordedEvent[] = [];

  add(tenantId: string, category: string, streamId: string, type: string, data: unknown): void {
    const key = `${tenantId}/${category}-${streamId}`;
    const revision = (this.revisions.get(key) ?? -1) + 1;
    this.revisions.set(key, revision);
    this.position += 1;
    this.events.push({
      id: `e${this.position}`,
      type,
      data,
      stream: `${category}-${streamId}`,
      category,
      streamId,
      revision,
      position: this.position,
      time: new Date(1_700_000_000_000 + this.position * 1000).toISOString(),
      metadata: {
        tenantId,
        actor: { kind: 'user', id: 'alice' },
        correlationId: `c${this.position}`,
        causationId: `c${this.position}`,
        requestId: `r${Math.floor(this.position / 2)}`,
        schemaVersion: 1,
      },
    });
  }
}

const decision = (agentId: string) => ({
  router: 'lexical',
  chosenAgentId: agentId,
  candidates: agentId
    ? [{ agentId, agentName: agentId, score: 1, lexicalScore: 1, loadPenalty: 0, queueLength: 0 }]
    : [],
  rationale: `chose ${agentId}`,
});

function definition(agent: (typeof AGENTS)[number], description = agent.description) {
  return {
    name: agent.name,
    description,
    capabilities: agent.capabilities,
    instructions: '',
    model: '',
    toolIds: [],
    knowledgeBaseIds: [],
    labels: { 'aos.max_concurrent_tasks': '3' },
  };
}

let taskCount = 0;

/** A task's life up to `end`, for the agent `agentId`, in tenant `t`. */
function taskLife(log: Log, t: string, text: string, agentId: string, end: string): void {
  const id = `task-${++taskCount}`;
  const task = (type: string, data: object) => log.add(t, TASK_CATEGORY, id, type, { taskId: id, ...data });
  const run = (runId: string, type: string, data: object) => log.add(t, 'run', runId, type, { runId, ...data });
  task('TaskSubmitted', { text, requiredCapabilities: [], requestedAgentId: '', priority: 'NORMAL', submittedBy: 'a' });
  if (end === 'queued') return task('TaskQueued', { cause: 'submitted', reason: 'none', decision: decision('') });
  task('TaskRouted', { agentId, cause: 'submitted', decision: decision(agentId) });
  if (end === 'assigned') return;
  if (end === 'cancelled') return task('TaskCancelled', { reason: 'no longer needed', cancelledBy: 'bob' });
  if (end === 'reassigned')
    return task('TaskReassigned', {
      fromAgentId: agentId,
      toAgentId: AGENTS[(taskCount * 5) % AGENTS.length]!.id,
      reason: 'wrong agent',
      reassignedBy: 'bob',
      decision: decision(agentId),
    });
  const runId = `${id}-1`;
  task('TaskStarted', { runId, attempt: 1, agentId, runner: 'r' });
  run(runId, 'StepReported', { summary: `looked at ${text}`, detailJson: '{}' });
  if (end === 'running') return;
  if (end === 'waiting') return run(runId, 'ApprovalAwaited', { callId: 'c', approvalId: `ap-${id}`, toolId: 'x' });
  if (end === 'abandoned')
    return task('TaskAttemptAbandoned', { runId, attempt: 1, runner: 'r', reason: 'lease ran out' });
  if (end === 'failed') return run(runId, 'RunFailed', { reason: 'broke', code: 'INTERNAL' });
  run(runId, 'RunSucceeded', { result: `done: ${text}` });
}

const ENDS = ['succeeded', 'succeeded', 'succeeded', 'assigned', 'running', 'waiting', 'failed', 'abandoned'];

function seed(log: Log, tenants: readonly string[], from: number, to: number): void {
  for (const t of tenants)
    for (const [i, h] of HISTORY.slice(from, to).entries()) {
      const text = h.text;
      if (h.kind === 'completed') taskLife(log, t, text, h.agentId, ENDS[(i + t.length) % ENDS.length]!);
      else taskLife(log, t, text, h.fromAgentId, 'reassigned');
      if (i % 37 === 0) taskLife(log, t, text, h.kind === 'completed' ? h.agentId : h.toAgentId, 'cancelled');
      if (i % 41 === 0) taskLife(log, t, `${text} once more`, '', 'queued');
    }
}

function agentLives(log: Log, t: string, phase: 'before' | 'after'): void {
  AGENTS.forEach((agent, i) => {
    const transition = (type: string, extra: object = {}) =>
      log.add(t, 'agent', agent.id, type, { agentId: agent.id, reason: 'ops', ...extra });
    if (phase === 'before') {
      log.add(t, 'agent', agent.id, 'AgentCreated', {
        agentId: agent.id,
        definition: definition(agent),
        definitionVersion: 1,
        createdBy: 'alice',
      });
      if (i % 9 !== 8) transition('AgentDeployed');
      if (i % 7 === 3) transition('AgentPaused');
      if (i % 11 === 5) transition('AgentRetired', { previousState: i % 7 === 3 ? 'PAUSED' : 'ACTIVE' });
    } else {
      if (i % 7 === 3 && i % 11 !== 5) transition('AgentResumed');
      if (i % 5 === 1)
        log.add(t, 'agent', agent.id, 'AgentUpdated', {
          agentId: agent.id,
          definition: definition(agent, `${agent.description}; also handles escalations`),
          definitionVersion: 2,
          changedFields: ['description'],
        });
    }
  });
}

function fed(finishedKeptWhole?: number): {
  model: RoutingModel;
  requests: RequestIndex;
  apply: (e: RecordedEvent) => void;
} {
  const requests = new RequestIndex([TASK_CATEGORY]);
  const model = new RoutingModel({ requests, finishedKeptWhole });
  return {
    model,
    requests,
    apply: (e) => model.apply(e),
  };
}

/** Maps and Sets as arrays of their entries, so that toEqual compares their order too. */
function ordered(value: unknown): unknown {
  if (value instanceof Map) return [...value].map(([k, v]) => [k, ordered(v)]);
  if (value instanceof Set) return [...value].map(ordered);
  if (Array.isArray(value)) return value.map(ordered);
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, ordered(v)]));
  return value;
}

const TENANTS = ['acme', 'globex'];

/** Every decision routing would make now: the full choice (with queue and exclusions) and the router's own. */
function decisions(model: RoutingModel) {
  return TENANTS.flatMap((t) =>
    TASKS.flatMap((task, i) => [
      chooseAgent(model, t, {
        text: task.text,
        requiredCapabilities: i % 4 === 0 ? [AGENTS[i % AGENTS.length]!.capabilities[0]!] : [],
        requestedAgentId: '',
        cause: 'submitted',
        excludeAgentId: i % 6 === 0 ? task.expectedAgentId : undefined,
      }),
      model.router(t).route(task.text, { topK: 10 }),
    ]),
  );
}

/** What reactions and handlers read besides decisions: tasks, agents and loads. */
function state(model: RoutingModel) {
  return TENANTS.map((t) => ({
    tasks: [...model.tasks.tasksOf(t)],
    running: [...model.tasks.runningTasks()].map((r) => r.task.taskId),
    unstarted: [...model.tasks.unstartedTasksOf(t)].map((r) => r.task.taskId),
    agents: [...model.agents.agentsOf(t)],
    loads: AGENTS.map((a) => model.loadOf(t, a.id)),
    applied: model.eventsApplied,
  }));
}

// Every finished task whole (the default keeps 1,000), and all but the newest 5 summarised.
describe.each([{ kept: undefined }, { kept: 5 }])(
  'routing snapshot (RoutingModel and its request index), finished tasks kept whole: $kept',
  ({ kept }) => {
    it('given a model restored from a serialized capture, when both apply the rest of the log, then decisions and state are identical', () => {
      const log = new Log();
      for (const t of TENANTS) agentLives(log, t, 'before');
      seed(log, TENANTS, 0, 120);
      const cut = log.events.length;
      for (const t of TENANTS) agentLives(log, t, 'after');
      seed(log, TENANTS, 120, HISTORY.length);

      const original = fed(kept);
      for (const e of log.events.slice(0, cut)) original.apply(e);
      // As at the end of a replay: the routers index what they learned.
      original.model.refreshRouters();
      const snapshot = routingSnapshot(original.model, original.requests);
      const bytes = serialize(snapshot.capture());

      const copy = fed(kept);
      const restoring = routingSnapshot(copy.model, copy.requests);
      expect(restoring.version).toBe(snapshot.version);
      restoring.restore(deserialize(bytes) as { model: RoutingModelState; requests: RequestIndexState });
      copy.model.refreshRouters();

      expect(decisions(copy.model)).toEqual(decisions(original.model));
      expect(state(copy.model)).toStrictEqual(state(original.model));

      for (const e of log.events.slice(cut)) {
        original.apply(e);
        copy.apply(e);
      }
      // A redelivered event is ignored by both alike.
      original.apply(log.events.at(-1)!);
      copy.apply(log.events.at(-1)!);
      original.model.refreshRouters();
      copy.model.refreshRouters();

      const after = decisions(original.model);
      expect(decisions(copy.model)).toEqual(after);
      expect(after.filter((d) => 'agentId' in d && d.agentId).length).toBeGreaterThan(TASKS.length);
      expect(state(copy.model)).toStrictEqual(state(original.model));
      expect(copy.model.eventsApplied).toBe(original.model.eventsApplied);
      expect(ordered(copy.model.capture())).toEqual(ordered(original.model.capture()));
      expect(ordered(copy.requests.capture())).toEqual(ordered(original.requests.capture()));
      // A retry of a request recorded before the snapshot is still recognised: by the index, or where to read it back.
      const taskEvents = log.events.filter((e) => e.category === TASK_CATEGORY);
      const { tenantId, requestId } = taskEvents[0]!.metadata;
      expect(copy.requests.get(tenantId, requestId)).toEqual(original.requests.get(tenantId, requestId));
      if (kept === undefined) {
        expect(copy.requests.get(tenantId, requestId)?.length).toBeGreaterThan(0);
      } else {
        const counts = copy.model.tasks.countsOf(tenantId);
        expect(counts.tasks).toBeGreaterThan(counts.whole + 20);
        const summarised = taskEvents.find((e) => isSummary(copy.model.task(e.metadata.tenantId, e.streamId)!))!;
        const { metadata } = summarised;
        expect(copy.requests.get(metadata.tenantId, metadata.requestId)).toBeUndefined();
        expect(copy.model.tasks.forgottenRequestTasks(metadata.tenantId, metadata.requestId)).toContain(
          summarised.streamId,
        );
        expect(original.model.tasks.forgottenRequestTasks(metadata.tenantId, metadata.requestId)).toContain(
          summarised.streamId,
        );
      }
    });
  },
);
