import { describe, expect, it } from 'vitest';
import type { AgentDefinition, AgentEvent, RunEvent } from '@aos/contracts';
import { ProjectionError, type RecordedEvent } from '@aos/event-store';
import { RequestIndex } from '@aos/command-pipeline';
import { AgentProjection, MAX_PAGE_BYTES, type AgentRecord } from './agent.projection';
import { parseAgentFilter } from './agent.filter';

const T1 = 'tenant-1';
const T2 = 'tenant-2';

function definition(name: string, extra: Partial<AgentDefinition> = {}): AgentDefinition {
  return {
    name,
    description: '',
    capabilities: [],
    instructions: '',
    model: '',
    toolIds: [],
    knowledgeBaseIds: [],
    labels: {},
    ...extra,
  };
}

/** A log in memory: records events as the store would, with revisions per stream and global positions. */
class Log {
  private position = 0;
  private readonly revisions = new Map<string, number>();
  readonly projection = new AgentProjection();
  /** The command pipeline's request index, fed after the projection as the lifecycle service feeds it. */
  readonly requests = new RequestIndex(['agent'], (e) => this.projection.recordAfter(e));

  record(tenantId: string, agentId: string, event: AgentEvent, requestId: string): RecordedEvent {
    const key = `${tenantId}/${agentId}`;
    const revision = (this.revisions.get(key) ?? -1) + 1;
    this.revisions.set(key, revision);
    this.position += 1;
    const recorded: RecordedEvent = {
      id: `${requestId}-0`,
      type: event.type,
      data: event.data,
      metadata: {
        tenantId,
        actor: { kind: 'user', id: 'alice' },
        correlationId: 'corr',
        causationId: requestId,
        requestId,
        schemaVersion: 1,
      },
      stream: `agent-${agentId}`,
      category: 'agent',
      streamId: agentId,
      revision,
      position: this.position,
      time: new Date(Date.UTC(2025, 0, 1, 0, 0, this.position)).toISOString(),
    };
    this.projection.apply(recorded);
    this.requests.apply(recorded);
    return recorded;
  }

  /** A run event of the runtime's, as the lifecycle service's run subscription receives it. */
  run(tenantId: string, event: RunEvent): RecordedEvent {
    this.position += 1;
    const runId = 'runId' in event.data ? event.data.runId : 'direct';
    const recorded: RecordedEvent = {
      id: `run-${this.position}`,
      type: event.type,
      data: event.data,
      metadata: {
        tenantId,
        actor: { kind: 'agent', id: 'x' },
        correlationId: 'corr',
        causationId: '',
        requestId: '',
        schemaVersion: 1,
      },
      stream: `run-${runId}`,
      category: 'run',
      streamId: runId,
      revision: 0,
      position: this.position,
      time: new Date(Date.UTC(2025, 0, 1, 0, 0, this.position)).toISOString(),
    };
    this.projection.health.apply(recorded);
    return recorded;
  }

  /** A run of the agent from its start to its end: succeeded, or failed with `failure`. */
  ranOnce(tenantId: string, agentId: string, runId: string, failure?: { code: string; reason: string }): void {
    this.run(tenantId, {
      type: 'RunStarted',
      data: {
        runId,
        taskId: 't',
        attempt: 1,
        agentId,
        definitionVersion: 1,
        model: '',
        runner: 'r',
        previousRunId: '',
      },
    });
    this.run(
      tenantId,
      failure
        ? { type: 'RunFailed', data: { runId, ...failure } }
        : { type: 'RunSucceeded', data: { runId, result: 'ok' } },
    );
  }

  create(tenantId: string, agentId: string, def: AgentDefinition, requestId = `create-${agentId}`): RecordedEvent {
    return this.record(
      tenantId,
      agentId,
      { type: 'AgentCreated', data: { agentId, definition: def, definitionVersion: 1, createdBy: 'alice' } },
      requestId,
    );
  }
}

