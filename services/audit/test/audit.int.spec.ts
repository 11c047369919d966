import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditSubjects, fromTimestamp, type ListEventsRequest, type ListEventsResponse } from '@aos/contracts';
import { loadConfig } from '@aos/config';
import { createEventStore, type EventStore } from '@aos/event-store';
import { ServiceClient, type RequestContext } from '@aos/messaging';
import { startNatsServer, type NatsServerHandle } from '@aos/testing';
import { startAudit, type AuditHandle } from '../src/bootstrap';

const TENANT_A = 'tenant-a';
const TENANT_B = 'tenant-b';

const ctx = (tenantId: string): RequestContext => ({
  tenantId,
  actor: { kind: 'user', id: 'auditor' },
  correlationId: randomUUID(),
});

interface Appended {
  tenantId: string;
  stream: string;
  type: string;
  actorId: string;
  position: number;
}

describe('audit service (real nats-server, JetStream store)', () => {
  let nats: NatsServerHandle;
  let dataDir: string;
  let store: EventStore;
  let audit: AuditHandle | undefined;
  let client: ServiceClient;
  const appended: Appended[] = [];

  async function append(tenantId: string, agentId: string, type: string, actorId: string): Promise<number> {
    const { position } = await store.append(
      { tenantId, category: 'agent', id: agentId },
      [
        {
          id: randomUUID(),
          type,
          data: { agentId, note: `${type} by ${actorId}` },
          metadata: {
            tenantId,
            actor: { kind: 'user', id: actorId },
            correlationId: `corr-${agentId}`,
            causationId: `cause-${agentId}`,
            requestId: `req-${randomUUID()}`,
            traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
            schemaVersion: 1,
          },
        },
      ],
      { expectedRevision: 'any' },
    );
    appended.push({ tenantId, stream: `agent-${agentId}`, type, actorId, position });
    return position;
  }

  const list = (tenantId: string, body: Partial<ListEventsRequest>) =>
    client.request(AuditSubjects.list, ctx(tenantId), body);
  const positionsOf = (r: ListEventsResponse) => r.events.map((e) => e.position);
  const expected = (pred: (a: Appended) => boolean) => appended.filter(pred).map((a) => a.position);

  beforeAll(async () => {
    nats = await startNatsServer();
    dataDir = await mkdtemp(join(tmpdir(), 'aos-audit-'));
    store = await createEventStore({ kind: 'jetstream', natsUrl: nats.url });
    // Written before the service starts, so they reach the index through its catch-up.
    await append(TENANT_A, 'a1', 'AgentCreated', 'alice');
    await append(TENANT_B, 'b1', 'AgentCreated', 'mallory');
    await append(TENANT_A, 'a2', 'AgentCreated', 'bob');
    await append(TENANT_A, 'a1', 'AgentDeployed', 'alice');
    await append(TENANT_B, 'b1', 'AgentDeployed', 'mallory');
    await append(TENANT_A, 'a2', 'AgentDeployed', 'bob');
    await append(TENANT_A, 'a1', 'AgentPaused', 'alice');
    audit = await startAudit(loadConfig({ AOS_NATS_URL: nats.url, AOS_DATA_DIR: dataDir, AOS_LOG_LEVEL: 'warn' }));
    client = new ServiceClient(nats.url);
    await client.connect();
  });

  afterAll(async () => {
    await client?.close();
    await audit?.close();
    await store?.close();
    await nats?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('lists the caller tenant’s events in log order, with the full envelope, and never another tenant’s', async () => {
    const a = await list(TENANT_A, {});
    expect(positionsOf(a)).toEqual(expected((x) => x.tenantId === TENANT_A));
    expect(a.events.every((e) => e.metadata?.tenantId === TENANT_A)).toBe(true);
    expect(positionsOf(await list(TENANT_B, {}))).toEqual(expected((x) => x.tenantId === TENANT_B));
    expect((await list('tenant-c', {})).events).toEqual([]);

    const first = a.events[0];
    expect(first).toMatchObject({
      type: 'AgentCreated',
      stream: 'agent-a1',
      revision: 0,
      metadata: {
        tenantId: TENANT_A,
        actor: { kind: 'user', id: 'alice' },
        correlationId: 'corr-a1',
        causationId: 'cause-a1',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        schemaVersion: 1,
      },
    });
    expect(first.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(first.dataJson)).toEqual({ agentId: 'a1', note: 'AgentCreated by alice' });
    expect(Math.abs(fromTimestamp(first.time!).getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('filters by stream, event types, actor and after_position', async () => {
    expect(positionsOf(await list(TENANT_A, { stream: 'agent-a1' }))).toEqual(
      expected((x) => x.tenantId === TENANT_A && x.stream === 'agent-a1'),
    );
    // Another tenant's stream name gives nothing, not that tenant's events.
    expect((await list(TENANT_A, { stream: 'agent-b1' })).events).toEqual([]);
    expect(positionsOf(await list(TENANT_A, { eventTypes: ['AgentDeployed', 'AgentPaused'] }))).toEqual(
      expected((x) => x.tenantId === TENANT_A && x.type !== 'AgentCreated'),
    );
    expect(positionsOf(await list(TENANT_A, { actorId: 'bob' }))).toEqual(
      expected((x) => x.tenantId === TENANT_A && x.actorId === 'bob'),
    );
    const third = expected((x) => x.tenantId === TENANT_A)[2];
    expect(positionsOf(await list(TENANT_A, { afterPosition: third }))).toEqual(
      expected((x) => x.tenantId === TENANT_A && x.position > third),
    );
  });

  it('filters by time: start_time inclusive, end_time exclusive', async () => {
    const all = (await list(TENANT_A, {})).events;
    const times = all.map((e) => fromTimestamp(e.time!).getTime());
    const start = all[1].time!;
    const end = all[3].time!;
    const startMs = fromTimestamp(start).getTime();
    const endMs = fromTimestamp(end).getTime();
    const want = all.filter((_, i) => times[i] >= startMs && times[i] < endMs).map((e) => e.position);
    expect(want.length).toBeGreaterThan(0);
    expect(positionsOf(await list(TENANT_A, { startTime: start, endTime: end }))).toEqual(want);
  });

  it('pages with opaque tokens until the last page, which has none', async () => {
    const all = expected((x) => x.tenantId === TENANT_A);
    const seen: number[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const page = await list(TENANT_A, { pageSize: 2, pageToken });
      expect(page.events.length).toBeLessThanOrEqual(2);
      seen.push(...positionsOf(page));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken && pages < 10);
    expect(seen).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 2));
  });

  it('answers INVALID_ARGUMENT naming page_token for a token it did not issue', async () => {
    await expect(list(TENANT_A, { pageToken: 'bogus!' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'page_token',
    });
  });

  it('with min_position, waits until the index has the caller’s own write', async () => {
    const position = await append(TENANT_A, 'a3', 'AgentCreated', 'carol');
    const page = await list(TENANT_A, { minPosition: position, stream: 'agent-a3' });
    expect(positionsOf(page)).toEqual([position]);
  });

  it("says the index's head at the read (any tenant's newest event), where a live follow starts", async () => {
    const before = await list(TENANT_A, { pageSize: 1, minPosition: appended.at(-1)!.position });
    // The newest event in the log, not the newest on the page (page 1 of an oldest-first listing).
    expect(before.headPosition).toBe(Math.max(...appended.map((a) => a.position)));
    expect(positionsOf(before)[0]).toBeLessThan(before.headPosition);
    const other = await append(TENANT_B, 'b2', 'AgentCreated', 'mallory');
    expect((await list(TENANT_A, { minPosition: other })).headPosition).toBe(other);
  });

  it('with a min_position beyond the head of the log, answers at once instead of waiting 5 s', async () => {
    // A position no write has produced cannot be waited for; the store's waitFor
    // resolves once nothing matching is pending, and the index answers with what it has.
    const started = Date.now();
    const page = await list(TENANT_A, { minPosition: 1_000_000 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(positionsOf(page)).toEqual(expected((x) => x.tenantId === TENANT_A));
  });
});
