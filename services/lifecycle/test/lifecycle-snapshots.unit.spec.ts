import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { AGENT_CATEGORY } from '@aos/contracts';
import { RequestIndex } from '@aos/command-pipeline';
import type { RecordedEvent } from '@aos/event-store';
import { AgentProjection } from '../src/agent/agent.projection';
import { lifecycleSnapshots } from '../src/lifecycle.snapshots';
import { requestStepOf } from '../src/agent/agent.handler';
import { recordedHistory } from './support/lifecycle-history';

/** Lifecycle's models as the bootstrap wires them: the projection, and the request index fed after it. */
function model() {
  const projection = new AgentProjection();
  const requests = new RequestIndex([AGENT_CATEGORY], (e) => projection.recordAfter(e));
  const apply = (event: RecordedEvent) => {
    if (event.category === AGENT_CATEGORY) {
      projection.apply(event);
      requests.apply(requestStepOf(event));
    } else projection.health.apply(event);
  };
  return { projection, requests, apply, snapshots: lifecycleSnapshots(projection, requests) };
}

/** Through v8, as the snapshot store keeps it: no class instance, no function survives. */
const throughV8 = <T>(state: T): T => deserialize(serialize(state)) as T;

/** Every answer the models give, for every agent, tenant and request of the log. */
function answers(m: ReturnType<typeof model>, log: readonly RecordedEvent[]) {
  const { projection, requests } = m;
  const tenants = [...new Set(log.map((e) => e.metadata.tenantId))];
  const agents = [
    ...new Set(log.filter((e) => e.category === AGENT_CATEGORY).map((e) => `${e.metadata.tenantId}/${e.streamId}`)),
  ].map((key) => key.split('/') as [string, string]);
  const end = Date.parse(log.at(-1)!.time) + 1;
  return {
    counters: {
      agentEvents: projection.eventsApplied,
      position: projection.position,
      runEvents: projection.health.eventsApplied,
      runsInFlight: projection.health.runsInFlight,
    },
    agents: agents.map(([tenantId, agentId]) => {
      const record = projection.get(tenantId, agentId);
      return {
        record,
        frozen: record && Object.isFrozen(record),
        proto: record && projection.toProto(record),
        byName: record && projection.agentIdByName(tenantId, record.agent.definition.name),
        versions: projection.versions.page(tenantId, agentId, 0, 1000, { maxBytes: 1e9, sizeOf: () => 1 }),
        figures: projection.health.figures(tenantId, agentId, 0, end),
        cause: projection.health.causeOf(tenantId, agentId),
      };
    }),
    lists: tenants.map((tenantId) => projection.list(tenantId, [], 0, 10_000)),
    seen: [...projection.health.agentsSeen()].sort(),
    sessions: [...projection.health.sessionsOpen()],
    requests: log.map((e) => requests.get(e.metadata.tenantId, e.metadata.requestId)),
  };
}

describe('lifecycle projection snapshots', () => {
  const log = recordedHistory(6_000, { seed: 7 });
  const [before, after] = [log.slice(0, 4_000), log.slice(4_000)];

  it('the history exercises what the models keep', () => {
    const types = new Set(log.map((e) => e.type));
    for (const type of [
      'AgentCreated',
      'AgentUpdated',
      'AgentDeployed',
      'AgentPaused',
      'AgentRetired',
      'AgentSessionAttached',
      'AgentSessionEnded',
      'AgentHealthChanged',
      'RunStarted',
      'ModelCalled',
      'UsageCharged',
      'RunSucceeded',
      'RunFailed',
      'RunStopped',
    ])
      expect(types, type).toContain(type);
    const m = model();
    before.forEach(m.apply);
    expect(m.projection.health.runsInFlight).toBeGreaterThan(0);
    expect([...m.projection.health.sessionsOpen()].length).toBeGreaterThan(0);
  });

  it('a model restored from its two snapshots answers as the one that replayed the log, before and after more events', () => {
    const replayed = model();
    before.forEach(replayed.apply);
    const agentState = throughV8(replayed.snapshots.agent.capture());
    // Older records are kept in columns, none as an object of another shape.
    const kinds = [...agentState.requests.after.kinds];
    expect(kinds.filter((k) => k === 2).length).toBeGreaterThan(500);
    expect(kinds.filter((k) => k === 3)).toEqual([]);
    const runState = throughV8(replayed.snapshots.run.capture());

    const restored = model();
    restored.snapshots.agent.restore(agentState);
    restored.snapshots.run.restore(runState);
    expect(answers(restored, before)).toEqual(answers(replayed, before));

    // Redelivered after a reconnect: both models must skip what they hold already.
    const redelivered = before.slice(-50);
    redelivered.forEach(replayed.apply);
    redelivered.forEach(restored.apply);
    after.forEach(replayed.apply);
    after.forEach(restored.apply);
    const expected = answers(replayed, log);
    expect(answers(restored, log)).toEqual(expected);
    // The tail changed things the snapshot held: a snapshot that kept less would show here.
    expect(expected.counters.agentEvents).toBeGreaterThan(answers(model(), log).counters.agentEvents);
    expect(throughV8(restored.snapshots.agent.capture())).toEqual(throughV8(replayed.snapshots.agent.capture()));
    expect(throughV8(restored.snapshots.run.capture())).toEqual(throughV8(replayed.snapshots.run.capture()));
  });

  it('a reply kept for a retried request is the very record the model held after it, restored or not', () => {
    const restored = model();
    const replayed = model();
    before.forEach(replayed.apply);
    restored.snapshots.agent.restore(throughV8(replayed.snapshots.agent.capture()));
    const created = before.find(
      (e) => e.type === 'AgentCreated' && before.filter((o) => o.streamId === e.streamId).length === 1,
    )!;
    const steps = restored.requests.get(created.metadata.tenantId, created.metadata.requestId)!;
    // Serialized in one piece, the index and the model share their objects again (no copy per request).
    expect(steps[0]!.after).toBe(restored.projection.get(created.metadata.tenantId, created.streamId));
  });

  it('each subscription restores only its own part: restoring one leaves the other empty', () => {
    const replayed = model();
    before.forEach(replayed.apply);
    const onlyRuns = model();
    onlyRuns.snapshots.run.restore(throughV8(replayed.snapshots.run.capture()));
    expect(onlyRuns.projection.eventsApplied).toBe(0);
    expect([...onlyRuns.projection.health.sessionsOpen()]).toEqual([]);
    expect(onlyRuns.projection.health.eventsApplied).toBe(replayed.projection.health.eventsApplied);
    const onlyAgents = model();
    onlyAgents.snapshots.agent.restore(throughV8(replayed.snapshots.agent.capture()));
    expect(onlyAgents.projection.health.eventsApplied).toBe(0);
    expect(onlyAgents.projection.health.runsInFlight).toBe(0);
    expect(onlyAgents.projection.eventsApplied).toBe(replayed.projection.eventsApplied);
  });
});
