import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fromTimestamp,
  type CreateTenantResponse,
  type Event,
  type ExportChunk,
  type ListEventsRequest,
} from '@aos/contracts';
import type { PartialMessage } from '@aos/grpc-client';
import { startTestStack, type TestStack } from '@aos/testing';
import { GatewayCaller } from './support/gateway-caller';
import { principalWithKey, rid, unique } from './support/governance-fixtures';

/**
 * AuditService.ExportEvents through the whole stack: the JSONL and CSV files
 * hold exactly what ListEvents pages through with the same filter, in position
 * order; the permission is ReplayEvents'; tenants stay apart; secrets stay redacted.
 */
const VERIFIER_BUILD = fileURLToPath(new URL('../../../clients/audit-verify/build.mjs', import.meta.url));
let t: TestStack;
let gateway: GatewayCaller;
let tenantB: { id: string; key: string; agentId: string };
const TRICKY = 'He said "hi", then\nleft,\r\n"quoted", and a comma, at the end,';

beforeAll(async () => {
  t = await startTestStack();
  gateway = new GatewayCaller(t.gatewayAddr);
  for (let i = 0; i < 5; i++) {
    const agent = await t.client.agents.createAgent({
      requestId: rid(),
      agent: { name: unique(`export-${i}`), instructions: i === 0 ? TRICKY : `agent ${i}` },
    });
    await t.client.agents.deployAgent({ id: agent.id, requestId: rid() });
  }
  // 6 x 18,000 characters of instructions: the file is larger than one 64 KiB chunk.
  for (let i = 0; i < 6; i++) {
    await t.client.agents.createAgent({
      requestId: rid(),
      agent: { name: unique('large'), instructions: String(i).repeat(18_000) },
    });
  }
  // An API key (its ApiKeyCreated carries a hash that reads are to hide).
  await principalWithKey(gateway, t.apiKey, { role: 'auditor' });
  const id = unique('tenant-b');
  const created = await gateway.unary<CreateTenantResponse>(
    'GovernanceService',
    'CreateTenant',
    { tenant: { id, displayName: 'Tenant B' }, requestId: rid() },
    t.apiKey,
  );
  const agent = await gateway.unary<{ id: string }>(
    'AgentService',
    'CreateAgent',
    { requestId: rid(), agent: { name: unique('b-agent') } },
    created.adminApiKeySecret,
  );
  tenantB = { id, key: created.adminApiKeySecret, agentId: agent.id };
});
afterAll(async () => {
  gateway?.close();
  await t?.stop();
});

type Filter = Omit<PartialMessage<ListEventsRequest>, 'pageSize' | 'pageToken' | 'minPosition'>;

