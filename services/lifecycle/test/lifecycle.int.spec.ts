import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LifecycleSubjects,
  type Agent,
  type AgentTransitionRequest,
  type CreateAgentRequest,
  type GetAgentRequest,
  type ListAgentsRequest,
  type ListAgentsResponse,
  type ListAgentVersionsRequest,
  type ListAgentVersionsResponse,
  type RollbackAgentRequest,
  type UpdateAgentRequest,
  toTimestamp,
  type RunEvent,
} from '@aos/contracts';
import { loadConfig, type AosConfig } from '@aos/config';
import { AosError, type ErrorCode } from '@aos/errors';
import { createEventStore, type EventStore } from '@aos/event-store';
import { ServiceClient, type RequestContext } from '@aos/messaging';
import { RunSimulator, startNatsServer, type NatsServerHandle } from '@aos/testing';
import { startLifecycle, type LifecycleService } from '../src/bootstrap';

type TransitionSubject = 'deploy' | 'pause' | 'resume' | 'retire';

let nats: NatsServerHandle;
let config: AosConfig;
let service: LifecycleService;
let store: EventStore;
let client: ServiceClient;

beforeAll(async () => {
  nats = await startNatsServer();
  config = loadConfig({ AOS_NATS_URL: nats.url, AOS_LOG_LEVEL: 'warn' });
  service = await startLifecycle(config, { shutdownHooks: false });
  store = await createEventStore({ kind: 'jetstream', natsUrl: nats.url });
  client = new ServiceClient(nats.url);
  await client.connect();
});

afterAll(async () => {
  await client?.close();
  await service?.close();
  await store?.close();
  await nats?.stop();
});

function ctxFor(tenantId = 'acme'): RequestContext {
  return { tenantId, actor: { kind: 'user', id: 'alice' }, correlationId: randomUUID() };
}

/** An Agent message as proto-loader delivers it: every field present, defaults where unset. */
function agentMessage(fields: Partial<Agent>): Agent {
  return {
    id: '',
    tenantId: '',
    name: '',
    description: '',
    capabilities: [],
    instructions: '',
    model: '',
    toolIds: [],
    knowledgeBaseIds: [],
    labels: {},
    state: 'AGENT_STATE_UNSPECIFIED' as Agent['state'],
    definitionVersion: 0,
    revision: 0,
    createdBy: '',
    logPosition: 0,
    ...fields,
  };
}

function create(fields: Partial<Agent>, opts: { requestId?: string; tenantId?: string } = {}): Promise<Agent> {
  const body: CreateAgentRequest = { agent: agentMessage(fields), requestId: opts.requestId ?? randomUUID() };
  return client.request(LifecycleSubjects.create, ctxFor(opts.tenantId), body);
}

function transition(
  verb: TransitionSubject,
  id: string,
  opts: { expectedRevision?: number; requestId?: string; tenantId?: string; reason?: string } = {},
): Promise<Agent> {
  const body: AgentTransitionRequest = {
    id,
    requestId: opts.requestId ?? randomUUID(),
    reason: opts.reason ?? '',
    expectedRevision: opts.expectedRevision,
  };
  return client.request(LifecycleSubjects[verb], ctxFor(opts.tenantId), body);
}

function get(id: string, opts: { tenantId?: string; minPosition?: number } = {}): Promise<Agent> {
  const body: GetAgentRequest = { id, name: '', minPosition: opts.minPosition ?? 0 };
  return client.request(LifecycleSubjects.get, ctxFor(opts.tenantId), body);
}

function list(tenantId: string, fields: Partial<ListAgentsRequest>): Promise<ListAgentsResponse> {
  const body: ListAgentsRequest = { pageSize: 0, pageToken: '', filter: '', minPosition: 0, ...fields };
  return client.request(LifecycleSubjects.list, ctxFor(tenantId), body);
}

function update(id: string, fields: Partial<UpdateAgentRequest>): Promise<Agent> {
  const body: UpdateAgentRequest = { id, requestId: randomUUID(), ...fields };
  return client.request(LifecycleSubjects.update, ctxFor(), body);
}

async function failure(call: Promise<unknown>): Promise<AosError> {
  try {
    await call;
  } catch (err) {
    expect(err).toBeInstanceOf(AosError);
    return err as AosError;
  }
  throw new Error('expected the call to fail');
}

