import { describe, expect, it } from 'vitest';
import { evolveTask, initialTaskState, type AgentEvent, type TaskHistoryEvent } from '@aos/contracts';
import { taskHistory } from '@aos/testing';
import { evolveAgent, isRunnable, type AgentView, type TaskView } from './views';

const { submitted, routed, started: startedBy, abandoned: abandonedIn } = taskHistory('t1', 'a1');
const abandoned = abandonedIn(1);

const definition = {
  name: 'n',
  description: '',
  capabilities: [],
  instructions: 'Be brief.',
  model: '',
  toolIds: [],
  knowledgeBaseIds: [],
  labels: {} as Record<string, string>,
};
const agentEvents = (labels: Record<string, string> = {}): AgentEvent[] => [
  {
    type: 'AgentCreated',
    data: { agentId: 'a1', definition: { ...definition, labels }, definitionVersion: 1, createdBy: 'u' },
  },
  { type: 'AgentDeployed', data: { agentId: 'a1', reason: '' } },
];

const task = (...events: TaskHistoryEvent[]): TaskView => events.reduce(evolveTask, initialTaskState) as TaskView;
const agent = (...events: AgentEvent[]): AgentView => events.reduce<AgentView | undefined>(evolveAgent, undefined)!;

describe('which tasks the built-in runtime runs', () => {
  it('an ASSIGNED task of an ACTIVE agent is runnable; its next attempt follows the last started', () => {
    const assigned = task(submitted, routed);
    expect(isRunnable(assigned, agent(...agentEvents()))).toBe(true);
    expect(assigned.attempt).toBe(0);
  });

  it('a RUNNING task is not; after its attempt is abandoned it is again, with attempt 1 behind it', () => {
    const running = task(submitted, routed, startedBy(1));
    expect(isRunnable(running, agent(...agentEvents()))).toBe(false);
    const again = task(submitted, routed, startedBy(1), abandoned);
    expect(again.status).toBe('ASSIGNED');
    expect(again.attempt).toBe(1);
    expect(isRunnable(again, agent(...agentEvents()))).toBe(true);
  });

  it('a paused agent keeps its tasks waiting; an external agent is never run here', () => {
    const assigned = task(submitted, routed);
    expect(
      isRunnable(assigned, agent(...agentEvents(), { type: 'AgentPaused', data: { agentId: 'a1', reason: '' } })),
    ).toBe(false);
    expect(isRunnable(assigned, agent(...agentEvents({ 'aos.runtime': 'external' })))).toBe(false);
    // ... but by an attached session of it; and a built-in agent's task never by a session.
    expect(isRunnable(assigned, agent(...agentEvents({ 'aos.runtime': 'external' })), true)).toBe(true);
    expect(isRunnable(assigned, agent(...agentEvents()), true)).toBe(false);
    expect(isRunnable(assigned, undefined)).toBe(false);
  });

  it('terminal tasks are not runnable', () => {
    for (const end of [
      { type: 'RunSucceeded', data: { runId: 't1-1', result: 'ok' } },
      { type: 'RunFailed', data: { runId: 't1-1', reason: 'x', code: 'INTERNAL' } },
      { type: 'TaskCancelled', data: { taskId: 't1', reason: '', cancelledBy: 'u' } },
    ] satisfies TaskHistoryEvent[]) {
      expect(isRunnable(task(submitted, routed, startedBy(1), end), agent(...agentEvents()))).toBe(false);
    }
  });
});