/** Every ListEvents page with `filter`, up to `head` (the newest event at the first page's read). */
async function listAll(filter: Filter): Promise<{ events: Event[]; head: number }> {
  const events: Event[] = [];
  let pageToken = '';
  let head = 0;
  do {
    const page = await t.client.audit.listEvents({ ...filter, pageSize: 7, pageToken });
    head ||= page.headPosition;
    events.push(...page.events);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return { events: events.filter((e) => e.position <= head), head };
}

async function exportFile(
  format: 'EXPORT_FORMAT_JSONL' | 'EXPORT_FORMAT_CSV' | 'EXPORT_FORMAT_BUNDLE',
  filter: Filter & { untilPosition?: number },
): Promise<{ text: string; chunks: ExportChunk[] }> {
  const chunks: ExportChunk[] = [];
  for await (const chunk of t.client.audit.exportEvents({ ...filter, format: format as never })) chunks.push(chunk);
  return { text: Buffer.concat(chunks.map((c) => Buffer.from(c.data))).toString('utf8'), chunks };
}

/** The event as audit.proto's JSONL line shape has it. */
function asJsonLine(e: Event): unknown {
  return {
    id: e.id,
    type: e.type,
    stream: e.stream,
    revision: String(e.revision),
    position: String(e.position),
    time: fromTimestamp(e.time!).toISOString(),
    dataJson: e.dataJson,
    metadata: e.metadata,
  };
}

/** A small RFC 4180 reader: records of fields, quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"' && field === '') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
      if (i < text.length && text[i] !== ',' && text.slice(i, i + 2) !== '\r\n') {
        throw new Error(`text after a closing quote at ${i}`);
      }
    } else if (c === ',') {
      record.push(field);
      field = '';
      i++;
    } else if (text.slice(i, i + 2) === '\r\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 2;
    } else {
      if (c === '"' || c === '\n' || c === '\r') throw new Error(`bare ${JSON.stringify(c)} at ${i}`);
      field += c;
      i++;
    }
  }
  if (field !== '' || record.length > 0) throw new Error('the last record has no CRLF');
  return records;
}

describe('AuditService.ExportEvents through the gateway', () => {
  it.each<[string, Filter]>([
    ['every event', {}],
    ['AgentCreated and AgentDeployed', { eventTypes: ['AgentCreated', 'AgentDeployed'] }],
  ])(
    'JSONL (%s): one proto3 JSON Event per line, the events ListEvents pages through, ascending',
    async (_, filter) => {
      const { events, head } = await listAll(filter);
      expect(events.length).toBeGreaterThanOrEqual(10);
      const { text, chunks } = await exportFile('EXPORT_FORMAT_JSONL', { ...filter, untilPosition: head });
      expect(text.endsWith('\n')).toBe(true);
      const lines = text
        .slice(0, -1)
        .split('\n')
        .map((line) => JSON.parse(line) as { position: string });
      expect(lines).toEqual(events.map(asJsonLine));
      const positions = lines.map((l) => Number(l.position));
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
      expect(new Set(positions).size).toBe(positions.length);
      const last = chunks.at(-1)!;
      expect(chunks.filter((c) => c.last)).toEqual([last]);
      expect(last).toMatchObject({
        eventCount: events.length,
        firstPosition: events[0].position,
        lastPosition: events.at(-1)!.position,
        throughPosition: head,
      });
      expect(Math.max(...chunks.map((c) => c.data.length))).toBe(
        filter.eventTypes ? Math.min(text.length, 64 * 1024) : 64 * 1024,
      );
    },
  );

  it('CSV: RFC 4180 with a header; quotes, commas and line breaks in data round-trip; the same rows', async () => {
    const filter: Filter = { eventTypes: ['AgentCreated'] };
    const { events, head } = await listAll(filter);
    const { text } = await exportFile('EXPORT_FORMAT_CSV', { ...filter, untilPosition: head });
    const [header, ...rows] = parseCsv(text);
    expect(header).toEqual(['position', 'time', 'type', 'stream', 'actor', 'request_id', 'data']);
    expect(rows).toEqual(
      events.map((e) => [
        String(e.position),
        fromTimestamp(e.time!).toISOString(),
        e.type,
        e.stream,
        `${e.metadata!.actor!.kind}:${e.metadata!.actor!.id}`,
        e.metadata!.requestId,
        e.dataJson,
      ]),
    );
    const tricky = rows.filter(
      (r) => (JSON.parse(r[6]) as { definition?: { instructions?: string } }).definition?.instructions === TRICKY,
    );
    expect(tricky).toHaveLength(1);
  });

  it('a position range and a stream filter narrow the file; an empty result is an empty file', async () => {
    const { events } = await listAll({ eventTypes: ['AgentCreated'] });
    const [, second, third] = events;
    const { text } = await exportFile('EXPORT_FORMAT_JSONL', {
      eventTypes: ['AgentCreated'],
      afterPosition: events[0].position,
      untilPosition: third.position,
    });
    expect(
      text
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { id: string }).id),
    ).toEqual([second.id, third.id]);
    const byStream = await exportFile('EXPORT_FORMAT_CSV', { stream: second.stream });
    expect(
      parseCsv(byStream.text)
        .slice(1)
        .map((r) => r[3]),
    ).toEqual([second.stream, second.stream]);
    const none = await exportFile('EXPORT_FORMAT_JSONL', { stream: 'agent-none' });
    expect(none.text).toBe('');
    expect(none.chunks).toEqual([expect.objectContaining({ last: true, eventCount: 0, firstPosition: 0 })]);
  });

  it('secrets stay redacted as ListEvents shows them', async () => {
    const filter: Filter = { eventTypes: ['ApiKeyCreated'] };
    const { events, head } = await listAll(filter);
    expect(events.length).toBeGreaterThan(0);
    const { text } = await exportFile('EXPORT_FORMAT_JSONL', { ...filter, untilPosition: head });
    const lines = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { dataJson: string });
    expect(lines.map((l) => l.dataJson)).toEqual(events.map((e) => e.dataJson));
    for (const l of lines) expect(JSON.parse(l.dataJson)).toMatchObject({ hash: '[redacted]' });
    expect(text).not.toMatch(/\$argon2|\$scrypt/);
  });

  it("tenant B's events never appear in tenant A's export, and B's export holds only B's", async () => {
    const a = await exportFile('EXPORT_FORMAT_JSONL', {});
    const aLines = a.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Event & { metadata: { tenantId: string } });
    expect(aLines.length).toBeGreaterThan(10);
    expect(aLines.every((e) => e.metadata.tenantId === 'default')).toBe(true);
    expect(a.text).not.toContain(tenantB.agentId);
    const b = await gateway.call(
      'AuditService',
      'ExportEvents',
      { format: 'EXPORT_FORMAT_JSONL' },
      `Bearer ${tenantB.key}`,
      10_000,
    );
    expect(b.status).toBe('OK');
    const bText = Buffer.concat((b.messages as ExportChunk[]).map((c) => Buffer.from(c.data))).toString('utf8');
    const bLines = bText
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Event & { metadata: { tenantId: string } });
    expect(bLines.some((e) => e.stream === `agent-${tenantB.agentId}`)).toBe(true);
    expect(bLines.every((e) => e.metadata.tenantId === tenantB.id)).toBe(true);
  });

  it('a viewer (no audit.replay) is PERMISSION_DENIED; a bad format or time is INVALID_ARGUMENT naming the field', async () => {
    const viewer = await principalWithKey(gateway, t.apiKey, { role: 'viewer' });
    const denied = await gateway.call(
      'AuditService',
      'ExportEvents',
      { format: 'EXPORT_FORMAT_CSV' },
      `Bearer ${viewer.key}`,
    );
    expect(denied.status).toBe('PERMISSION_DENIED');
    expect(denied.messages).toEqual([]);
    const auditor = await principalWithKey(gateway, t.apiKey, { role: 'auditor' });
    const allowed = await gateway.call(
      'AuditService',
      'ExportEvents',
      { format: 'EXPORT_FORMAT_CSV' },
      `Bearer ${auditor.key}`,
      10_000,
    );
    expect(allowed.status).toBe('OK');

    const admin = `Bearer ${t.apiKey}`;
    const noFormat = await gateway.call('AuditService', 'ExportEvents', {}, admin);
    expect(noFormat).toMatchObject({ status: 'INVALID_ARGUMENT', details: expect.stringContaining('format') });
    const backwards = await gateway.call(
      'AuditService',
      'ExportEvents',
      { format: 'EXPORT_FORMAT_JSONL', startTime: { seconds: 2_000_000_000 }, endTime: { seconds: 1_000_000_000 } },
      admin,
    );
    expect(backwards).toMatchObject({ status: 'INVALID_ARGUMENT', details: expect.stringContaining('end_time') });
    const badNanos = await gateway.call(
      'AuditService',
      'ExportEvents',
      { format: 'EXPORT_FORMAT_JSONL', startTime: { seconds: 1, nanos: 2_000_000_000 } },
      admin,
    );
    expect(badNanos).toMatchObject({ status: 'INVALID_ARGUMENT', details: expect.stringContaining('start_time') });
    const range = await gateway.call(
      'AuditService',
      'ExportEvents',
      { format: 'EXPORT_FORMAT_JSONL', afterPosition: 10, untilPosition: 5 },
      admin,
    );
    expect(range).toMatchObject({ status: 'INVALID_ARGUMENT', details: expect.stringContaining('until_position') });
  });

  it('a bundle verifies offline, with no access to the log or NATS, in the standalone verifier', async () => {
    const key = await t.client.audit.getLogKey({});
    const full = await exportFile('EXPORT_FORMAT_BUNDLE', {});
    const lines = full.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const header = lines[0] as { complete: boolean; treeSize: number; tenantId: string; verifierKey: string };
    expect(header).toMatchObject({ format: 'aos-audit-bundle/1', complete: true, verifierKey: key.verifierKey });
    // Every leaf of the tree, in order, then the trailer; the file ends at the checkpoint it carries.
    expect(lines.length).toBe(header.treeSize + 2);
    expect(lines.at(-1)).toMatchObject({ end: true, eventCount: header.treeSize });
    const last = full.chunks.at(-1)!;
    expect(last).toMatchObject({ last: true, eventCount: header.treeSize });
    // The API key's hash is sealed, never shown.
    const apiKey = lines.find((l) => (l.event as { type?: string } | undefined)?.type === 'ApiKeyCreated');
    expect((apiKey?.event as { data: { hash: unknown } }).data.hash).toEqual({
      sealed: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });

    const agents = await t.client.agents.listAgents({ pageSize: 1 });
    const stream = `agent-${agents.agents[0].id}`;
    const filtered = await exportFile('EXPORT_FORMAT_BUNDLE', { stream });
    const filteredLines = filtered.text.trimEnd().split('\n');
    expect(JSON.parse(filteredLines[0])).toMatchObject({ complete: false, filter: { stream } });
    expect(filteredLines.length).toBeGreaterThan(2);

    // The auditor's machine: the one-file verifier in an empty directory, plain node, no environment but PATH.
    const dir = await mkdtemp(join(tmpdir(), 'aos-auditor-'));
    try {
      // build.mjs (run with node) prints the one file it wrote.
      const built = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, [VERIFIER_BUILD], (error, stdout) =>
          error ? reject(error) : resolve(stdout.trim()),
        ),
      );
      await copyFile(built, join(dir, 'aos-audit-verify.mjs'));
      await writeFile(join(dir, 'full.jsonl'), full.text);
      await writeFile(join(dir, 'stream.jsonl'), filtered.text);
      const tampered = full.text.replace(/"type":"AgentDeployed"/, '"type":"AgentPaused"');
      expect(tampered).not.toBe(full.text);
      await writeFile(join(dir, 'tampered.jsonl'), tampered);
      const run = (file: string) =>
        new Promise<{ code: number; out: string }>((resolve) => {
          execFile(
            process.execPath,
            ['aos-audit-verify.mjs', file, '--key', key.verifierKey],
            { cwd: dir, env: { PATH: process.env.PATH ?? '' }, timeout: 60_000 },
            (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? -1) : 0, out: stdout + stderr }),
          );
        });
      expect(await run('full.jsonl')).toMatchObject({ code: 0 });
      expect(await run('stream.jsonl')).toMatchObject({ code: 0 });
      const bad = await run('tampered.jsonl');
      expect(bad.code).toBe(1);
      expect(bad.out).toMatch(/position \d+/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
