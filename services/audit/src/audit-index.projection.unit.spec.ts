import { describe, expect, it } from 'vitest';
import { ExportFormat } from '@aos/contracts';
import type { RecordedEvent } from '@aos/event-store';
import type { RequestContext } from '@aos/messaging';
import {
  AuditIndexProjection,
  decodePageToken,
  encodePageToken,
  firstAfter,
  MAX_EXPORT_PAGE_SCAN,
  MAX_PAGE_BYTES,
} from './audit-index.projection';

const ctx = (tenantId: string): RequestContext => ({ tenantId, actor: { kind: 'user', id: 'u' }, correlationId: 'c' });

function recorded(
  position: number,
  over: { tenant?: string; stream?: string; type?: string; actor?: string; time?: string; data?: unknown } = {},
): RecordedEvent {
  const stream = over.stream ?? 'agent-a1';
  const [category, ...rest] = stream.split('-');
  return {
    id: `e${position}`,
    type: over.type ?? 'AgentCreated',
    data: over.data ?? { n: position },
    stream,
    category,
    streamId: rest.join('-'),
    revision: 0,
    position,
    time: over.time ?? new Date(Date.UTC(2025, 0, 1, 0, 0, position)).toISOString(),
    metadata: {
      tenantId: over.tenant ?? 't1',
      actor: { kind: 'user', id: over.actor ?? 'alice' },
      correlationId: 'corr',
      causationId: 'cause',
      requestId: 'req',
      schemaVersion: 1,
    },
  };
}

function indexOf(events: RecordedEvent[]): AuditIndexProjection {
  const index = new AuditIndexProjection();
  for (const e of events) index.apply(e);
  return index;
}

const positions = (r: { events: { position: number }[] }) => r.events.map((e) => e.position);

