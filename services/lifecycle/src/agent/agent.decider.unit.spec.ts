import { describe, expect, it } from 'vitest';
import type { AgentDefinition, AgentEvent } from '@aos/contracts';
import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from '@aos/errors';
import {
  decide,
  evolve,
  initialAgentState,
  type AgentCommand,
  type AgentLifecycleState,
  type AgentState,
} from './agent.decider';

const agentId = '6f1c1f0e-4a57-5b3e-9d7e-1d2f3a4b5c6d';

const definition: AgentDefinition = {
  name: 'billing-bot',
  description: 'Answers billing questions',
  capabilities: ['billing'],
  instructions: 'Be precise.',
  model: 'gpt-4o-mini',
  toolIds: [],
  knowledgeBaseIds: [],
  labels: { team: 'support' },
};

const created: AgentEvent = {
  type: 'AgentCreated',
  data: { agentId, definition, definitionVersion: 1, createdBy: 'alice' },
};
const deployed: AgentEvent = { type: 'AgentDeployed', data: { agentId, reason: '' } };
const paused: AgentEvent = { type: 'AgentPaused', data: { agentId, reason: '' } };
const resumed: AgentEvent = { type: 'AgentResumed', data: { agentId, reason: '' } };

/** The events that bring a new agent into each state. */
const historyFor: Record<AgentLifecycleState, AgentEvent[]> = {
  DRAFT: [created],
  ACTIVE: [created, deployed],
  PAUSED: [created, deployed, paused],
  RETIRED: [created, { type: 'AgentRetired', data: { agentId, reason: '', previousState: 'DRAFT' } }],
};

function given(events: AgentEvent[]): AgentState {
  return events.reduce(evolve, initialAgentState);
}

/** given events, when command: the events decided (or the error thrown). */
function when(events: AgentEvent[], command: AgentCommand): AgentEvent[] {
  return decide(command, given(events));
}

const transitions = {
  deploy: { type: 'DeployAgent', agentId, reason: 'go' },
  pause: { type: 'PauseAgent', agentId, reason: 'maintenance' },
  resume: { type: 'ResumeAgent', agentId, reason: 'done' },
  retire: { type: 'RetireAgent', agentId, reason: 'obsolete' },
} as const satisfies Record<string, AgentCommand>;

describe('Agent decider: create', () => {
  it('creates an agent in DRAFT with definition version 1', () => {
    const events = when([], { type: 'CreateAgent', agentId, definition, createdBy: 'alice' });
    expect(events).toEqual([created]);
    expect(given(events)).toEqual({ status: 'DRAFT', agentId, definition, definitionVersion: 1, createdBy: 'alice' });
  });

  it('refuses to create an agent that already exists', () => {
    expect(() => when([created], { type: 'CreateAgent', agentId, definition, createdBy: 'bob' })).toThrow(
      AlreadyExistsError,
    );
  });

  it('answers NOT_FOUND for any other command on an agent that does not exist', () => {
    for (const command of [...Object.values(transitions), { type: 'UpdateAgent', agentId, changes: {} } as const]) {
      expect(() => when([], command)).toThrow(NotFoundError);
    }
  });
});

describe('Agent decider: legal transitions', () => {
  it('deploys a DRAFT agent', () => {
    expect(when([created], transitions.deploy)).toEqual([{ type: 'AgentDeployed', data: { agentId, reason: 'go' } }]);
    expect(given([created, deployed]).status).toBe('ACTIVE');
  });

  it('pauses an ACTIVE agent', () => {
    expect(when([created, deployed], transitions.pause)).toEqual([
      { type: 'AgentPaused', data: { agentId, reason: 'maintenance' } },
    ]);
    expect(given([created, deployed, paused]).status).toBe('PAUSED');
  });

  it('resumes a PAUSED agent', () => {
    expect(when([created, deployed, paused], transitions.resume)).toEqual([
      { type: 'AgentResumed', data: { agentId, reason: 'done' } },
    ]);
    expect(given([created, deployed, paused, resumed]).status).toBe('ACTIVE');
  });

  it.each(['DRAFT', 'ACTIVE', 'PAUSED'] as const)('retires an agent in %s and records the previous state', (from) => {
    const events = when(historyFor[from], transitions.retire);
    expect(events).toEqual([{ type: 'AgentRetired', data: { agentId, reason: 'obsolete', previousState: from } }]);
    expect(given([...historyFor[from], ...events]).status).toBe('RETIRED');
  });
});

