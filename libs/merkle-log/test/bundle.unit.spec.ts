import { describe, expect, it } from 'vitest';
import {
  BUNDLE_FORMAT,
  BundleOptionsError,
  type BundleProblem,
  type BundleVerification,
  type SealedEvent,
  describeBundleVerification,
  verifyBundle,
} from '../src';
import { LOG_NAME, TENANT, logKeys, sealedEvents, writeBundle } from './bundle.fixture';

const COUNT = 10_000;
const keys = logKeys();
const events = sealedEvents(COUNT);
const good = writeBundle(events, keys);
/** Line number of leaf i in the complete bundle: the header is line 1. */
const lineOf = (index: number) => index + 2;
const positionOf = (index: number) => events[index].position;

async function verify(lines: readonly string[], key: string = keys.key): Promise<BundleVerification> {
  return verifyBundle(lines, { trustedKey: key });
}

async function firstBad(lines: readonly string[], key?: string): Promise<BundleProblem | undefined> {
  const result = await verify(lines, key);
  expect(result.ok).toBe(false);
  return result.firstBad;
}

function withLine(lines: readonly string[], at: number, text: string): string[] {
  return lines.map((line, i) => (i === at - 1 ? text : line));
}

/** Deterministic sample of leaf indices: the edges and a spread in between. */
const SAMPLE = [0, 1, 2, 511, 512, 4095, 4096, 5000, 8191, 8192, COUNT - 2, COUNT - 1, 17, 333, 1234, 7777];

