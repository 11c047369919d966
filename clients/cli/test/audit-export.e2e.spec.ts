import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Event } from '@aos/contracts';
import { startTestStack, type TestStack } from '@aos/testing';
import { aosBinary } from './aos-binary';

/** `aos audit export` with the real binary against the whole stack. */
let t: TestStack;
const { aos } = aosBinary(() => t);
const agentIds: string[] = [];

beforeAll(async () => {
  t = await startTestStack();
  for (let i = 0; i < 3; i++) {
    const agent = await t.client.agents.createAgent({
      requestId: randomUUID(),
      agent: { name: `cli-export-${i}-${randomUUID().slice(0, 8)}`, instructions: `say "hi", then\nstop ${i}` },
    });
    agentIds.push(agent.id);
  }
});
afterAll(async () => {
  await t?.stop();
});

/** Every AgentCreated ListEvents gives, at or before `head`. */
async function agentCreated(head: number): Promise<Event[]> {
  const events: Event[] = [];
  let pageToken = '';
  do {
    const page = await t.client.audit.listEvents({ eventTypes: ['AgentCreated'], pageSize: 2, pageToken });
    events.push(...page.events);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return events.filter((e) => e.position <= head);
}

describe('aos audit export', () => {
  it('--format jsonl to stdout: one event per line, the events ListEvents gives, ascending; a summary on stderr', async () => {
    const { headPosition } = await t.client.audit.listEvents({ pageSize: 1 });
    const r = await aos(
      'audit',
      'export',
      '--format',
      'jsonl',
      '--type',
      'AgentCreated',
      '--through',
      `${headPosition}`,
    );
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; position: string; stream: string; dataJson: string });
    const events = await agentCreated(headPosition);
    expect(lines.map((l) => l.id)).toEqual(events.map((e) => e.id));
    expect(lines.map((l) => l.dataJson)).toEqual(events.map((e) => e.dataJson));
    expect(lines.map((l) => Number(l.position))).toEqual(events.map((e) => e.position));
    for (const id of agentIds) expect(lines.some((l) => l.stream === `agent-${id}`)).toBe(true);
    expect(r.stderr).toBe(
      `exported ${events.length} event(s), positions ${events[0].position}-${events.at(-1)!.position}, read through position ${headPosition}\n`,
    );
  });

  it("--format csv --stream --out: an RFC 4180 file with a header and the stream's row, quotes doubled", async () => {
    const out = join(t.dataDir, `export-${randomUUID()}.csv`);
    const r = await aos('audit', 'export', '--format', 'CSV', '--stream', `agent-${agentIds[0]}`, '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(`^exported 1 event\\(s\\), positions \\d+-\\d+, read through position \\d+ to ${out}\\n$`),
    );
    expect(existsSync(`${out}.partial`)).toBe(false);
    const text = readFileSync(out, 'utf8');
    const [header, row, end] = text.split('\r\n');
    expect(header).toBe('position,time,type,stream,actor,request_id,data');
    expect(end).toBe('');
    // The data field holds a newline (in JSON, escaped) and quotes, so it is quoted with the quotes doubled.
    expect(row).toContain(`,AgentCreated,agent-${agentIds[0]},user:`);
    expect(row).toMatch(/,"\{.*say \\""hi\\"", then\\nstop 0.*\}"$/);
  });

  it('a bad --format exits 2 naming --format; --help documents the formats', async () => {
    const bad = await aos('audit', 'export', '--format', 'xml');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--format');
    expect(bad.stdout).toBe('');
    const missing = await aos('audit', 'export');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--format');
    const help = await aos('audit', 'export', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('jsonl, csv or bundle');
    expect(help.stdout).toContain('position,time,type,stream,actor,request_id,data');
    expect(help.stdout).toContain('--out <file>');
  });
});