describe('Agent decider: illegal transitions', () => {
  const illegal: [keyof typeof transitions, AgentLifecycleState][] = [
    ['deploy', 'ACTIVE'],
    ['deploy', 'PAUSED'],
    ['deploy', 'RETIRED'],
    ['pause', 'DRAFT'],
    ['pause', 'PAUSED'],
    ['pause', 'RETIRED'],
    ['resume', 'DRAFT'],
    ['resume', 'ACTIVE'],
    ['resume', 'RETIRED'],
    ['retire', 'RETIRED'],
  ];

  it.each(illegal)('refuses to %s an agent in %s', (verb, state) => {
    const attempt = () => when(historyFor[state], transitions[verb]);
    expect(attempt).toThrow(FailedPreconditionError);
    expect(attempt).toThrow(`cannot ${verb} agent in state ${state}`);
  });
});

describe('Agent decider: update', () => {
  it('records the whole new definition, the next definition version and the changed fields', () => {
    const events = when([created, deployed], {
      type: 'UpdateAgent',
      agentId,
      changes: { description: 'Answers billing and refund questions', capabilities: ['billing', 'refunds'] },
    });
    expect(events).toEqual([
      {
        type: 'AgentUpdated',
        data: {
          agentId,
          definition: {
            ...definition,
            description: 'Answers billing and refund questions',
            capabilities: ['billing', 'refunds'],
          },
          definitionVersion: 2,
          changedFields: ['description', 'capabilities'],
        },
      },
    ]);
  });

  it('keeps the lifecycle state and takes the definition from the event', () => {
    const updated: AgentEvent = {
      type: 'AgentUpdated',
      data: { agentId, definition: { ...definition, model: 'gpt-4o' }, definitionVersion: 2, changedFields: ['model'] },
    };
    expect(given([created, deployed, paused, updated])).toMatchObject({
      status: 'PAUSED',
      definitionVersion: 2,
      definition: { model: 'gpt-4o' },
    });
  });

  it('records nothing when nothing changes, including labels given in another order', () => {
    const two = { ...definition, labels: { a: '1', b: '2' } };
    const history: AgentEvent[] = [{ ...created, data: { ...created.data, definition: two } } as AgentEvent];
    expect(
      when(history, { type: 'UpdateAgent', agentId, changes: { labels: { b: '2', a: '1' }, model: two.model } }),
    ).toEqual([]);
    expect(when(history, { type: 'UpdateAgent', agentId, changes: {} })).toEqual([]);
  });

  it('treats cleared fields as changes', () => {
    const events = when([created], { type: 'UpdateAgent', agentId, changes: { capabilities: [], labels: {} } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ data: { changedFields: ['capabilities', 'labels'], definitionVersion: 2 } });
  });

  it('treats a reordering of a list as a change, since order is part of the definition', () => {
    const history: AgentEvent[] = [
      { ...created, data: { ...created.data, definition: { ...definition, toolIds: ['a', 'b'] } } } as AgentEvent,
    ];
    expect(when(history, { type: 'UpdateAgent', agentId, changes: { toolIds: ['b', 'a'] } })).toMatchObject([
      { data: { changedFields: ['toolIds'] } },
    ]);
  });

  it('counts definition versions across several updates', () => {
    const first = when([created], { type: 'UpdateAgent', agentId, changes: { model: 'a' } });
    const second = when([created, ...first], { type: 'UpdateAgent', agentId, changes: { model: 'b' } });
    expect(second[0]).toMatchObject({ type: 'AgentUpdated', data: { definitionVersion: 3, changedFields: ['model'] } });
  });

  it('refuses to update a RETIRED agent, even with no change', () => {
    expect(() => when(historyFor.RETIRED, { type: 'UpdateAgent', agentId, changes: { model: 'x' } })).toThrow(
      'cannot update agent in state RETIRED',
    );
    expect(() => when(historyFor.RETIRED, { type: 'UpdateAgent', agentId, changes: {} })).toThrow(
      FailedPreconditionError,
    );
  });

  it.each(['DRAFT', 'ACTIVE', 'PAUSED'] as const)('updates an agent in %s', (state) => {
    expect(when(historyFor[state], { type: 'UpdateAgent', agentId, changes: { name: 'renamed' } })).toMatchObject([
      { type: 'AgentUpdated', data: { changedFields: ['name'], definition: { name: 'renamed' } } },
    ]);
  });
});

describe('Agent decider: evolve', () => {
  it('refuses an event for an agent that was never created', () => {
    expect(() => given([deployed])).toThrow('AgentDeployed for agent');
  });
});