describe('AgentProjection', () => {
  it('builds the agent with its read fields from the log', () => {
    const log = new Log();
    log.create(T1, 'a1', definition('Billing', { labels: { team: 'support' } }));
    log.record(T1, 'a1', { type: 'AgentDeployed', data: { agentId: 'a1', reason: '' } }, 'deploy-1');

    const record = log.projection.get(T1, 'a1')!;
    expect(record).toMatchObject({
      tenantId: T1,
      revision: 1,
      logPosition: 2,
      createPosition: 1,
      createTime: '2025-01-01T00:00:01.000Z',
      updateTime: '2025-01-01T00:00:02.000Z',
      agent: { status: 'ACTIVE', definitionVersion: 1, createdBy: 'alice' },
    });
    expect(log.projection.toProto(record)).toEqual({
      id: 'a1',
      tenantId: T1,
      name: 'Billing',
      description: '',
      capabilities: [],
      instructions: '',
      model: '',
      toolIds: [],
      knowledgeBaseIds: [],
      labels: { team: 'support' },
      state: 'ACTIVE',
      definitionVersion: 1,
      revision: 1,
      createdBy: 'alice',
      createTime: { seconds: Date.UTC(2025, 0, 1, 0, 0, 1) / 1000, nanos: 0 },
      updateTime: { seconds: Date.UTC(2025, 0, 1, 0, 0, 2) / 1000, nanos: 0 },
      health: {
        status: 'UNKNOWN',
        reason: 'no run ended and no external session attached yet',
        recentRuns: 0,
        recentFailures: 0,
        lastFailure: '',
        consecutiveFailures: 0,
        openSessions: 0,
      },
      logPosition: 2,
    });
    expect(log.projection.eventsApplied).toBe(2);
    expect(log.projection.position).toBe(2);
  });

  it("serves each agent's health from its runs' outcomes, and filters by it", () => {
    const log = new Log();
    log.create(T1, 'a1', definition('Billing'));
    log.create(T1, 'a2', definition('Refunds'));
    log.ranOnce(T1, 'a1', 'r1');
    log.ranOnce(T1, 'a2', 'r2', { code: 'INTERNAL', reason: 'boom' });
    log.ranOnce(T1, 'a2', 'r3', { code: 'INTERNAL', reason: 'boom' });
    log.ranOnce(T1, 'a2', 'r5', { code: 'FAILED_PRECONDITION', reason: 'no model server is configured' });
    log.ranOnce(T1, 'a2', 'r6', { code: 'PERMISSION_DENIED', reason: 'alice rejected the approval' });

    const heartbeat = { seconds: Date.UTC(2025, 0, 1, 0, 0, 4) / 1000, nanos: 0 };
    expect(log.projection.toProto(log.projection.get(T1, 'a1')!).health).toEqual({
      status: 'HEALTHY',
      reason: 'the newest run succeeded',
      lastHeartbeatTime: heartbeat,
      recentRuns: 1,
      recentFailures: 0,
      lastFailure: '',
      consecutiveFailures: 0,
      lastSuccessTime: heartbeat,
      openSessions: 0,
    });
    expect(log.projection.toProto(log.projection.get(T1, 'a2')!).health).toMatchObject({
      status: 'DEGRADED',
      reason: '3 runs failed in a row; last: FAILED_PRECONDITION: no model server is configured',
      recentRuns: 3,
      recentFailures: 3,
      consecutiveFailures: 3,
      lastFailure: 'FAILED_PRECONDITION: no model server is configured',
    });
    const unhealthy = log.projection.list(T1, parseAgentFilter('health = DEGRADED'), 0, 10);
    expect(unhealthy.records.map((r) => r.agent.agentId)).toEqual(['a2']);
    expect(unhealthy.totalSize).toBe(1);
    // Another tenant's run of an agent with the same id is not this one's.
    log.ranOnce(T2, 'a1', 'r4', { code: 'INTERNAL', reason: 'boom' });
    expect(log.projection.health.health(T1, 'a1').status).toBe('HEALTHY');
  });

  it('counts a redelivered run ending once', () => {
    const log = new Log();
    log.create(T1, 'a1', definition('Billing'));
    log.run(T1, {
      type: 'RunStarted',
      data: {
        runId: 'r1',
        taskId: 't',
        attempt: 1,
        agentId: 'a1',
        definitionVersion: 1,
        model: '',
        runner: 'r',
        previousRunId: '',
      },
    });
    const end = log.run(T1, { type: 'RunFailed', data: { runId: 'r1', code: 'INTERNAL', reason: 'boom' } });
    log.projection.health.apply(end);
    expect(log.projection.health.health(T1, 'a1')).toMatchObject({ recentRuns: 1, recentFailures: 1 });
    expect(log.projection.health.eventsApplied).toBe(2);
  });

  it('parses only run starts and ends, and keeps one run in flight per task however many attempts were killed', () => {
    const log = new Log();
    log.create(T1, 'a1', definition('Billing'));
    const start = (taskId: string, attempt: number): RunEvent => ({
      type: 'RunStarted',
      data: {
        runId: `${taskId}-${attempt}`,
        taskId,
        attempt,
        agentId: 'a1',
        definitionVersion: 1,
        model: '',
        runner: 'r',
        previousRunId: '',
      },
    });
    // Tool calls are skipped by their type: not even data no schema takes is parsed (it would throw).
    log.run(T1, { type: 'ToolCalled', data: { runId: 'k0-1' } } as unknown as RunEvent);
    // 100 tasks whose 5 attempts each were started and never ended in the log (runtimes killed -9).
    for (let task = 0; task < 100; task++) {
      for (let attempt = 1; attempt <= 5; attempt++) log.run(T1, start(`k${task}`, attempt));
    }
    expect(log.projection.health.runsInFlight).toBe(100);
    expect(log.projection.health.eventsApplied).toBe(500);
    // The newest attempt's end counts; it leaves nothing in flight for its task.
    log.run(T1, { type: 'RunSucceeded', data: { runId: 'k0-5', result: 'ok' } });
    expect(log.projection.health.health(T1, 'a1')).toMatchObject({ status: 'HEALTHY', recentRuns: 1 });
    expect(log.projection.health.runsInFlight).toBe(99);
  });

  it('keeps tenants apart', () => {
    const log = new Log();
    log.create(T1, 'a1', definition('Same'));
    expect(log.projection.get(T2, 'a1')).toBeUndefined();
    expect(log.projection.agentIdByName(T2, 'Same')).toBeUndefined();
    expect(log.requests.get(T2, 'create-a1')).toBeUndefined();
    expect(log.projection.list(T2, [], 0, 10).totalSize).toBe(0);
  });

  it('indexes names case-insensitively and moves the index on rename', () => {
    const log = new Log();
    log.create(T1, 'a1', definition('Billing Bot'));
    expect(log.projection.agentIdByName(T1, 'billing bot')).toBe('a1');
    log.record(
      T1,
      'a1',
      {
        type: 'AgentUpdated',
        data: { agentId: 'a1', definition: definition('Refund Bot'), definitionVersion: 2, changedFields: ['name'] },
      },
      'rename-1',
    );
    expect(log.projection.agentIdByName(T1, 'BILLING BOT')).toBeUndefined();
    expect(log.projection.agentIdByName(T1, 'refund bot')).toBe('a1');
  });

  it('keeps the reply of each request as the agent stood right after it', () => {
    const log = new Log();
    log.create(T1, 'a1', definition('A'), 'r-create');
    log.record(T1, 'a1', { type: 'AgentDeployed', data: { agentId: 'a1', reason: '' } }, 'r-deploy');
    log.record(T1, 'a1', { type: 'AgentPaused', data: { agentId: 'a1', reason: '' } }, 'r-pause');

    const after = (requestId: string) => log.requests.get(T1, requestId)?.at(-1);
    expect(after('r-create')).toMatchObject({ type: 'AgentCreated', after: { revision: 0 } });
    expect((after('r-deploy')?.after as AgentRecord).agent.status).toBe('ACTIVE');
    expect(after('r-pause')?.after).toBe(log.projection.get(T1, 'a1'));
    expect(Object.isFrozen(after('r-deploy')?.after)).toBe(true);
  });

  it('ignores a redelivered event', () => {
    const log = new Log();
    const created = log.create(T1, 'a1', definition('A'));
    log.record(T1, 'a1', { type: 'AgentDeployed', data: { agentId: 'a1', reason: '' } }, 'd');
    log.projection.apply(created);
    expect(log.projection.get(T1, 'a1')).toMatchObject({ revision: 1, agent: { status: 'ACTIVE' } });
    expect(log.projection.eventsApplied).toBe(2);
  });

  it('ignores events of other categories and event types it does not know', () => {
    const log = new Log();
    const created = log.create(T1, 'a1', definition('A'));
    log.projection.apply({ ...created, category: 'task', streamId: 't1', stream: 'task-t1', position: 9 });
    log.projection.apply({ ...created, type: 'AgentHeartbeatReceived', revision: 1, position: 10 });
    expect(log.projection.eventsApplied).toBe(1);
    expect(log.projection.get(T1, 'a1')?.revision).toBe(0);
  });

  it('refuses an event whose data does not match its schema, or that comes before AgentCreated', () => {
    const log = new Log();
    const created = log.create(T1, 'a1', definition('A'));
    expect(() => log.projection.apply({ ...created, revision: 1, position: 2, type: 'AgentPaused', data: {} })).toThrow(
      ProjectionError,
    );
    expect(() =>
      log.projection.apply({
        ...created,
        streamId: 'a2',
        stream: 'agent-a2',
        position: 3,
        type: 'AgentPaused',
        data: { agentId: 'a2', reason: '' },
      }),
    ).toThrow(/AgentPaused for agent a2 before AgentCreated/);
    expect(() => log.projection.apply({ ...created, streamId: 'a3', stream: 'agent-a3', position: 4 })).toThrow(
      /does not match the stream/,
    );
    expect(log.projection.get(T1, 'a1')?.revision).toBe(0);
  });

  describe('list', () => {
    function fleet(): Log {
      const log = new Log();
      for (let i = 1; i <= 5; i++) {
        log.create(T1, `a${i}`, definition(`agent ${i}`, { capabilities: i % 2 ? ['billing'] : ['refunds'] }));
      }
      log.record(T1, 'a3', { type: 'AgentDeployed', data: { agentId: 'a3', reason: '' } }, 'd3');
      log.create(T2, 'b1', definition('other tenant', { capabilities: ['billing'] }));
      return log;
    }

    it('lists in creation order with the total of matches', () => {
      const page = fleet().projection.list(T1, [], 0, 10);
      expect(page.records.map((r) => r.agent.agentId)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
      expect(page.totalSize).toBe(5);
      expect(page.nextAfterPosition).toBeUndefined();
    });

    it('pages by the creation position of the last agent seen', () => {
      const log = fleet();
      const first = log.projection.list(T1, [], 0, 2);
      expect(first.records.map((r) => r.agent.agentId)).toEqual(['a1', 'a2']);
      expect(first.nextAfterPosition).toBe(2);
      const second = log.projection.list(T1, [], first.nextAfterPosition!, 2);
      expect(second.records.map((r) => r.agent.agentId)).toEqual(['a3', 'a4']);
      const third = log.projection.list(T1, [], second.nextAfterPosition!, 2);
      expect(third.records.map((r) => r.agent.agentId)).toEqual(['a5']);
      expect(third.nextAfterPosition).toBeUndefined();
      expect(third.totalSize).toBe(5);
    });

    it('gives no next page when the page ends exactly at the last match', () => {
      expect(fleet().projection.list(T1, [], 0, 5).nextAfterPosition).toBeUndefined();
    });

    it('ends a page before its reply would outgrow one NATS message', () => {
      const log = new Log();
      const instructions = 'é'.repeat(20_000); // 40 KB of UTF-8
      for (let i = 1; i <= 40; i++) log.create(T1, `big${i}`, definition(`big ${i}`, { instructions }));
      const first = log.projection.list(T1, [], 0, 1000);
      expect(first.records.length).toBeGreaterThan(0);
      expect(first.records.length).toBeLessThan(40);
      expect(Buffer.byteLength(JSON.stringify(first.records.map((r) => log.projection.toProto(r))))).toBeLessThan(
        MAX_PAGE_BYTES + 1024,
      );
      let seen = first.records.length;
      for (let after = first.nextAfterPosition; after !== undefined;) {
        const next = log.projection.list(T1, [], after, 1000);
        seen += next.records.length;
        after = next.nextAfterPosition;
      }
      expect(seen).toBe(40);
    });

    it('filters', () => {
      const log = fleet();
      const billing = log.projection.list(T1, parseAgentFilter('capability = billing'), 0, 10);
      expect(billing.records.map((r) => r.agent.agentId)).toEqual(['a1', 'a3', 'a5']);
      expect(billing.totalSize).toBe(3);
      const active = log.projection.list(T1, parseAgentFilter('state = ACTIVE AND capability = billing'), 0, 10);
      expect(active.records.map((r) => r.agent.agentId)).toEqual(['a3']);
    });
  });
});