describe('AuditIndexProjection', () => {
  const log = [
    recorded(1, { stream: 'agent-a1', type: 'AgentCreated', actor: 'alice' }),
    recorded(2, { tenant: 't2', stream: 'agent-b1' }),
    recorded(3, { stream: 'agent-a2', type: 'AgentCreated', actor: 'bob' }),
    recorded(4, { stream: 'agent-a1', type: 'AgentDeployed', actor: 'alice' }),
    recorded(5, { stream: 'agent-a2', type: 'AgentPaused', actor: 'bob' }),
    recorded(6, { stream: 'agent-a1', type: 'AgentPaused', actor: 'alice' }),
  ];

  it('given events of two tenants, when one lists, then it sees only its own, in log order', async () => {
    const index = indexOf(log);
    expect(positions(await index.list(ctx('t1'), {}))).toEqual([1, 3, 4, 5, 6]);
    expect(positions(await index.list(ctx('t2'), {}))).toEqual([2]);
    expect(positions(await index.list(ctx('t3'), {}))).toEqual([]);
  });

  it('filters by stream, event types, actor, time range and after_position', async () => {
    const index = indexOf(log);
    expect(positions(await index.list(ctx('t1'), { stream: 'agent-a1' }))).toEqual([1, 4, 6]);
    expect(positions(await index.list(ctx('t1'), { stream: 'agent-b1' }))).toEqual([]);
    expect(positions(await index.list(ctx('t1'), { eventTypes: ['AgentPaused', 'AgentDeployed'] }))).toEqual([4, 5, 6]);
    expect(positions(await index.list(ctx('t1'), { actorId: 'bob' }))).toEqual([3, 5]);
    expect(
      positions(
        await index.list(ctx('t1'), {
          startTime: { seconds: Date.UTC(2025, 0, 1, 0, 0, 3) / 1000, nanos: 0 },
          endTime: { seconds: Date.UTC(2025, 0, 1, 0, 0, 6) / 1000, nanos: 0 },
        }),
      ),
    ).toEqual([3, 4, 5]);
    expect(positions(await index.list(ctx('t1'), { afterPosition: 3 }))).toEqual([4, 5, 6]);
    expect(positions(await index.list(ctx('t1'), { stream: 'agent-a1', afterPosition: 1, actorId: 'alice' }))).toEqual([
      4, 6,
    ]);
  });

  it('maps the full envelope, with data as JSON', async () => {
    const [event] = (await indexOf(log).list(ctx('t1'), { pageSize: 1 })).events;
    expect(event).toEqual({
      id: 'e1',
      type: 'AgentCreated',
      stream: 'agent-a1',
      revision: 0,
      position: 1,
      time: { seconds: Date.UTC(2025, 0, 1, 0, 0, 1) / 1000, nanos: 0 },
      dataJson: '{"n":1}',
      metadata: {
        tenantId: 't1',
        actor: { kind: 'user', id: 'alice' },
        correlationId: 'corr',
        causationId: 'cause',
        requestId: 'req',
        traceparent: '',
        schemaVersion: 1,
      },
    });
  });

  it('pages through the matching events; the last page has no token', async () => {
    const index = indexOf(log);
    const first = await index.list(ctx('t1'), { pageSize: 2 });
    expect(positions(first)).toEqual([1, 3]);
    const second = await index.list(ctx('t1'), { pageSize: 2, pageToken: first.nextPageToken });
    expect(positions(second)).toEqual([4, 5]);
    const third = await index.list(ctx('t1'), { pageSize: 2, pageToken: second.nextPageToken });
    expect(positions(third)).toEqual([6]);
    expect(third.nextPageToken).toBe('');
    // Exactly a full last page: no token to an empty page.
    const exact = await index.list(ctx('t1'), { pageSize: 5 });
    expect(exact.events).toHaveLength(5);
    expect(exact.nextPageToken).toBe('');
  });

  it('defaults page_size to 100 and clamps it to 1000', async () => {
    const index = indexOf(Array.from({ length: 1200 }, (_, i) => recorded(i + 1)));
    expect((await index.list(ctx('t1'), {})).events).toHaveLength(100);
    const clamped = await index.list(ctx('t1'), { pageSize: 5000 });
    expect(clamped.events).toHaveLength(1000);
    expect(decodePageToken(clamped.nextPageToken)).toBe(1000);
  });

  it('ends a page early when its events would not fit in one NATS reply, and continues from there', async () => {
    const big = 'x'.repeat(100 * 1024);
    const index = indexOf(Array.from({ length: 12 }, (_, i) => recorded(i + 1, { data: { instructions: big } })));
    const first = await index.list(ctx('t1'), { pageSize: 100 });
    expect(first.events.length).toBeGreaterThan(0);
    expect(first.events.length).toBeLessThan(12);
    expect(first.events.reduce((n, e) => n + e.dataJson.length, 0)).toBeLessThanOrEqual(MAX_PAGE_BYTES);
    const rest = await index.list(ctx('t1'), { pageSize: 100, pageToken: first.nextPageToken });
    expect([...positions(first), ...positions(rest)].slice(0, first.events.length + rest.events.length)).toEqual(
      Array.from({ length: first.events.length + rest.events.length }, (_, i) => i + 1),
    );
    // A single event larger than the budget still comes, alone.
    const huge = indexOf([recorded(1, { data: { instructions: 'y'.repeat(MAX_PAGE_BYTES + 1) } }), recorded(2)]);
    const alone = await huge.list(ctx('t1'), {});
    expect(positions(alone)).toEqual([1]);
    expect(alone.nextPageToken).not.toBe('');
  });

  it('rejects a bad page token, a negative page size and an inverted time range, naming the field', async () => {
    const index = indexOf(log);
    await expect(index.list(ctx('t1'), { pageToken: 'not-a-token' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'page_token',
    });
    await expect(
      index.list(ctx('t1'), { pageToken: Buffer.from('after:-1').toString('base64url') }),
    ).rejects.toMatchObject({ field: 'page_token' });
    await expect(index.list(ctx('t1'), { pageSize: -1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'page_size',
    });
    await expect(
      index.list(ctx('t1'), { startTime: { seconds: 10, nanos: 0 }, endTime: { seconds: 5, nanos: 0 } }),
    ).rejects.toMatchObject({ field: 'end_time' });
  });

  it('ignores a redelivered event', async () => {
    const index = indexOf([...log, log[3]]);
    expect(positions(await index.list(ctx('t1'), {}))).toEqual([1, 3, 4, 5, 6]);
  });
});

describe('page tokens and binary search', () => {
  it('round-trips positions through opaque tokens', () => {
    expect(decodePageToken(encodePageToken(123456))).toBe(123456);
    expect(encodePageToken(7)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('finds the first event after a position', () => {
    const events = [2, 4, 6, 8].map((p) => recorded(p));
    expect([0, 2, 3, 4, 7, 8, 9].map((p) => firstAfter(events, p))).toEqual([0, 1, 1, 2, 3, 4, 4]);
  });
});

describe('knowledge blob parts', () => {
  it('are listed with their hash, kind and size, never their base64 data', async () => {
    const index = new AuditIndexProjection();
    const bytes = Buffer.alloc(1000, 7);
    index.apply(
      recorded(1, {
        stream: 'kb-blob_abc',
        type: 'BlobPartStored',
        data: { sha256: 'abc', kind: 'original', part: 0, parts: 1, totalBytes: 1000, data: bytes.toString('base64') },
      }),
    );
    const { events } = await index.list(ctx('t1'), {});
    expect(JSON.parse(events[0]!.dataJson)).toEqual({
      sha256: 'abc',
      kind: 'original',
      part: 0,
      parts: 1,
      totalBytes: 1000,
      dataBytes: 1000,
    });
  });
});

describe('AuditIndexProjection.exportPage', () => {
  /** Every page of an export, as the gateway asks for them. */
  async function exportAll(index: AuditIndexProjection, tenant: string, request: Record<string, unknown>) {
    const pages = [];
    let after = 0;
    let until = 0;
    for (let first = true; ; first = false) {
      const page = await index.exportPage(ctx(tenant), { request, after, until, first });
      pages.push(page);
      ({ next: after, until } = page);
      if (page.done) break;
    }
    return { text: pages.map((p) => p.text).join(''), pages };
  }

  it('pages through 3000 events in order, only the tenant and filter asked, up to the head at the first page', async () => {
    const index = new AuditIndexProjection();
    for (let p = 1; p <= 3000; p++) {
      index.apply(recorded(p, { tenant: p % 5 === 0 ? 't2' : 't1', type: p % 2 ? 'AgentCreated' : 'AgentDeployed' }));
    }
    const { text, pages } = await exportAll(index, 't1', {
      format: 'EXPORT_FORMAT_JSONL',
      eventTypes: ['AgentCreated'],
    });
    const positions = text
      .trimEnd()
      .split('\n')
      .map((l) => Number((JSON.parse(l) as { position: string }).position));
    const expected = Array.from({ length: 3000 }, (_, i) => i + 1).filter((p) => p % 5 !== 0 && p % 2 === 1);
    expect(positions).toEqual(expected);
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.reduce((n, p) => n + p.events, 0)).toBe(expected.length);
    expect(pages.every((p) => p.until === 3000)).toBe(true);
  });

  it('a page looks at no more than MAX_EXPORT_PAGE_SCAN entries; a filter that matches little still reaches the end', async () => {
    const index = new AuditIndexProjection();
    const total = MAX_EXPORT_PAGE_SCAN * 2 + 10;
    for (let p = 1; p <= total; p++)
      index.apply(recorded(p, { type: p === total - 1 ? 'AgentPaused' : 'AgentCreated' }));
    const { text, pages } = await exportAll(index, 't1', { format: 'EXPORT_FORMAT_CSV', eventTypes: ['AgentPaused'] });
    expect(pages.length).toBe(3);
    expect(pages.map((p) => p.next)).toEqual([MAX_EXPORT_PAGE_SCAN, MAX_EXPORT_PAGE_SCAN * 2, total]);
    expect(
      text
        .split('\r\n')
        .slice(1, -1)
        .map((r) => r.split(',')[0]),
    ).toEqual([String(total - 1)]);
  });

  it('quotes CSV fields per RFC 4180 and writes the header on the first page only', async () => {
    const index = new AuditIndexProjection();
    index.apply(recorded(1, { data: { text: 'a "b", c\r\nd' } }));
    const first = await index.exportPage(ctx('t1'), {
      request: { format: ExportFormat.EXPORT_FORMAT_CSV },
      after: 0,
      until: 0,
      first: true,
    });
    expect(first.text).toBe(
      'position,time,type,stream,actor,request_id,data\r\n' +
        '1,2025-01-01T00:00:01.000Z,AgentCreated,agent-a1,user:alice,req,"{""text"":""a \\""b\\"", c\\r\\nd""}"\r\n',
    );
    // A JSON caller may send the enum's number.
    const later = await index.exportPage(ctx('t1'), {
      request: { format: 2 as unknown as ExportFormat },
      after: 0,
      until: 0,
      first: false,
    });
    expect(later.text.startsWith('1,')).toBe(true);
  });

  it('bad input is INVALID_ARGUMENT naming the field', async () => {
    const index = new AuditIndexProjection();
    const page = (request: Record<string, unknown>) =>
      index.exportPage(ctx('t1'), { request, after: 0, until: 0, first: true });
    await expect(page({})).rejects.toThrow(/format/);
    await expect(page({ format: 'EXPORT_FORMAT_XML' })).rejects.toThrow(/format/);
    await expect(page({ format: 1, startTime: { seconds: 'x' } })).rejects.toThrow(/start_time/);
    await expect(page({ format: 1, afterPosition: 9, untilPosition: 3 })).rejects.toThrow(/until_position/);
    await expect(page({ format: 1, untilPosition: -1 })).rejects.toThrow(/until_position/);
  });

  it('a later page from a replica behind the first page waits for it; an until_position beyond the head ends at the head', async () => {
    const behind = new AuditIndexProjection({
      waitFor: async (position) => {
        for (let p = 3; p <= position; p++) behind.apply(recorded(p));
      },
    });
    behind.apply(recorded(1));
    behind.apply(recorded(2));
    // The first page (from another replica) fixed until = 4.
    const page = await behind.exportPage(ctx('t1'), {
      request: { format: ExportFormat.EXPORT_FORMAT_JSONL },
      after: 1,
      until: 4,
      first: false,
    });
    expect(
      page.text
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { position: string }).position),
    ).toEqual(['2', '3', '4']);
    expect(page).toMatchObject({ events: 3, until: 4, next: 4, done: true });

    const ahead = await behind.exportPage(ctx('t1'), {
      request: { format: ExportFormat.EXPORT_FORMAT_JSONL, untilPosition: 99 },
      after: 0,
      until: 0,
      first: true,
    });
    expect(ahead).toMatchObject({ events: 4, until: 4 });
  });
});