describe('verifyBundle: a bundle written with the writer helpers', () => {
  it(`verifies ${COUNT} events against the signed checkpoint, streaming from the file's text`, async () => {
    const started = performance.now();
    const result = await verifyBundle(good.text.split('\n'), { trustedKey: keys.key });
    const ms = performance.now() - started;
    expect(result).toMatchObject({
      ok: true,
      eventsChecked: COUNT,
      treeSize: COUNT,
      tenantId: TENANT,
      complete: true,
      keySource: 'trusted',
      firstPosition: positionOf(0),
      lastPosition: positionOf(COUNT - 1),
    });
    expect(result.firstBad).toBeUndefined();
    expect(describeBundleVerification(result)).toMatch(/^verified: 10000 event\(s\)/);
    console.log(`verifyBundle: ${COUNT} events in ${ms.toFixed(0)} ms (${((ms * 1000) / COUNT).toFixed(1)} µs/event)`);
  });

  it('reads its input as a stream: it stops at the first bad line without reading the rest', async () => {
    let pulled = 0;
    async function* lines(): AsyncGenerator<string> {
      for (const [i, line] of good.lines.entries()) {
        pulled += 1;
        yield i === lineOf(9) - 1 ? line.replace('"data":{"', '"data":{"x') : line;
      }
    }
    const result = await verifyBundle(lines(), { trustedKey: keys.key });
    expect(result.firstBad).toMatchObject({ line: lineOf(9), index: 9, position: positionOf(9) });
    expect(pulled).toBe(lineOf(9));
  });

  it('writes the documented lines: header, one line per event, trailer', () => {
    const header = JSON.parse(good.lines[0]);
    expect(Object.keys(header)).toEqual([
      'format',
      'origin',
      'tenantId',
      'checkpoint',
      'treeSize',
      'rootHash',
      'verifierKey',
      'complete',
      'filter',
    ]);
    expect(header).toMatchObject({ format: BUNDLE_FORMAT, treeSize: COUNT, complete: true, verifierKey: keys.key });
    expect(header.rootHash).toBe(good.tree.root().toString('base64'));
    const line = JSON.parse(good.lines[lineOf(3) - 1]);
    expect(Object.keys(line)).toEqual(['index', 'event', 'proof']);
    expect(line.event.type).toBe('ApiKeyCreated');
    expect(line.event.data.hash).toEqual({ sealed: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    expect(line.proof).toEqual(good.tree.inclusionProof(3).map((hash) => hash.toString('base64')));
    expect(JSON.parse(good.lines.at(-1)!)).toEqual({
      end: true,
      eventCount: COUNT,
      firstPosition: positionOf(0),
      lastPosition: positionOf(COUNT - 1),
    });
    expect(good.lines).toHaveLength(COUNT + 2);
  });

  it('verifies a filtered bundle (complete: false) holding some leaves with their indices', async () => {
    const filtered = writeBundle(events.slice(0, 2000), keys, { include: (i) => i % 5 === 1 });
    const result = await verify(filtered.lines);
    expect(result).toMatchObject({ ok: true, eventsChecked: 400, treeSize: 2000, complete: false });
    // Lines 6 and 10 (leaves 21 and 41) swapped in a filtered bundle: gaps are allowed, so the
    // first line that can be named is line 7, where the index goes backwards (26 after 41).
    const swapped = [...filtered.lines];
    [swapped[5], swapped[9]] = [swapped[9], swapped[5]];
    expect(await firstBad(swapped)).toMatchObject({ line: 7, index: 26, position: events[26].position });
    // A line deleted with the trailer left as written: the trailer's count no longer holds.
    const deleted = filtered.lines.filter((_, i) => i !== 7);
    expect((await firstBad(deleted))?.reason).toMatch(
      /the trailer\): eventCount 400 is not what the file holds \(399\)/,
    );
  });

  it('a complete bundle turned "filtered" to hide deleted lines (flag off, no filter) is refused at its header', async () => {
    const complete = writeBundle(events.slice(0, 200), keys);
    const header = JSON.parse(complete.lines[0]) as Record<string, unknown>;
    const lines = complete.lines.filter((_, i) => i !== 50);
    lines[0] = JSON.stringify({ ...header, complete: false });
    const trailer = JSON.parse(lines.at(-1)!) as Record<string, number>;
    lines[lines.length - 1] = JSON.stringify({ ...trailer, eventCount: trailer.eventCount - 1 });
    expect(await firstBad(lines)).toMatchObject({ line: 1, reason: expect.stringContaining('filter is empty') });
  });
});

describe('verifyBundle: every tampering is detected, and the first bad line and position named', () => {
  it('one byte flipped inside an event: every byte of its data, each alone', async () => {
    const index = 6; // a ToolCalled with non-ASCII text in its data
    const at = lineOf(index);
    const bytes = Buffer.from(good.lines[at - 1], 'utf8');
    const dataStart = bytes.indexOf('"data":') + '"data":'.length;
    const dataEnd = bytes.indexOf(',"metadata":');
    expect(dataEnd - dataStart).toBeGreaterThan(80);
    let parsedButWrong = 0;
    for (let offset = dataStart; offset < dataEnd; offset += 1) {
      const flipped = Buffer.from(bytes);
      flipped[offset] ^= 0x01;
      const problem = await firstBad(withLine(good.lines.slice(0, at + 1), at, flipped.toString('utf8')));
      expect(problem?.line).toBe(at);
      if (problem?.reason.includes('not JSON')) continue;
      parsedButWrong += 1;
      expect(problem).toMatchObject({ index, position: positionOf(index) });
      expect(problem?.reason).toMatch(/is not at index 6 of the signed tree/);
    }
    expect(parsedButWrong).toBeGreaterThan(50);
  });

  it.each(SAMPLE)('one byte flipped inside the data of leaf %i', async (index) => {
    const at = lineOf(index);
    const line = good.lines[at - 1];
    const offset = line.indexOf('"data":') + 12;
    const flipped =
      line.slice(0, offset) + String.fromCharCode(line.charCodeAt(offset) ^ 0x20) + line.slice(offset + 1);
    expect(flipped).not.toBe(line);
    expect(await firstBad(withLine(good.lines, at, flipped))).toMatchObject({
      line: at,
      index,
      position: positionOf(index),
    });
  });

  it.each(SAMPLE.filter((i) => i < COUNT - 1))(
    'the line of leaf %i deleted: named by the missing index and the position after the gap',
    async (index) => {
      const lines = good.lines.filter((_, i) => i !== lineOf(index) - 1);
      const problem = await firstBad(lines);
      expect(problem).toMatchObject({ line: lineOf(index), index, position: positionOf(index + 1) });
      expect(problem?.reason).toMatch(new RegExp(`index ${index} is missing before this line`));
    },
  );

  it('the last event line deleted: named at the trailer by the missing index', async () => {
    const lines = good.lines.filter((_, i) => i !== lineOf(COUNT - 1) - 1);
    expect(await firstBad(lines)).toMatchObject({ line: lineOf(COUNT - 1), index: COUNT - 1 });
  });

  it.each([
    [0, 1],
    [10, 11],
    [100, 9000],
    [4095, 4096],
    [COUNT - 2, COUNT - 1],
  ])('the lines of leaves %i and %i swapped: named where the first one is missing', async (i, j) => {
    const lines = [...good.lines];
    [lines[lineOf(i) - 1], lines[lineOf(j) - 1]] = [lines[lineOf(j) - 1], lines[lineOf(i) - 1]];
    expect(await firstBad(lines)).toMatchObject({ line: lineOf(i), index: i, position: positionOf(j) });
  });

  it.each([0, 1, 2500, COUNT - 2])(
    'a forged event inserted after leaf %i, with a proof that does not verify',
    async (k) => {
      const forged: SealedEvent = {
        ...events[k + 1],
        id: 'f0f0f0f0-0000-4000-8000-000000000000',
        position: positionOf(k) + 1,
        data: { tool: 'ledger', input: { invoice: 1, amount: 99_999 }, risk: 'write' },
      };
      const line = JSON.stringify({
        index: k + 1,
        event: forged,
        proof: JSON.parse(good.lines[lineOf(k + 1) - 1]).proof,
      });
      const lines = [...good.lines];
      lines.splice(lineOf(k), 0, line);
      const problem = await firstBad(lines);
      expect(problem).toMatchObject({ line: lineOf(k) + 1, index: k + 1, position: positionOf(k) + 1 });
      expect(problem?.reason).toMatch(/not at index .* of the signed tree/);
    },
  );

  it.each([0, 700, COUNT - 1])('a copy of the valid line of leaf %i inserted after it', async (k) => {
    const lines = [...good.lines];
    lines.splice(lineOf(k), 0, good.lines[lineOf(k) - 1]);
    const problem = await firstBad(lines);
    expect(problem).toMatchObject({ line: lineOf(k) + 1, index: k, position: positionOf(k) });
    expect(problem?.reason).toMatch(/reordered or repeated/);
  });

  it('the tail replaced (new events, a new tree, a checkpoint signed by another key, its key in the header)', async () => {
    const keep = 6_000;
    const forger = logKeys(LOG_NAME);
    const rewritten = [...events.slice(0, keep), ...sealedEvents(COUNT - keep, keep, TENANT, 50_000)];
    const forged = writeBundle(rewritten, forger);
    expect(forged.lines[lineOf(keep) - 1]).not.toBe(good.lines[lineOf(keep) - 1]);
    // The auditor's key, obtained apart from the file: the forged checkpoint does not open.
    const problem = await firstBad(forged.lines);
    expect(problem).toMatchObject({ line: 1 });
    expect(problem?.reason).toMatch(
      /the checkpoint does not verify with the trusted key agentos.test: the note has no signature by/,
    );
    // The file's own key proves nothing: it "verifies", and the result says which key was used.
    const selfSigned = await verifyBundle(forged.lines, { trustBundleKey: true });
    expect(selfSigned).toMatchObject({ ok: true, keySource: 'bundle' });
    expect(describeBundleVerification(selfSigned)).toMatch(/only that the file is self-consistent/);
    // The real header and checkpoint kept, the tail's events and proofs replaced: named at the first new event.
    const spliced = [...good.lines.slice(0, lineOf(keep) - 1), ...forged.lines.slice(lineOf(keep) - 1)];
    expect(await firstBad(spliced)).toMatchObject({
      line: lineOf(keep),
      index: keep,
      position: rewritten[keep].position,
    });
  });

  it('a truncated file (no trailer), cut between lines or inside one', async () => {
    const cut = good.lines.slice(0, lineOf(8_000));
    const problem = await firstBad(cut);
    expect(problem).toMatchObject({ line: lineOf(8_000) + 1, index: 8_001 });
    expect(problem?.reason).toMatch(
      /ends after line 8002 \(index 8000, position \d+\) without a trailer: it was truncated/,
    );
    const midLine = [...good.lines.slice(0, lineOf(500) - 1), good.lines[lineOf(500) - 1].slice(0, 300)];
    expect(await firstBad(midLine)).toMatchObject({ line: lineOf(500) });
    expect(await firstBad(good.lines.slice(0, 1))).toMatchObject({ line: 2, index: 0 });
    expect((await firstBad([]))?.reason).toMatch(/empty/);
  });

  it('a wrong key: another key of the same name, and a key that does not parse (an options error)', async () => {
    const other = logKeys(LOG_NAME);
    expect(await firstBad(good.lines, other.key)).toMatchObject({ line: 1 });
    await expect(verifyBundle(good.lines, { trustedKey: 'not-a-key' })).rejects.toThrow(BundleOptionsError);
    await expect(verifyBundle(good.lines, {})).rejects.toThrow(/a trusted key is required/);
  });

  it('malformed lines: the header, an event line, an array, a trailer that does not add up, a line after it', async () => {
    expect(await firstBad(withLine(good.lines, 1, '{"format": "aos-audit-bundle/1",'))).toMatchObject({ line: 1 });
    const v2 = JSON.stringify({ ...JSON.parse(good.lines[0]), format: 'aos-audit-bundle/2' });
    expect((await firstBad(withLine(good.lines, 1, v2)))?.reason).toMatch(/format "aos-audit-bundle\/2" is not/);
    const otherTenant = JSON.stringify({ ...JSON.parse(good.lines[0]), tenantId: 'someone-else' });
    expect((await firstBad(withLine(good.lines, 1, otherTenant)))?.reason).toMatch(/not the origin of tenant/);
    expect(await firstBad(withLine(good.lines, lineOf(40), '{"index": 40, "event": '))).toEqual(
      expect.objectContaining({ line: lineOf(40), reason: expect.stringMatching(/^line 42 is not JSON/) }),
    );
    expect(await firstBad(withLine(good.lines, lineOf(41), '[41]'))).toMatchObject({ line: lineOf(41) });
    const noProof = JSON.stringify({ ...JSON.parse(good.lines[lineOf(42) - 1]), proof: 'x' });
    expect(await firstBad(withLine(good.lines, lineOf(42), noProof))).toMatchObject({
      line: lineOf(42),
      index: 42,
      position: positionOf(42),
    });
    const trailer = good.lines.length;
    const wrongLast = JSON.stringify({ ...JSON.parse(good.lines[trailer - 1]), lastPosition: 1 });
    expect((await firstBad(withLine(good.lines, trailer, wrongLast)))?.reason).toMatch(/lastPosition 1 is not/);
    expect(await firstBad([...good.lines, '{}'])).toMatchObject({ line: trailer + 1 });
    expect(await firstBad([...good.lines, '', ''])).toMatchObject({ line: trailer + 2 });
  });

  it("an event of another tenant, moved into the bundle with a proof of the other tenant's tree", async () => {
    const stranger = sealedEvents(1, 3, 'another-tenant')[0];
    const line = JSON.stringify({ index: 3, event: stranger, proof: [] });
    expect((await firstBad(withLine(good.lines, lineOf(3), line)))?.reason).toMatch(
      /event.metadata.tenantId "another-tenant" is not the bundle's tenant/,
    );
  });
});
