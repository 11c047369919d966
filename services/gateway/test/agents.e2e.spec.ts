import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AosClientError, type AosClient } from '@aos/grpc-client';
import { startTestStack, statusOf, type TestStack } from '@aos/testing';
import type { Agent } from '@aos/contracts';

/** The acceptance scenarios of agent lifecycle, through the gRPC gateway of the whole stack. */
let t: TestStack;
let api: AosClient;

beforeAll(async () => {
  t = await startTestStack();
  api = t.client;
});
afterAll(async () => {
  await t?.stop();
});

const rid = () => randomUUID();
const uniqueName = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

async function streamEvents(stream: string): Promise<{ type: string; revision: number }[]> {
  const events: { type: string; revision: number }[] = [];
  let pageToken = '';
  do {
    const page = await api.audit.listEvents({ stream, pageSize: 1000, pageToken });
    events.push(...page.events.map((e) => ({ type: e.type, revision: e.revision })));
    pageToken = page.nextPageToken;
  } while (pageToken);
  return events;
}

describe('agent lifecycle through the gateway', () => {
  it('create → deploy → pause → resume → retire: each reply carries the new state and revision; Get and List agree', async () => {
    const created = await api.agents.createAgent({
      requestId: rid(),
      agent: {
        name: uniqueName('walk'),
        description: 'Answers billing questions',
        capabilities: ['billing'],
        labels: { team: 'finance' },
      },
    });
    expect(created.state).toBe('DRAFT');
    expect(created.revision).toBe(0);
    expect(created.definitionVersion).toBe(1);
    expect(created.tenantId).toBe('default');

    const steps: [string, (id: string) => Promise<Agent>][] = [
      ['ACTIVE', (id) => api.agents.deployAgent({ id, requestId: rid() })],
      ['PAUSED', (id) => api.agents.pauseAgent({ id, requestId: rid(), reason: 'maintenance' })],
      ['ACTIVE', (id) => api.agents.resumeAgent({ id, requestId: rid() })],
      ['RETIRED', (id) => api.agents.retireAgent({ id, requestId: rid() })],
    ];
    let last = created;
    for (const [i, [state, step]] of steps.entries()) {
      last = await step(created.id);
      expect(last.state).toBe(state);
      expect(last.revision).toBe(i + 1);
      expect(last.logPosition).toBeGreaterThan(0);
    }

    const got = await api.agents.getAgent({ id: created.id, minPosition: last.logPosition });
    const listed = await api.agents.listAgents({ filter: `name = "${created.name}"`, minPosition: last.logPosition });
    expect(listed.agents).toHaveLength(1);
    for (const view of [got, listed.agents[0]!]) {
      expect(view.state).toBe('RETIRED');
      expect(view.revision).toBe(4);
      expect(view.id).toBe(created.id);
    }
    expect(await streamEvents(`agent-${created.id}`)).toEqual([
      { type: 'AgentCreated', revision: 0 },
      { type: 'AgentDeployed', revision: 1 },
      { type: 'AgentPaused', revision: 2 },
      { type: 'AgentResumed', revision: 3 },
      { type: 'AgentRetired', revision: 4 },
    ]);
  });

  it('answers bad requests with the status of the table', async () => {
    const empty = await statusOf(api.agents.createAgent({ requestId: rid(), agent: { name: '' } }));
    expect(empty.code).toBe('INVALID_ARGUMENT');
    expect(empty.details).toContain('agent.name');

    const name = uniqueName('dup');
    const first = await api.agents.createAgent({ requestId: rid(), agent: { name } });
    expect((await statusOf(api.agents.createAgent({ requestId: rid(), agent: { name } }))).code).toBe('ALREADY_EXISTS');

    expect((await statusOf(api.agents.pauseAgent({ id: first.id, requestId: rid() }))).code).toBe(
      'FAILED_PRECONDITION',
    );
    await api.agents.retireAgent({ id: first.id, requestId: rid() });
    expect((await statusOf(api.agents.pauseAgent({ id: first.id, requestId: rid() }))).code).toBe(
      'FAILED_PRECONDITION',
    );

    const other = await api.agents.createAgent({ requestId: rid(), agent: { name: uniqueName('stale') } });
    await api.agents.deployAgent({ id: other.id, requestId: rid(), expectedRevision: 0 });
    const stale = await statusOf(api.agents.pauseAgent({ id: other.id, requestId: rid(), expectedRevision: 0 }));
    expect(stale.code).toBe('ABORTED');

    expect((await statusOf(api.agents.getAgent({ id: randomUUID() }))).code).toBe('NOT_FOUND');
    expect((await statusOf(api.agents.pauseAgent({ id: randomUUID(), requestId: rid() }))).code).toBe('NOT_FOUND');

    expect((await statusOf(t.clientWithKey(undefined).agents.listAgents({}))).code).toBe('UNAUTHENTICATED');
    expect((await statusOf(t.clientWithKey('aos_wrong_key_0123456789abcdef').agents.listAgents({}))).code).toBe(
      'UNAUTHENTICATED',
    );
  });

  it('the same request_id sent twice records one set of events and returns the same reply', async () => {
    const requestId = rid();
    const name = uniqueName('idem');
    const a = await api.agents.createAgent({ requestId, agent: { name } });
    const b = await api.agents.createAgent({ requestId, agent: { name } });
    expect(b).toEqual(a);

    const deployId = rid();
    const d1 = await api.agents.deployAgent({ id: a.id, requestId: deployId });
    const d2 = await api.agents.deployAgent({ id: a.id, requestId: deployId });
    expect(d2).toEqual(d1);
    expect(await streamEvents(`agent-${a.id}`)).toEqual([
      { type: 'AgentCreated', revision: 0 },
      { type: 'AgentDeployed', revision: 1 },
    ]);
  });

  it('50 concurrent pause/resume calls with the revision each last saw lose no update', async () => {
    const agent = await api.agents.createAgent({ requestId: rid(), agent: { name: uniqueName('race') } });
    await api.agents.deployAgent({ id: agent.id, requestId: rid() });

    const attempt = async () => {
      const seen = await api.agents.getAgent({ id: agent.id });
      const call = seen.state === 'ACTIVE' ? api.agents.pauseAgent : api.agents.resumeAgent;
      try {
        const after = await call({ id: agent.id, requestId: rid(), expectedRevision: seen.revision });
        return { ok: true as const, revision: after.revision, state: after.state };
      } catch (err) {
        if (err instanceof AosClientError && (err.code === 'ABORTED' || err.code === 'FAILED_PRECONDITION')) {
          return { ok: false as const, code: err.code };
        }
        throw err;
      }
    };
    const results = await Promise.all(Array.from({ length: 50 }, attempt));
    const wins = results.filter((r) => r.ok);
    expect(wins.length).toBeGreaterThan(0);
    const revisions = wins.map((w) => w.revision);
    expect(new Set(revisions).size).toBe(revisions.length);

    const history = await streamEvents(`agent-${agent.id}`);
    expect(history.length).toBe(2 + wins.length);
    expect(history.map((e) => e.revision)).toEqual(history.map((_, i) => i));
    // Legal path: Created, Deployed, then strictly alternating Paused/Resumed.
    expect(history.slice(0, 2).map((e) => e.type)).toEqual(['AgentCreated', 'AgentDeployed']);
    history.slice(2).forEach((e, i) => expect(e.type).toBe(i % 2 === 0 ? 'AgentPaused' : 'AgentResumed'));
    for (const w of wins) expect(w.state).toBe(w.revision % 2 === 0 ? 'PAUSED' : 'ACTIVE');
  });

  it('ListAgents filters by state, capability and label, and paginates', async () => {
    const label = randomUUID().slice(0, 8);
    const made: Agent[] = [];
    for (let i = 0; i < 5; i++) {
      made.push(
        await api.agents.createAgent({
          requestId: rid(),
          agent: {
            name: uniqueName(`list${i}`),
            capabilities: i % 2 ? ['refunds'] : ['billing'],
            labels: { run: label },
          },
        }),
      );
    }
    const deployed = await api.agents.deployAgent({ id: made[0]!.id, requestId: rid() });
    const all = await api.agents.listAgents({ filter: `labels.run = "${label}"`, minPosition: deployed.logPosition });
    expect(all.agents.map((a) => a.id)).toEqual(made.map((a) => a.id));
    const billing = await api.agents.listAgents({ filter: `labels.run = "${label}" AND capability = "billing"` });
    expect(billing.agents.map((a) => a.id)).toEqual([made[0]!.id, made[2]!.id, made[4]!.id]);
    const active = await api.agents.listAgents({ filter: `labels.run = "${label}" AND state = ACTIVE` });
    expect(active.agents.map((a) => a.id)).toEqual([made[0]!.id]);

    const page1 = await api.agents.listAgents({ filter: `labels.run = "${label}"`, pageSize: 2 });
    const page2 = await api.agents.listAgents({
      filter: `labels.run = "${label}"`,
      pageSize: 2,
      pageToken: page1.nextPageToken,
    });
    const page3 = await api.agents.listAgents({
      filter: `labels.run = "${label}"`,
      pageSize: 2,
      pageToken: page2.nextPageToken,
    });
    expect([...page1.agents, ...page2.agents, ...page3.agents].map((a) => a.id)).toEqual(made.map((a) => a.id));
    expect(page3.nextPageToken).toBe('');
    expect((await statusOf(api.agents.listAgents({ filter: 'colour = red' }))).code).toBe('INVALID_ARGUMENT');
  });

  it('UpdateAgent creates a new definition version and the old one stays readable in the log', async () => {
    const a = await api.agents.createAgent({
      requestId: rid(),
      agent: { name: uniqueName('upd'), instructions: 'v1' },
    });
    const u = await api.agents.updateAgent({
      id: a.id,
      requestId: rid(),
      agent: { instructions: 'v2' },
      updateMask: ['instructions'],
      expectedRevision: 0,
    });
    expect(u.definitionVersion).toBe(2);
    expect(u.instructions).toBe('v2');
    const page = await api.audit.listEvents({ stream: `agent-${a.id}` });
    const data = page.events.map((e) => JSON.parse(e.dataJson) as { definition: { instructions: string } });
    expect(data.map((d) => d.definition.instructions)).toEqual(['v1', 'v2']);
  });
});