describe('Agent decider: rollback', () => {
  const v2: AgentEvent = {
    type: 'AgentUpdated',
    data: {
      agentId,
      definition: { ...definition, name: 'billing-bot-2', model: 'gpt-4o', toolIds: ['t1'] },
      definitionVersion: 2,
      changedFields: ['name', 'model', 'toolIds'],
    },
  };
  const rollback = (toVersion: number, target: AgentDefinition | undefined): AgentCommand => ({
    type: 'RollbackAgent',
    agentId,
    toVersion,
    target,
  });

  it("records a new version with the old version's whole definition, the changed fields and rolledBackTo", () => {
    expect(when([created, deployed, v2], rollback(1, definition))).toEqual([
      {
        type: 'AgentUpdated',
        data: {
          agentId,
          definition,
          definitionVersion: 3,
          changedFields: ['name', 'model', 'toolIds'],
          rolledBackTo: 1,
        },
      },
    ]);
  });

  it('keeps the lifecycle state: a PAUSED agent rolled back stays PAUSED at the new version', () => {
    const events = when([created, deployed, paused, v2], rollback(1, definition));
    expect(given([created, deployed, paused, v2, ...events])).toMatchObject({
      status: 'PAUSED',
      definitionVersion: 3,
      definition,
    });
  });

  it('records nothing when the current definition already equals the target (the current version or a restored one)', () => {
    expect(when([created, v2], rollback(2, (v2.data as { definition: AgentDefinition }).definition))).toEqual([]);
    const [restored] = when([created, v2], rollback(1, definition));
    expect(when([created, v2, restored!], rollback(1, definition))).toEqual([]);
  });

  it('answers NOT_FOUND for a version the agent does not have', () => {
    expect(() => when([created, v2], rollback(3, definition))).toThrow(NotFoundError);
    expect(() => when([created, v2], rollback(1, undefined))).toThrow(`agent version "${agentId} v1" not found`);
  });

  it('answers NOT_FOUND for an agent that does not exist', () => {
    expect(() => when([], rollback(1, definition))).toThrow(NotFoundError);
  });

  it('refuses to roll back a RETIRED agent, even to its current definition', () => {
    expect(() => when(historyFor.RETIRED, rollback(1, definition))).toThrow('cannot roll back agent in state RETIRED');
  });
});

describe('Agent decider: health and sessions', () => {
  const health = (status: 'HEALTHY' | 'DEGRADED' | 'UNHEALTHY', causePosition: number) =>
    ({ type: 'RecordHealth', agentId, status, reason: `${status} because`, causePosition }) as const;
  const changed = (status: 'HEALTHY' | 'DEGRADED', previousStatus: 'UNKNOWN' | 'HEALTHY', causePosition: number) =>
    ({
      type: 'AgentHealthChanged',
      data: { agentId, status, previousStatus, reason: `${status} because`, causePosition },
    }) as const;

  it('records a new status with the one it replaces', () => {
    expect(when(historyFor.ACTIVE, health('HEALTHY', 10))).toEqual([changed('HEALTHY', 'UNKNOWN', 10)]);
    expect(when([...historyFor.ACTIVE, changed('HEALTHY', 'UNKNOWN', 10)], health('DEGRADED', 12))).toEqual([
      changed('DEGRADED', 'HEALTHY', 12),
    ]);
  });

  it('records nothing for the status recorded already, or one computed from an older position (a lagging replica)', () => {
    const history = [...historyFor.ACTIVE, changed('HEALTHY', 'UNKNOWN', 10), changed('DEGRADED', 'HEALTHY', 12)];
    expect(when(history, health('DEGRADED', 14))).toEqual([]);
    expect(when(history, health('HEALTHY', 10))).toEqual([]);
    expect(when(history, health('HEALTHY', 11))).toEqual([]);
    // Computed from the same position or a later one, a different status is a change.
    expect(when(history, health('UNHEALTHY', 12))).toHaveLength(1);
  });

  it('records no health of a retired agent, and none of an agent that does not exist', () => {
    expect(when(historyFor.RETIRED, health('HEALTHY', 10))).toEqual([]);
    expect(() => when([], health('HEALTHY', 10))).toThrow(NotFoundError);
  });

  it('records the sessions an external agent attaches and ends, without changing its state', () => {
    const attached = when(historyFor.ACTIVE, {
      type: 'RecordSessionAttached',
      agentId,
      sessionId: 's1',
      maxConcurrentTasks: 2,
    });
    expect(attached).toEqual([
      { type: 'AgentSessionAttached', data: { agentId, sessionId: 's1', maxConcurrentTasks: 2 } },
    ]);
    const ended = when([...historyFor.ACTIVE, ...attached], {
      type: 'RecordSessionEnded',
      agentId,
      sessionId: 's1',
      reason: 'the stream ended',
    });
    expect(ended).toEqual([
      { type: 'AgentSessionEnded', data: { agentId, sessionId: 's1', reason: 'the stream ended' } },
    ]);
    expect(given([...historyFor.ACTIVE, ...attached, ...ended])).toMatchObject({ status: 'ACTIVE' });
  });
});
