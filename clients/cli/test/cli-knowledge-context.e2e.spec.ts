import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContextChange, ContextEntry, Document, KnowledgeBase, SearchResponse } from '@aos/contracts';
import { startTestStack, type TestStack } from '@aos/testing';
import { runAosInProcess } from './in-process-cli';

/**
 * `aos kb` and `aos context` against the whole stack (gateway, resources,
 * governance on a real nats-server), through the CLI's entry point in this
 * process: each `aos` run parses, calls and prints exactly as bin/aos.mjs,
 * without paying a process start (cli.e2e.spec.ts runs the binary itself).
 */
let t: TestStack;
let dir: string;

beforeAll(async () => {
  t = await startTestStack();
  dir = mkdtempSync(join(tmpdir(), 'aos-cli-kb-e2e-'));
}, 120_000);
afterAll(async () => {
  await t?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function aos(args: string[], options: { signal?: AbortSignal; onStdout?: (text: string) => void } = {}) {
  return runAosInProcess(args, {
    // No config file in the home, no key file in the working directory: only these count.
    env: { AOS_GATEWAY_ADDR: t.gatewayAddr, AOS_API_KEY: t.apiKey },
    dir,
    ...options,
  });
}

async function json<T>(...args: string[]): Promise<T> {
  const run = await aos([...args, '--json']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as T;
}

function file(name: string, content: string | Uint8Array): string {
  writeFileSync(join(dir, name), content);
  return name;
}

/** A one-page PDF with real, extractable text. */
async function pdf(lines: string[]): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle('Price list');
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage();
  lines.forEach((line, i) => page.drawText(line, { x: 50, y: 750 - 20 * i, size: 12, font }));
  return doc.save();
}

/** Code points, as the offsets count them. */
function slice(text: string, start: number, end: number): string {
  return [...text].slice(start, end).join('');
}

describe('aos kb', () => {
  it('creates a knowledge base, adds Markdown, HTML and PDF files, searches them with citations, versions and removes', async () => {
    const kb = await json<KnowledgeBase>(
      'kb',
      'create',
      'handbook',
      '--description',
      'Company policies',
      '--label',
      'team=hr',
    );
    expect(kb).toMatchObject({ name: 'handbook', labels: { team: 'hr' }, documentCount: 0 });
    const taken = await aos(['kb', 'create', 'handbook']);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/^error: ALREADY_EXISTS: /);

    file(
      'refunds.md',
      '# Refund policy\n\nRefunds are issued within 14 days of the request, to the card that paid.\n\n' +
        'Gift cards cannot be refunded.\n',
    );
    file(
      'leave.html',
      '<html><head><title>Parental leave</title></head><body><h1>Parental leave</h1>' +
        '<p>Parents may take sixteen weeks of paid leave within the first year.</p></body></html>',
    );
    file('prices.pdf', await pdf(['Price list', 'The premium plan costs forty euros a month.']));

    const refunds = await json<Document>('kb', 'add', 'handbook', 'refunds.md', '--id', 'refunds', '--meta', 'lang=en');
    expect(refunds).toMatchObject({
      knowledgeBaseId: kb.id,
      id: 'refunds',
      version: 1,
      title: 'Refund policy',
      contentType: 'text/markdown',
      metadata: { lang: 'en' },
      state: 'DOCUMENT_ACTIVE',
    });
    const leave = await aos(['kb', 'add', kb.id, 'leave.html', '--id', 'leave']);
    expect(leave.stderr).toBe('');
    expect(leave.stdout).toMatch(/^TITLE +Parental leave$/m);
    expect(leave.stdout).toMatch(/^CONTENT TYPE +text\/html$/m);
    const prices = await json<Document>('kb', 'add', 'handbook', 'prices.pdf');
    expect(prices).toMatchObject({ contentType: 'application/pdf', version: 1 });
    expect(prices.id).not.toBe('');

    const listed = await aos(['kb', 'list']);
    expect(listed.stdout).toMatch(new RegExp(`^${kb.id} +handbook +3 +\\d+ +Company policies`, 'm'));
    const docs = await aos(['kb', 'docs', 'handbook']);
    expect(docs.stdout).toMatch(/^refunds +1 +Refund policy +text\/markdown /m);
    expect(docs.stdout).toMatch(/^leave +1 +Parental leave +text\/html /m);
    expect(docs.stdout).toMatch(/^3 document\(s\)$/m);

    // The citation's offsets point at the quoted text of the version it names.
    const found = await json<SearchResponse>('kb', 'search', 'how long until refunds are issued', '--kb', 'handbook');
    const top = found.results[0];
    expect(top?.citation).toMatchObject({ knowledgeBaseId: kb.id, documentId: 'refunds', documentVersion: 1 });
    const text = (await json<Document>('kb', 'doc', 'handbook', 'refunds@1', '--text')).text;
    expect(slice(text, top!.snippetStartOffset, top!.snippetEndOffset)).toBe(top!.snippet);
    expect(slice(text, top!.citation!.startOffset, top!.citation!.endOffset)).toContain(top!.snippet);

    const shown = await aos(['kb', 'search', 'how long until refunds are issued', '--kb', 'handbook', '--top-k', '1']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^1\. \d\.\d{3} {2}Refund policy {2}\(refunds@1 in handbook\)$/m);
    expect(shown.stdout).toMatch(/^ {3}chunk 0, characters \d+-\d+; snippet \d+-\d+; lexical #1/m);
    expect(shown.stdout).toMatch(/Refunds are issued within 14 days/);
    expect(shown.stdout).toMatch(/^1 result\(s\) from 1 knowledge base\(s\) searched, mode LEXICAL$/m);

    const pdfHit = await json<SearchResponse>('kb', 'search', 'premium plan price', '--mode', 'lexical');
    expect(pdfHit.results[0]?.citation?.documentId).toBe(prices.id);

    // A new version replaces the old one in results; a stale expected version is refused.
    file('refunds-v2.md', '# Refund policy\n\nRefunds are now issued within 5 days of the request.\n');
    const v2 = await json<Document>(
      'kb',
      'add',
      'handbook',
      'refunds-v2.md',
      '--id',
      'refunds',
      '--expected-version',
      '1',
    );
    expect(v2.version).toBe(2);
    const stale = await aos(['kb', 'add', 'handbook', 'refunds-v2.md', '--id', 'refunds', '--expected-version', '1']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/^error: ABORTED: /);
    const newer = await aos(['kb', 'search', 'refunds issued days', '--kb', 'handbook']);
    expect(newer.stdout).toMatch(/\(refunds@2 in handbook\)/);
    expect(newer.stdout).not.toMatch(/refunds@1/);

    const filtered = await aos(['kb', 'search', 'refunds issued days', '--filter', 'lang=fr']);
    expect(filtered.stdout).toMatch(/^No results\.$/m);

    const removed = await aos(['kb', 'rm', 'handbook', 'refunds']);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/^STATE +REMOVED$/m);
    const gone = await json<SearchResponse>('kb', 'search', 'refunds issued days', '--kb', kb.id);
    expect(gone.results.map((r) => r.citation?.documentId)).not.toContain('refunds');
    const again = await aos(['kb', 'rm', 'handbook', 'refunds']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: FAILED_PRECONDITION: /);
  }, 120_000);

  it('refuses bad arguments with a message and the right exit code', async () => {
    const unknownKb = await aos(['kb', 'search', 'anything', '--kb', 'no-such-kb']);
    expect(unknownKb).toMatchObject({
      code: 1,
      stderr: 'error: NOT_FOUND: knowledge base "no-such-kb" not found\n',
    });
    file('huge.md', new Uint8Array(600 * 1024).fill(0x61));
    const huge = await aos(['kb', 'add', 'handbook', 'huge.md']);
    expect(huge.code).toBe(2);
    expect(huge.stderr).toMatch(/^error: huge\.md is 600\.0 KiB \(614400 bytes\); a document may be at most 512 KiB/);
    const badName = await aos(['kb', 'create', 'Not A Name']);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toMatch(/^error: INVALID_ARGUMENT: .*name/);
    const noKey = await runAosInProcess(['kb', 'list'], {
      env: { AOS_GATEWAY_ADDR: t.gatewayAddr, AOS_API_KEY: 'aos_nope_nope-nope-nope-nope' },
      dir,
    });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/^error: UNAUTHENTICATED: /);
  });
});

