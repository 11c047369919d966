import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { AGENT_CATEGORY, GovernanceCategories, RUN_CATEGORY, TASK_CATEGORY } from '@aos/contracts';
import type { RecordedEvent } from '@aos/event-store';
import { taskHistory } from '@aos/testing';
import { RuntimeModel, type RuntimeModelState } from './runtime.model';

let position = 0;
const revisions = new Map<string, number>();
function recorded(tenantId: string, category: string, streamId: string, type: string, data: unknown): RecordedEvent {
  const stream = `${category}-${streamId}`;
  const revision = (revisions.get(stream) ?? -1) + 1;
  revisions.set(stream, revision);
  position += 1;
  return {
    id: `e-${position}`,
    type,
    data,
    stream,
    category,
    streamId,
    revision,
    position,
    time: new Date(1_700_000_000_000 + position).toISOString(),
    metadata: {
      tenantId,
      actor: { kind: 'user', id: 'u' },
      correlationId: `c-${position}`,
      causationId: `c-${position}`,
      requestId: `r-${position}`,
      schemaVersion: 1,
    },
  };
}

const definition = (name: string, labels: Record<string, string> = {}) => ({
  name,
  description: '',
  capabilities: [],
  instructions: 'Be brief.',
  model: '',
  toolIds: [],
  knowledgeBaseIds: [],
  labels,
});

/** Two tenants: agents, tasks in every state the runtime cares about, a tool and approvals. */
function history(tenantId: string, n: number): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  const agentId = `a${n}`;
  events.push(
    recorded(tenantId, AGENT_CATEGORY, agentId, 'AgentCreated', {
      agentId,
      definition: definition(`agent ${n}`),
      definitionVersion: 1,
      createdBy: 'u',
    }),
    recorded(tenantId, AGENT_CATEGORY, agentId, 'AgentDeployed', { agentId, reason: '' }),
  );
  for (let t = 0; t < 4; t++) {
    const taskId = `${tenantId}-t${n}-${t}`;
    const h = taskHistory(taskId, agentId);
    const steps = [h.submitted, h.routed, h.started(1), h.abandoned(1), h.started(2)].slice(0, 2 + t);
    for (const step of steps) events.push(recorded(tenantId, TASK_CATEGORY, taskId, step.type, step.data));
    if (t === 3)
      events.push(
        recorded(tenantId, RUN_CATEGORY, `${taskId}-2`, 'RunSucceeded', { runId: `${taskId}-2`, result: 'ok' }),
      );
  }
  events.push(
    recorded(tenantId, GovernanceCategories.approval, `ap${n}`, 'ApprovalRequested', {
      approvalId: `ap${n}`,
      subject: `agent:${agentId}`,
      action: 'tools.invoke',
      resource: 'tool/refund',
      reason: 'why',
      expireTime: new Date(1).toISOString(),
    }),
  );
  return events;
}

/** What the runtime reads of its model, for every tenant, agent, task and approval of the history. */
function observe(model: RuntimeModel) {
  return {
    applied: model.eventsApplied,
    runnable: [...model.runnable()].map((r) => [r.tenantId, r.task, r.agent]),
    external: [...model.runnableExternally('t1', 'a1')].map((r) => r.task.taskId),
    agents: ['a0', 'a1', 'a2'].map((id) => [model.agent('t1', id), model.agent('t2', id)]),
    approvals: ['ap0', 'ap1', 'ap2'].map((id) => [model.approval('t1', id), model.approval('t2', id)]),
    correlation: model.taskCorrelationId('t1', 't1-t0-0'),
  };
}

describe('RuntimeModel snapshot', () => {
  it('a restored model answers as the model it was captured from, before and after more events', () => {
    const first = [...history('t1', 0), ...history('t2', 0), ...history('t1', 1)];
    const later = [...history('t1', 2), ...history('t2', 1)];
    const live = new RuntimeModel();
    for (const e of first) live.apply(e);

    const restored = new RuntimeModel();
    restored.restore(deserialize(serialize(live.capture())) as RuntimeModelState);
    expect(observe(restored)).toEqual(observe(live));
    expect(observe(restored).runnable.length).toBeGreaterThan(0);
    expect(restored.approval('t1', 'ap0')?.status).toBe('PENDING');

    for (const e of later) {
      live.apply(e);
      restored.apply(e);
    }
    expect(observe(restored)).toEqual(observe(live));
    // A redelivered event is recognised after a restore too (the revisions are part of the state).
    restored.apply(first.at(-1)!);
    expect(restored.eventsApplied).toBe(live.eventsApplied);
  });

  it('an ASSIGNED task stays the same object in both maps after a restore, so a start is seen by the scan', () => {
    const live = new RuntimeModel();
    for (const e of history('t1', 0)) live.apply(e);
    const restored = new RuntimeModel();
    restored.restore(deserialize(serialize(live.capture())) as RuntimeModelState);
    const assigned = [...restored.runnable()].map((r) => r.task.taskId);
    // t0-0 was routed; t0-2's first attempt was abandoned, so it waits for its second.
    expect(assigned).toEqual(['t1-t0-0', 't1-t0-2']);
    // The task starts: it must leave the scan in the restored model as in the live one.
    const start = recorded('t1', TASK_CATEGORY, 't1-t0-0', 'TaskStarted', {
      taskId: 't1-t0-0',
      runId: 't1-t0-0-1',
      attempt: 1,
      agentId: 'a0',
      runner: 'r',
    });
    live.apply(start);
    restored.apply(start);
    expect([...restored.runnable()]).toEqual([...live.runnable()]);
    expect([...restored.runnable()].map((r) => r.task.taskId)).toEqual(['t1-t0-2']);
  });
});