async function expectCode(call: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<AosError> {
  const err = await failure(call);
  expect(err.code, err.message).toBe(code);
  if (message) expect(err.message).toMatch(message);
  return err;
}

function streamOf(agent: Agent, tenantId = 'acme') {
  return store.readStream({ tenantId, category: 'agent', id: agent.id });
}

describe('lifecycle service over NATS', () => {
  it('takes an agent through create → deploy → pause → resume → retire', async () => {
    const created = await create({ name: 'Billing Bot', capabilities: ['billing'], labels: { team: 'support' } });
    expect(created).toMatchObject({
      tenantId: 'acme',
      name: 'Billing Bot',
      state: 'DRAFT',
      revision: 0,
      definitionVersion: 1,
      createdBy: 'alice',
      health: { status: 'UNKNOWN' },
    });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.logPosition).toBeGreaterThan(0);

    const steps: [TransitionSubject, string][] = [
      ['deploy', 'ACTIVE'],
      ['pause', 'PAUSED'],
      ['resume', 'ACTIVE'],
      ['retire', 'RETIRED'],
    ];
    let last = created;
    for (const [i, [verb, state]] of steps.entries()) {
      const next = await transition(verb, created.id, { expectedRevision: last.revision, reason: `step ${i}` });
      expect(next).toMatchObject({ state, revision: i + 1, definitionVersion: 1 });
      expect(next.logPosition).toBeGreaterThan(last.logPosition);
      last = next;
    }

    const events = await streamOf(created);
    expect(events.map((e) => [e.type, e.revision])).toEqual([
      ['AgentCreated', 0],
      ['AgentDeployed', 1],
      ['AgentPaused', 2],
      ['AgentResumed', 3],
      ['AgentRetired', 4],
    ]);
    expect(events[4].data).toEqual({ agentId: created.id, reason: 'step 3', previousState: 'ACTIVE' });
    expect(events[1].metadata).toMatchObject({
      tenantId: 'acme',
      actor: { kind: 'user', id: 'alice' },
      causationId: events[1].metadata.requestId,
      schemaVersion: 1,
    });
    expect(await get(created.id)).toEqual(last);
  });

  it('refuses a second agent with the same name, whatever its case, also on rename', async () => {
    await create({ name: 'Unique Name' });
    const err = await expectCode(create({ name: 'unique name' }), 'ALREADY_EXISTS');
    expect(err.field).toBe('agent.name');

    const other = await create({ name: 'Another Name' });
    const renamed = await expectCode(
      update(other.id, { agent: agentMessage({ name: 'UNIQUE NAME' }), updateMask: ['name'] }),
      'ALREADY_EXISTS',
    );
    expect(renamed.field).toBe('agent.name');
    expect((await get(other.id)).name).toBe('Another Name');
  });

  it('lets only one of two concurrent creates with one name win', async () => {
    const results = await Promise.allSettled([create({ name: 'Racer' }), create({ name: 'racer' })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((rejected.reason as AosError).code).toBe('ALREADY_EXISTS');
  });

  it('answers FAILED_PRECONDITION for pausing a DRAFT and a RETIRED agent', async () => {
    const agent = await create({ name: 'Drafty' });
    await expectCode(transition('pause', agent.id), 'FAILED_PRECONDITION', /cannot pause agent in state DRAFT/);
    await transition('retire', agent.id);
    await expectCode(transition('pause', agent.id), 'FAILED_PRECONDITION', /cannot pause agent in state RETIRED/);
    await expectCode(
      update(agent.id, { agent: agentMessage({ description: 'x' }) }),
      'FAILED_PRECONDITION',
      /cannot update agent in state RETIRED/,
    );
    expect(await streamOf(agent)).toHaveLength(2);
  });

  it('answers ABORTED for a stale or future expected_revision and records nothing', async () => {
    const agent = await create({ name: 'Stale' });
    await transition('deploy', agent.id, { expectedRevision: 0 });
    const err = await expectCode(transition('pause', agent.id, { expectedRevision: 0 }), 'ABORTED');
    expect(err.message).toMatch(/current revision is 1/);
    await expectCode(transition('pause', agent.id, { expectedRevision: 9 }), 'ABORTED', /current revision is 1/);
    expect(await streamOf(agent)).toHaveLength(2);
  });

  it('answers NOT_FOUND for an unknown id and for another tenant’s agent', async () => {
    await expectCode(get(randomUUID()), 'NOT_FOUND');
    await expectCode(transition('deploy', randomUUID()), 'NOT_FOUND');
    const theirs = await create({ name: 'Their Agent' }, { tenantId: 'globex' });
    await expectCode(get(theirs.id, { tenantId: 'acme' }), 'NOT_FOUND');
    await expectCode(transition('deploy', theirs.id, { tenantId: 'acme' }), 'NOT_FOUND');
    expect((await get(theirs.id, { tenantId: 'globex' })).state).toBe('DRAFT');
  });

  it('answers INVALID_ARGUMENT naming the field', async () => {
    const err = await expectCode(create({ name: '' }), 'INVALID_ARGUMENT', /agent\.name/);
    expect(err.field).toBe('agent.name');
    expect((await expectCode(get('not-a-uuid'), 'INVALID_ARGUMENT')).field).toBe('id');
    expect((await expectCode(list('acme', { filter: 'owner = bob' }), 'INVALID_ARGUMENT')).field).toBe('filter');
    const noRequestId = client.request(LifecycleSubjects.create, ctxFor(), { agent: agentMessage({ name: 'x' }) });
    expect((await expectCode(noRequestId, 'INVALID_ARGUMENT')).field).toBe('request_id');
  });

  it('gives the same reply to the same request_id and records one event', async () => {
    const requestId = randomUUID();
    const first = await create({ name: 'Idempotent' }, { requestId });
    const again = await create({ name: 'Idempotent' }, { requestId });
    expect(again).toEqual(first);

    const pauseId = randomUUID();
    await transition('deploy', first.id);
    const paused = await transition('pause', first.id, { requestId: pauseId });
    await transition('resume', first.id);
    // The retry arrives after a later change: it still gets the reply of its first attempt.
    expect(await transition('pause', first.id, { requestId: pauseId })).toEqual(paused);

    const events = await streamOf(first);
    expect(events.map((e) => e.type)).toEqual(['AgentCreated', 'AgentDeployed', 'AgentPaused', 'AgentResumed']);
    await expectCode(transition('retire', first.id, { requestId: pauseId }), 'INVALID_ARGUMENT', /request_id/);
  });

  it('gives concurrent duplicates of one request one reply', async () => {
    const requestId = randomUUID();
    const replies = await Promise.all(Array.from({ length: 5 }, () => create({ name: 'Dup' }, { requestId })));
    for (const reply of replies) expect(reply).toEqual(replies[0]);
    expect(await streamOf(replies[0])).toHaveLength(1);
  });

  it('keeps a legal history under 50 concurrent pause/resume requests', async () => {
    const agent = await create({ name: 'Contended' });
    await transition('deploy', agent.id);

    const successes: Agent[] = [];
    const outcomes = new Map<string, number>();
    const worker = async () => {
      let seen = await get(agent.id);
      for (let i = 0; i < 5; i++) {
        const verb = seen.state === 'ACTIVE' ? 'pause' : 'resume';
        try {
          seen = await transition(verb, agent.id, { expectedRevision: seen.revision });
          successes.push(seen);
          outcomes.set('OK', (outcomes.get('OK') ?? 0) + 1);
        } catch (err) {
          const code = (err as AosError).code;
          outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
          seen = await get(agent.id);
        }
      }
    };
    await Promise.all(Array.from({ length: 10 }, worker));

    expect([...outcomes.keys()].every((k) => ['OK', 'ABORTED', 'FAILED_PRECONDITION'].includes(k))).toBe(true);
    expect([...outcomes.values()].reduce((a, b) => a + b, 0)).toBe(50);
    expect(successes.length).toBeGreaterThan(0);
    const revisions = successes.map((s) => s.revision);
    expect(new Set(revisions).size).toBe(revisions.length);

    const events = await streamOf(agent);
    expect(events).toHaveLength(2 + successes.length);
    const history = events.slice(2).map((e) => e.type);
    history.forEach((type, i) => expect(type).toBe(i % 2 === 0 ? 'AgentPaused' : 'AgentResumed'));
    expect(revisions.sort((a, b) => a - b)).toEqual(events.slice(2).map((e) => e.revision));
  });

  it('retries concurrent changes without expected_revision until each is recorded', async () => {
    const agent = await create({ name: 'Retried' });
    // Each round of conflicts has one winner, so with 5 writers nobody needs more than 5 attempts.
    const replies = await Promise.all(
      Array.from({ length: 5 }, (_, i) => update(agent.id, { agent: agentMessage({ description: `writer ${i}` }) })),
    );
    expect(replies.map((r) => r.revision).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(replies.map((r) => r.definitionVersion).sort()).toEqual([2, 3, 4, 5, 6]);
    const events = await streamOf(agent);
    expect(events).toHaveLength(6);
    const last = events[5].data as { definition: { description: string } };
    expect((await get(agent.id)).description).toBe(last.definition.description);
  });

  it('updates the definition to version 2 and keeps the old definition in the log', async () => {
    const agent = await create({ name: 'Versioned', description: 'v1', model: 'gpt-4o-mini' });
    const updated = await update(agent.id, {
      agent: agentMessage({ description: 'v2', model: 'ignored' }),
      updateMask: ['description'],
      expectedRevision: 0,
    });
    expect(updated).toMatchObject({ description: 'v2', model: 'gpt-4o-mini', definitionVersion: 2, revision: 1 });

    const unchanged = await update(agent.id, { agent: agentMessage({ description: 'v2' }) });
    expect(unchanged).toMatchObject({ definitionVersion: 2, revision: 1 });

    const events = await streamOf(agent);
    expect(events.map((e) => e.type)).toEqual(['AgentCreated', 'AgentUpdated']);
    expect(events[0].data).toMatchObject({ definition: { description: 'v1' }, definitionVersion: 1 });
    expect(events[1].data).toMatchObject({
      definition: { name: 'Versioned', description: 'v2', model: 'gpt-4o-mini' },
      definitionVersion: 2,
      changedFields: ['description'],
    });
  });

  it('lists agents with filters and pages', async () => {
    const tenantId = `list-${randomUUID()}`;
    const made: Agent[] = [];
    for (let i = 0; i < 5; i++) {
      made.push(
        await create(
          {
            name: `fleet ${i}`,
            capabilities: i < 3 ? ['billing'] : ['refunds'],
            labels: { team: i % 2 ? 'red' : 'blue' },
          },
          { tenantId },
        ),
      );
    }
    for (const agent of [made[1], made[4]]) await transition('deploy', agent.id, { tenantId });

    const names = (r: ListAgentsResponse) => r.agents.map((a) => a.name);
    const all = await list(tenantId, {});
    expect(names(all)).toEqual(['fleet 0', 'fleet 1', 'fleet 2', 'fleet 3', 'fleet 4']);
    expect(all).toMatchObject({ totalSize: 5, nextPageToken: '' });
    expect(names(await list(tenantId, { filter: 'state = ACTIVE' }))).toEqual(['fleet 1', 'fleet 4']);
    expect(names(await list(tenantId, { filter: 'capability = "billing"' }))).toEqual([
      'fleet 0',
      'fleet 1',
      'fleet 2',
    ]);
    expect(names(await list(tenantId, { filter: 'labels.team = red AND capability = billing' }))).toEqual(['fleet 1']);

    const pages: string[][] = [];
    let pageToken = '';
    do {
      const page = await list(tenantId, { pageSize: 2, pageToken });
      expect(page.totalSize).toBe(5);
      pages.push(names(page));
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    expect(pages).toEqual([['fleet 0', 'fleet 1'], ['fleet 2', 'fleet 3'], ['fleet 4']]);

    const first = await list(tenantId, { pageSize: 2 });
    await expectCode(
      list(tenantId, { pageToken: first.nextPageToken, filter: 'state = ACTIVE' }),
      'INVALID_ARGUMENT',
      /page_token/,
    );
    expect((await list('acme', { filter: `name = "fleet 0"` })).totalSize).toBe(0);
  });

  it('reads at min_position: a write is visible to a read that names its position', async () => {
    const tenantId = `ryw-${randomUUID()}`;
    const agent = await create({ name: 'Reader' }, { tenantId });
    const deployed = await transition('deploy', agent.id, { tenantId });
    expect(await get(agent.id, { tenantId, minPosition: deployed.logPosition })).toEqual(deployed);
    const listed = await list(tenantId, { minPosition: deployed.logPosition });
    expect(listed.agents).toEqual([deployed]);
    await expectCode(get(agent.id, { tenantId, minPosition: -1 }), 'INVALID_ARGUMENT', /min_position/);
  });

  it('answers the same after a restart, rebuilt from the log alone', async () => {
    const requestId = randomUUID();
    const agent = await create({ name: 'Survivor', labels: { tier: 'gold' } }, { requestId });
    const deployed = await transition('deploy', agent.id);
    const before = await list('acme', { pageSize: 1000 });

    await service.close();
    service = await startLifecycle(config, { shutdownHooks: false });

    expect(await get(agent.id)).toEqual(deployed);
    expect(await list('acme', { pageSize: 1000 })).toEqual(before);
    // Idempotency outlives the process and JetStream's dedupe window: it is in the log.
    expect(await create({ name: 'Survivor' }, { requestId })).toEqual(agent);
    await expectCode(create({ name: 'survivor' }), 'ALREADY_EXISTS');
  });
});

describe('health and min_position', () => {
  it('a GetAgent or ListAgents at the position of a run end answers the health that end made', async () => {
    const agent = await create({ name: `health-${randomUUID().slice(0, 8)}` });
    const runId = `task${randomUUID().slice(0, 8)}-1`;
    const runtime = await RunSimulator.connect(nats.url);
    const started: RunEvent = {
      type: 'RunStarted',
      data: {
        runId,
        taskId: runId.replace(/-1$/, ''),
        attempt: 1,
        agentId: agent.id,
        definitionVersion: 1,
        model: 'm',
        runner: 'r',
        previousRunId: '',
      },
    };
    // A long run (300 steps of 4 KiB) before its end, so the run subscription has work left when asked.
    const step: RunEvent = {
      type: 'StepReported',
      data: { runId, summary: 'step', detailJson: `"${'x'.repeat(4096)}"` },
    };
    const position = await runtime
      .record('acme', runId, [
        started,
        ...Array.from({ length: 300 }, () => step),
        { type: 'RunFailed', data: { runId, code: 'INTERNAL', reason: 'boom' } },
      ])
      .finally(() => runtime.close());
    const [got, listed] = await Promise.all([
      get(agent.id, { minPosition: position }),
      list('acme', { filter: 'health = HEALTHY', minPosition: position }),
    ]);
    // One failure is not yet DEGRADED (3 in a row are), but the figures show it.
    expect(got.health).toMatchObject({ status: 'HEALTHY', recentRuns: 1, recentFailures: 1, consecutiveFailures: 1 });
    expect(got.health?.reason).toBe('1 run failed in a row; last: INTERNAL: boom');
    expect(got.health?.lastFailure).toBe('INTERNAL: boom');
    expect(listed.agents.map((a) => a.id)).toContain(agent.id);
  });
});

describe('definition versions and rollback over NATS', () => {
  function versions(
    id: string,
    fields: Partial<ListAgentVersionsRequest> = {},
    tenantId?: string,
  ): Promise<ListAgentVersionsResponse> {
    const body: ListAgentVersionsRequest = { id, pageSize: 0, pageToken: '', minPosition: 0, ...fields };
    return client.request(LifecycleSubjects.listVersions, ctxFor(tenantId), body);
  }

  function rollback(id: string, toVersion: number, fields: Partial<RollbackAgentRequest> = {}): Promise<Agent> {
    const body: RollbackAgentRequest = { id, toVersion, requestId: randomUUID(), ...fields };
    return client.request(LifecycleSubjects.rollback, ctxFor(), body);
  }

  async function agentWithThreeVersions(name: string): Promise<Agent> {
    const created = await create({ name, model: 'gpt-a', instructions: 'Be brief.', labels: { team: 'a' } });
    await update(created.id, {
      agent: agentMessage({ model: 'gpt-b', toolIds: ['t1'] }),
      updateMask: ['model', 'tool_ids'],
    });
    return update(created.id, { agent: agentMessage({ name: `${name} Two` }), updateMask: ['name'] });
  }

  it('lists every version newest first with its whole definition, who, when and what changed', async () => {
    const agent = await agentWithThreeVersions('History Lister');
    const page = await versions(agent.id, { minPosition: agent.logPosition });
    expect(page.totalSize).toBe(3);
    expect(page.nextPageToken).toBe('');
    expect(page.versions.map((v) => [v.definitionVersion, v.name, v.model, v.toolIds, v.changedFields])).toEqual([
      [3, 'History Lister Two', 'gpt-b', ['t1'], ['name']],
      [2, 'History Lister', 'gpt-b', ['t1'], ['model', 'tool_ids']],
      [1, 'History Lister', 'gpt-a', [], []],
    ]);
    expect(page.versions[0]).toMatchObject({ instructions: 'Be brief.', labels: { team: 'a' }, createdBy: 'alice' });
    expect(page.versions[0]!.logPosition).toBe(agent.logPosition);
    const events = await streamOf(agent);
    expect(page.versions.map((v) => v.logPosition)).toEqual(events.map((e) => e.position).reverse());
    expect(page.versions[2]!.createTime).toEqual(toTimestamp(events[0]!.time));
  });

  it('pages the history with a token bound to the agent', async () => {
    const agent = await agentWithThreeVersions('Paged');
    const first = await versions(agent.id, { pageSize: 2 });
    expect(first.versions.map((v) => v.definitionVersion)).toEqual([3, 2]);
    const second = await versions(agent.id, { pageSize: 2, pageToken: first.nextPageToken });
    expect(second.versions.map((v) => v.definitionVersion)).toEqual([1]);
    expect(second.nextPageToken).toBe('');
    const other = await create({ name: 'Paged Other' });
    const err = await expectCode(versions(other.id, { pageToken: first.nextPageToken }), 'INVALID_ARGUMENT');
    expect(err.field).toBe('page_token');
  });

  it('rolls back: a new version equal to the old one, recorded as AgentUpdated with rolledBackTo', async () => {
    const agent = await agentWithThreeVersions('Rollback Me');
    const rolled = await rollback(agent.id, 1, { expectedRevision: agent.revision });
    expect(rolled).toMatchObject({ definitionVersion: 4, name: 'Rollback Me', model: 'gpt-a', toolIds: [] });
    expect(rolled.revision).toBe(agent.revision + 1);
    const events = await streamOf(agent);
    expect(events.at(-1)).toMatchObject({
      type: 'AgentUpdated',
      data: { definitionVersion: 4, rolledBackTo: 1, changedFields: ['name', 'model', 'toolIds'] },
    });
    const [newest] = (await versions(agent.id)).versions;
    expect(newest).toMatchObject({
      definitionVersion: 4,
      rolledBackTo: 1,
      changedFields: ['name', 'model', 'tool_ids'],
    });
    // The old name is the agent's again: found by it, and refused to anyone else.
    expect((await get(agent.id)).name).toBe('Rollback Me');
    await expectCode(create({ name: 'rollback me' }), 'ALREADY_EXISTS');
  });

  it('records nothing for a rollback to the definition the agent has; a retried request replies the same once', async () => {
    const agent = await agentWithThreeVersions('Noop');
    expect(await rollback(agent.id, 3)).toEqual(agent);
    const requestId = randomUUID();
    const first = await rollback(agent.id, 2, { requestId });
    expect(await rollback(agent.id, 2, { requestId })).toEqual(first);
    expect(await rollback(agent.id, 2)).toEqual(first);
    // The same request_id for a rollback to another version, or for an update, is another request.
    expect((await expectCode(rollback(agent.id, 1, { requestId }), 'INVALID_ARGUMENT')).field).toBe('request_id');
    const asUpdate = update(agent.id, { agent: agentMessage({ model: 'gpt-z' }), updateMask: ['model'], requestId });
    expect((await expectCode(asUpdate, 'INVALID_ARGUMENT')).field).toBe('request_id');
    expect((await streamOf(agent)).map((e) => e.type)).toEqual([
      'AgentCreated',
      'AgentUpdated',
      'AgentUpdated',
      'AgentUpdated',
    ]);
  });

  it('answers NOT_FOUND, INVALID_ARGUMENT, ABORTED, ALREADY_EXISTS and FAILED_PRECONDITION as the proto says', async () => {
    const agent = await agentWithThreeVersions('Picky');
    await expectCode(rollback(agent.id, 9), 'NOT_FOUND', /agent version .* v9/);
    await expectCode(rollback(randomUUID(), 1), 'NOT_FOUND');
    await expectCode(versions(randomUUID()), 'NOT_FOUND');
    await expectCode(versions(agent.id, {}, 'globex'), 'NOT_FOUND');
    expect((await expectCode(rollback(agent.id, 0), 'INVALID_ARGUMENT')).field).toBe('to_version');
    expect((await expectCode(rollback(agent.id, -1), 'INVALID_ARGUMENT')).field).toBe('to_version');
    expect((await expectCode(rollback('nope', 1), 'INVALID_ARGUMENT')).field).toBe('id');
    await expectCode(rollback(agent.id, 1, { expectedRevision: agent.revision - 1 }), 'ABORTED');

    // The first name is someone else's now: restoring it is refused and the agent keeps its definition.
    await create({ name: 'Picky' });
    const taken = await expectCode(rollback(agent.id, 1), 'ALREADY_EXISTS');
    expect(taken.field).toBe('agent.name');
    expect((await get(agent.id)).definitionVersion).toBe(3);

    await transition('retire', agent.id);
    await expectCode(rollback(agent.id, 2), 'FAILED_PRECONDITION', /cannot roll back agent in state RETIRED/);
    expect((await versions(agent.id)).totalSize).toBe(3);
  });
});