describe('aos context', () => {
  it('puts with versions, refuses a stale write, gets, lists, watches and deletes', async () => {
    const first = await json<ContextEntry>(
      'context',
      'put',
      'tenant',
      'release.freeze',
      '{"until": "2025-02-01"}',
      '--expected-version',
      '0',
    );
    expect(first).toMatchObject({ scope: 'tenant', key: 'release.freeze', version: 1, deleted: false });
    expect(JSON.parse(first.valueJson)).toEqual({ until: '2025-02-01' });

    const stale = await aos(['context', 'put', 'tenant', 'release.freeze', '"late"', '--expected-version', '0']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/^error: ABORTED: /);

    file('freeze.json', '{"until": "2025-03-01", "reason": "audit"}');
    const second = await json<ContextEntry>(
      'context',
      'put',
      'tenant',
      'release.freeze',
      '@freeze.json',
      '--expected-version',
      '1',
    );
    expect(second.version).toBe(2);

    const current = await aos(['context', 'get', 'tenant', 'release.freeze']);
    expect(current.stdout).toMatch(/^VERSION +2$/m);
    expect(current.stdout).toContain('\n{\n  "until": "2025-03-01",\n  "reason": "audit"\n}\n');
    const old = await json<ContextEntry>('context', 'get', 'tenant', 'release.freeze@1');
    expect(JSON.parse(old.valueJson)).toEqual({ until: '2025-02-01' });

    await json<ContextEntry>('context', 'put', 'tenant', 'release.owner', '"ops"');
    await json<ContextEntry>('context', 'put', 'tenant', 'other', '1');
    const listed = await aos(['context', 'list', 'tenant', '--prefix', 'release.']);
    const rows = listed.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^KEY +VERSION +UPDATED BY +UPDATED +VALUE$/);
    expect(rows[1]).toMatch(/^release\.freeze +2 .+\{"until":"2025-03-01","reason":"audit"\}$/);
    expect(rows[2]).toMatch(/^release\.owner +1 .+"ops"$/);
    expect(rows[3]).toBe('2 key(s)');

    // Watch from the last change seen, then change twice: each change once, in order.
    const interrupt = new AbortController();
    let lines: ContextChange[] = [];
    let buffered = '';
    const watching = aos(
      ['context', 'watch', 'tenant', '--prefix', 'release.', '--after', String(second.logPosition), '--json'],
      {
        signal: interrupt.signal,
        onStdout: (text) => {
          buffered += text;
          lines = buffered
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as ContextChange);
          if (lines.some((c) => c.entry?.deleted)) interrupt.abort();
        },
      },
    );
    await json<ContextEntry>('context', 'put', 'tenant', 'release.freeze', 'null', '--expected-version', '2');
    const deleted = await aos(['context', 'rm', 'tenant', 'release.freeze', '--expected-version', '3']);
    expect(deleted.stdout).toMatch(/^DELETED +yes$/m);
    const watched = await watching;
    expect(watched).toMatchObject({ code: 0, stderr: '' });
    // release.owner (put after `second`) comes first; `other` is outside the prefix.
    expect(lines.map((c) => [c.entry?.key, c.entry?.version, c.entry?.deleted])).toEqual([
      ['release.owner', 1, false],
      ['release.freeze', 3, false],
      ['release.freeze', 4, true],
    ]);

    const missing = await aos(['context', 'get', 'tenant', 'release.freeze']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: NOT_FOUND: /);
  }, 120_000);

  it('refuses bad arguments with a message and the right exit code', async () => {
    const notJson = await aos(['context', 'put', 'tenant', 'greeting', 'hello']);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/^error: the value is not JSON/);
    const badScope = await aos(['context', 'put', 'everyone', 'k', '1']);
    expect(badScope.code).toBe(1);
    expect(badScope.stderr).toMatch(/^error: INVALID_ARGUMENT: .*scope/);
    const badKey = await aos(['context', 'get', 'tenant', 'white space']);
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toMatch(/^error: INVALID_ARGUMENT: .*key/);
  });
});
