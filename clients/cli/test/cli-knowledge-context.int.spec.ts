import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { startFakeGateway, StatusError, type FakeGateway } from './fake-gateway';
import { runAosInProcess } from './in-process-cli';

/**
 * `aos kb` and `aos context` through the CLI's entry point against a local
 * server speaking the aos.v1 protocol: the requests the CLI builds (bytes,
 * content types, name resolution, optional versions), what it refuses before
 * calling, its output and its exit codes. The whole stack is in the e2e suite.
 */
const AOS_BIN = fileURLToPath(new URL('../bin/aos.mjs', import.meta.url));
const KEY = 'cli-test-key-0123456789abcdef';
const CREATED = { seconds: 1_738_324_800, nanos: 0 };
const SUPPORT = '11111111-1111-4111-8111-111111111111';
const HANDBOOK = '22222222-2222-4222-8222-222222222222';

function knowledgeBase(id: string, name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    tenantId: 'acme',
    name,
    description: `${name} documents`,
    labels: {},
    documentCount: 2,
    chunkCount: 9,
    revision: 2,
    createdBy: 'user:p1',
    createTime: CREATED,
    updateTime: CREATED,
    logPosition: 40,
    ...overrides,
  };
}

function document(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    knowledgeBaseId: SUPPORT,
    id,
    version: 1,
    title: 'Refund policy',
    contentType: 'text/markdown',
    sizeBytes: 2048,
    sha256: 'ab'.repeat(32),
    chunkCount: 3,
    metadata: { lang: 'en' },
    state: 'DOCUMENT_ACTIVE',
    textLength: 1900,
    text: '',
    embeddingsModel: '',
    createdBy: 'user:p1',
    createTime: CREATED,
    updateTime: CREATED,
    logPosition: 41,
    ...overrides,
  };
}

function entry(scope: string, key: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    scope,
    key,
    valueJson: '{"until":"2025-02-01"}',
    version: 1,
    deleted: false,
    updatedBy: 'user:p1',
    createTime: CREATED,
    updateTime: CREATED,
    logPosition: 50,
    ...overrides,
  };
}

const SEARCH_REPLY = {
  mode: 'HYBRID',
  knowledgeBaseIds: [SUPPORT, HANDBOOK],
  results: [
    {
      citation: {
        knowledgeBaseId: SUPPORT,
        documentId: 'refunds',
        documentVersion: 2,
        documentTitle: 'Refund policy',
        chunkIndex: 3,
        startOffset: 120,
        endOffset: 380,
      },
      score: 0.9123,
      snippet: 'Refunds are issued\nwithin 14 days of the request.',
      snippetStartOffset: 150,
      snippetEndOffset: 199,
      lexicalRank: 1,
      denseRank: 2,
    },
    {
      citation: {
        knowledgeBaseId: HANDBOOK,
        documentId: 'leave',
        documentVersion: 1,
        documentTitle: '',
        chunkIndex: 0,
        startOffset: 0,
        endOffset: 240,
      },
      score: 0.4,
      snippet: 'Leave is requested two weeks ahead.',
      snippetStartOffset: 10,
      snippetEndOffset: 45,
      lexicalRank: 0,
      denseRank: 1,
    },
  ],
};

describe('aos kb and aos context against a gRPC server', () => {
  let gateway: FakeGateway;
  let dir: string;
  let watchCancelled = false;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aos-cli-kb-'));
    gateway = await startFakeGateway({
      unary: {
        CreateKnowledgeBase: (req) =>
          knowledgeBase(SUPPORT, String((req.knowledgeBase as { name: string }).name), {
            ...(req.knowledgeBase as object),
            documentCount: 0,
            chunkCount: 0,
          }),
        ListKnowledgeBases: (req) =>
          req.pageToken === ''
            ? { knowledgeBases: [knowledgeBase(SUPPORT, 'support-docs')], nextPageToken: 'p2' }
            : { knowledgeBases: [knowledgeBase(HANDBOOK, 'handbook')], nextPageToken: '' },
        // By id, or by name as the server's read model finds it.
        GetKnowledgeBase: (req) => {
          const known = [knowledgeBase(SUPPORT, 'support-docs'), knowledgeBase(HANDBOOK, 'handbook')];
          const found = known.find((kb) => (req.id ? kb.id === req.id : kb.name === req.name));
          if (!found)
            throw new StatusError(grpc.status.NOT_FOUND, `knowledge base "${String(req.id || req.name)}" not found`);
          return found;
        },
        AddDocument: (req) => {
          const content = req.content as Buffer;
          return document(String(req.documentId || 'derived-id'), {
            knowledgeBaseId: req.knowledgeBaseId,
            title: req.title || 'Found title',
            contentType: req.contentType,
            sizeBytes: content.length,
            sha256: createHash('sha256').update(content).digest('hex'),
            metadata: req.metadata,
            version: req.expectedVersion === undefined ? 1 : Number(req.expectedVersion) + 1,
          });
        },
        ListDocuments: (req) =>
          req.pageToken === ''
            ? { documents: [document('refunds')], nextPageToken: 'd2' }
            : {
                documents: [
                  document('prices', { title: 'Price list', contentType: 'application/pdf', sizeBytes: 300_000 }),
                ],
                nextPageToken: '',
              },
        GetDocument: (req) =>
          document(String(req.documentId), {
            version: Number(req.version) || 2,
            text: req.includeText ? '# Refund policy\n\nRefunds are issued within 14 days.' : '',
          }),
        RemoveDocument: (req) => {
          if (req.expectedVersion !== undefined && req.expectedVersion !== 2) {
            throw new StatusError(grpc.status.ABORTED, 'expected_version 1 is stale: the document is at version 2');
          }
          return document(String(req.documentId), { state: 'DOCUMENT_REMOVED', version: 2 });
        },
        Search: () => SEARCH_REPLY,
        PutContext: (req) => {
          if (req.expectedVersion === 7) {
            throw new StatusError(grpc.status.ABORTED, 'expected_version 7 is stale: the entry is at version 8');
          }
          return entry(String(req.scope), String(req.key), { valueJson: req.valueJson, version: 3 });
        },
        GetContext: (req) => entry(String(req.scope), String(req.key), { version: Number(req.version) || 3 }),
        ListContext: (req) =>
          req.pageToken === ''
            ? { entries: [entry(String(req.scope), 'plan.a')], nextPageToken: 'c2' }
            : {
                entries: [entry(String(req.scope), 'plan.b', { valueJson: '[1,2,3]', version: 4 })],
                nextPageToken: '',
              },
        DeleteContext: (req) =>
          entry(String(req.scope), String(req.key), { valueJson: '', deleted: true, version: 4, logPosition: 61 }),
      },
      streams: {
        WatchContext: (req, call) => {
          call.on('cancelled', () => {
            watchCancelled = true;
          });
          call.write({ entry: entry(String(req.scope), 'plan', { logPosition: 70 }) });
          call.write({
            entry: entry(String(req.scope), 'plan', { deleted: true, valueJson: '', version: 2, logPosition: 71 }),
          });
        },
      },
    });
  });

  beforeEach(() => {
    gateway.calls.length = 0;
  });

  afterAll(() => {
    gateway.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function aos(args: string[], options: { stdin?: string; signal?: AbortSignal; onStdout?: (t: string) => void } = {}) {
    return runAosInProcess(args, {
      env: { AOS_GATEWAY_ADDR: gateway.address, AOS_API_KEY: KEY },
      dir,
      ...options,
    });
  }

  function file(name: string, content: string | Buffer): string {
    writeFileSync(join(dir, name), content);
    return name;
  }

  const methods = () => gateway.calls.map((c) => c.method);

  describe('aos kb', () => {
    it('creates a knowledge base from the name, description and labels, with a fresh request id', async () => {
      const run = await aos([
        'kb',
        'create',
        'support-docs',
        '--description',
        'Refund policies',
        '--label',
        'team=support',
        '--label',
        'lang=en',
      ]);

      expect(run).toMatchObject({ code: 0, stderr: '' });
      const [call] = gateway.calls;
      expect(call).toMatchObject({ method: 'CreateKnowledgeBase', authorization: `Bearer ${KEY}` });
      expect(call?.request.knowledgeBase).toMatchObject({
        name: 'support-docs',
        description: 'Refund policies',
        labels: { team: 'support', lang: 'en' },
      });
      expect(call?.request.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(run.stdout).toMatch(/^NAME +support-docs$/m);
      expect(run.stdout).toMatch(/^LABELS +lang=en, team=support$/m);
    });

    it('lists every page of knowledge bases as a table, and as one JSON list', async () => {
      const run = await aos(['kb', 'list']);

      expect(run.code).toBe(0);
      expect(methods()).toEqual(['ListKnowledgeBases', 'ListKnowledgeBases']);
      const lines = run.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^ID +NAME +DOCS +CHUNKS +DESCRIPTION +UPDATED$/);
      expect(lines[1]).toMatch(new RegExp(`^${SUPPORT} +support-docs +2 +9 +support-docs documents`));
      expect(lines[2]).toContain('handbook');
      expect(lines[3]).toBe('2 knowledge base(s)');

      const json = await aos(['kb', 'list', '--json']);
      const reply = JSON.parse(json.stdout) as { knowledgeBases: { name: string }[]; nextPageToken: string };
      expect(reply.knowledgeBases.map((kb) => kb.name)).toEqual(['support-docs', 'handbook']);
      expect(reply.nextPageToken).toBe('');
    });

    it('adds a file as its exact bytes, by knowledge base name, with the type guessed from the extension', async () => {
      // Bytes that are not UTF-8: a reader decoding text would change them.
      const bytes = Buffer.concat([
        Buffer.from('%PDF-1.7\n'),
        Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3]),
        Buffer.from('\n%%EOF\n'),
      ]);
      file('prices.pdf', bytes);
      const run = await aos([
        'kb',
        'add',
        'handbook',
        'prices.pdf',
        '--id',
        'prices',
        '--meta',
        'lang=en',
        '--meta',
        'year=2025',
      ]);

      expect(run).toMatchObject({ code: 0, stderr: '' });
      // The name is found by the server: one Get, no listing.
      expect(methods()).toEqual(['GetKnowledgeBase', 'AddDocument']);
      expect(gateway.calls[0]?.request).toMatchObject({ id: '', name: 'handbook' });
      const add = gateway.calls[1]?.request as Record<string, unknown>;
      expect(add).toMatchObject({
        knowledgeBaseId: HANDBOOK,
        documentId: 'prices',
        title: '',
        contentType: 'application/pdf',
        metadata: { lang: 'en', year: '2025' },
      });
      expect(Buffer.compare(add.content as Buffer, bytes)).toBe(0);
      expect(add.expectedVersion).toBeUndefined();
      expect(add.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(run.stdout).toMatch(/^CONTENT TYPE +application\/pdf$/m);
      expect(run.stdout).toMatch(new RegExp(`^SHA-256 +${createHash('sha256').update(bytes).digest('hex')}$`, 'm'));
      expect(run.stdout).toMatch(/^METADATA +lang=en, year=2025$/m);
    });

    it.each([
      ['notes.md', 'text/markdown'],
      ['NOTES.MARKDOWN', 'text/markdown'],
      ['page.html', 'text/html'],
      ['page.htm', 'text/html'],
      ['readme.txt', 'text/plain'],
    ])('guesses %s as %s, and sends an id, as given, without resolving it', async (name, type) => {
      file(name, 'Some text.');
      const run = await aos(['kb', 'add', SUPPORT, name, '--json']);

      expect(run.code).toBe(0);
      expect(methods()).toEqual(['AddDocument']);
      expect(gateway.calls[0]?.request).toMatchObject({ knowledgeBaseId: SUPPORT, contentType: type });
      expect(JSON.parse(run.stdout)).toMatchObject({ contentType: type, sizeBytes: 10 });
    });

    it('takes --type over the extension, --title, and --expected-version 0 as "must not exist yet"', async () => {
      file('export.data', '<html><title>x</title></html>');
      const run = await aos([
        'kb',
        'add',
        SUPPORT,
        'export.data',
        '--type',
        'text/html; charset=utf-8',
        '--title',
        'Exported page',
        '--expected-version',
        '0',
        '--request-id',
        'add-1',
      ]);

      expect(run.code).toBe(0);
      expect(gateway.calls[0]?.request).toMatchObject({
        contentType: 'text/html; charset=utf-8',
        title: 'Exported page',
        expectedVersion: 0,
        requestId: 'add-1',
      });
      expect(run.stdout).toMatch(/^VERSION +1$/m);

      await aos(['kb', 'add', SUPPORT, 'export.data', '--type', 'MD']);
      expect(gateway.calls[1]?.request).toMatchObject({ contentType: 'text/markdown' });
    });

    it('refuses a file over 512 KiB, an empty or missing file, or an unknown type, before any call (exit 2)', async () => {
      file('big.md', Buffer.alloc(512 * 1024 + 1, 'a'));
      const big = await aos(['kb', 'add', 'support-docs', 'big.md']);
      expect(big.code).toBe(2);
      expect(big.stderr).toBe(
        'error: big.md is 512.0 KiB (524289 bytes); a document may be at most 512 KiB (524288 bytes): split it into several documents\n',
      );

      file('exactly.md', Buffer.alloc(512 * 1024, 'a'));
      expect((await aos(['kb', 'add', SUPPORT, 'exactly.md'])).code).toBe(0);
      gateway.calls.length = 0;

      file('empty.txt', '');
      const empty = await aos(['kb', 'add', 'support-docs', 'empty.txt']);
      expect(empty).toMatchObject({ code: 2, stderr: 'error: empty.txt is empty\n' });

      const missing = await aos(['kb', 'add', 'support-docs', 'nowhere.md']);
      expect(missing).toMatchObject({ code: 2, stderr: 'error: cannot read nowhere.md: ENOENT\n' });

      file('report.docx', 'x');
      const unknown = await aos(['kb', 'add', 'support-docs', 'report.docx']);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/cannot tell the content type of report\.docx from its extension: pass --type/);

      const badType = await aos(['kb', 'add', 'support-docs', 'report.docx', '--type', 'application/msword']);
      expect(badType.code).toBe(2);
      expect(badType.stderr).toMatch(
        /option '--type <content-type>' argument 'application\/msword' is invalid\. expected one of text\/plain, text\/markdown, text\/html, application\/pdf/,
      );
      expect(gateway.calls).toEqual([]);
    });

    it('names a knowledge base it cannot find, and exits 1 without adding', async () => {
      file('a.md', '# A');
      const run = await aos(['kb', 'add', 'no-such-kb', 'a.md']);

      expect(run.code).toBe(1);
      expect(run.stderr).toBe('error: NOT_FOUND: knowledge base "no-such-kb" not found\n');
      expect(methods()).not.toContain('AddDocument');
    });

    it('gets a knowledge base by name, and reports a gRPC error as one line with exit 1', async () => {
      const run = await aos(['kb', 'get', 'support-docs']);
      expect(run.code).toBe(0);
      expect(methods()).toEqual(['GetKnowledgeBase']);
      expect(gateway.calls[0]?.request).toMatchObject({ id: '', name: 'support-docs' });
      expect(run.stdout).toMatch(/^DOCUMENTS +2$/m);

      const missing = await aos(['kb', 'get', '33333333-3333-4333-8333-333333333333']);
      expect(missing).toMatchObject({
        code: 1,
        stdout: '',
        stderr: 'error: NOT_FOUND: knowledge base "33333333-3333-4333-8333-333333333333" not found\n',
      });
    });

    it('lists every page of documents, shows one with its text, and removes one', async () => {
      const docs = await aos(['kb', 'docs', 'support-docs']);
      expect(docs.code).toBe(0);
      expect(methods().filter((m) => m === 'ListDocuments')).toHaveLength(2);
      const lines = docs.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^ID +VERSION +TITLE +TYPE +SIZE +CHUNKS +ADDED$/);
      expect(lines[1]).toMatch(/^refunds +1 +Refund policy +text\/markdown +2\.0 KiB +3 /);
      expect(lines[2]).toMatch(/^prices +1 +Price list +application\/pdf +293\.0 KiB +3 /);
      expect(lines[3]).toBe('2 document(s)');

      gateway.calls.length = 0;
      const doc = await aos(['kb', 'doc', SUPPORT, 'refunds@1', '--text']);
      expect(doc.code).toBe(0);
      expect(gateway.calls[0]?.request).toMatchObject({
        knowledgeBaseId: SUPPORT,
        documentId: 'refunds',
        version: 1,
        includeText: true,
      });
      expect(doc.stdout).toMatch(/^STATE +ACTIVE$/m);
      expect(doc.stdout.endsWith('\n\n# Refund policy\n\nRefunds are issued within 14 days.\n')).toBe(true);

      gateway.calls.length = 0;
      const current = await aos(['kb', 'doc', SUPPORT, 'refunds']);
      expect(gateway.calls[0]?.request).toMatchObject({ documentId: 'refunds', version: 0, includeText: false });
      expect(current.stdout).toMatch(/^LOG POSITION +41$/m);
      expect(current.stdout.endsWith('LOG POSITION    41\n')).toBe(true);

      for (const bad of ['refunds@0', 'refunds@', 'refunds@two', '@2']) {
        const refused = await aos(['kb', 'doc', SUPPORT, bad]);
        expect(refused.code).toBe(2);
        expect(refused.stderr).toContain(
          `error: command-argument value '${bad}' is invalid for argument 'doc'. expected <id> or <id>@<version> with a version ≥ 1, e.g. refunds@2.`,
        );
      }
      expect(gateway.calls).toHaveLength(1);

      const removed = await aos(['kb', 'rm', SUPPORT, 'refunds', '--expected-version', '2']);
      expect(removed.code).toBe(0);
      expect(gateway.calls.at(-1)?.request).toMatchObject({ documentId: 'refunds', expectedVersion: 2 });
      expect(removed.stdout).toMatch(/^STATE +REMOVED$/m);

      const stale = await aos(['kb', 'rm', SUPPORT, 'refunds', '--expected-version', '1']);
      expect(stale).toMatchObject({
        code: 1,
        stderr: 'error: ABORTED: expected_version 1 is stale: the document is at version 2\n',
      });
    });

    it('searches with every flag, resolving --kb names, and prints each citation', async () => {
      const run = await aos([
        'kb',
        'search',
        'how long do refunds take',
        '--kb',
        'support-docs',
        '--kb',
        HANDBOOK,
        '--top-k',
        '3',
        '--filter',
        'lang=en',
        '--min-score',
        '0.25',
        '--mode',
        'hybrid',
      ]);

      expect(run).toMatchObject({ code: 0, stderr: '' });
      const search = gateway.calls.find((c) => c.method === 'Search');
      expect(search?.request).toMatchObject({
        query: 'how long do refunds take',
        knowledgeBaseIds: [SUPPORT, HANDBOOK],
        topK: 3,
        metadataFilter: { lang: 'en' },
        minScore: 0.25,
        mode: 'HYBRID',
      });
      // One Get per knowledge base: support-docs by name for --kb (its name is then known), handbook by id for the output.
      expect(
        gateway.calls.filter((c) => c.method === 'GetKnowledgeBase').map((c) => c.request.id || c.request.name),
      ).toEqual(['support-docs', HANDBOOK]);
      expect(run.stdout).toBe(
        [
          '1. 0.912  Refund policy  (refunds@2 in support-docs)',
          '   chunk 3, characters 120-380; snippet 150-199; lexical #1; dense #2',
          '   Refunds are issued within 14 days of the request.',
          '',
          '2. 0.400  (untitled)  (leave@1 in handbook)',
          '   chunk 0, characters 0-240; snippet 10-45; dense #1',
          '   Leave is requested two weeks ahead.',
          '',
          '2 result(s) from 2 knowledge base(s) searched, mode HYBRID',
          '',
        ].join('\n'),
      );
    });

    it('searches every readable knowledge base by default and prints the reply as is with --json', async () => {
      const run = await aos(['kb', 'search', 'leave', '--json']);

      expect(run.code).toBe(0);
      expect(methods()).toEqual(['Search']);
      expect(gateway.calls[0]?.request).toMatchObject({
        knowledgeBaseIds: [],
        topK: 0,
        minScore: 0,
        mode: 'SEARCH_MODE_UNSPECIFIED',
      });
      expect(JSON.parse(run.stdout)).toEqual(SEARCH_REPLY);
    });

    it.each([
      [['--min-score', '1.5'], "option '--min-score <x>' argument '1.5' is invalid. expected a number from 0 to 1"],
      [['--top-k', '0'], "option '--top-k <n>' argument '0' is invalid. expected a whole number ≥ 1"],
      [
        ['--mode', 'semantic'],
        "option '--mode <mode>' argument 'semantic' is invalid. expected one of lexical, hybrid",
      ],
      [['--filter', 'lang'], "option '--filter <key=value>' argument 'lang' is invalid. expected key=value"],
    ])('refuses search %j without a call (exit 2)', async (flags, message) => {
      const run = await aos(['kb', 'search', 'q', ...flags]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(message);
      expect(gateway.calls).toEqual([]);
    });
  });

  describe('aos context', () => {
    it('puts a JSON value given inline, from @file and from standard input, as written', async () => {
      const inline = await aos(['context', 'put', 'tenant', 'release.freeze', '{"until": "2025-02-01"}']);
      expect(inline).toMatchObject({ code: 0, stderr: '' });
      expect(gateway.calls[0]).toMatchObject({ method: 'PutContext', authorization: `Bearer ${KEY}` });
      expect(gateway.calls[0]?.request).toMatchObject({
        scope: 'tenant',
        key: 'release.freeze',
        valueJson: '{"until": "2025-02-01"}',
      });
      expect(gateway.calls[0]?.request.expectedVersion).toBeUndefined();
      expect(gateway.calls[0]?.request.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(inline.stdout).toMatch(/^VERSION +3$/m);
      expect(inline.stdout.endsWith('\n{\n  "until": "2025-02-01"\n}\n')).toBe(true);

      file('plan.json', '{\n  "steps": ["a", "b"]\n}\n');
      await aos(['context', 'put', 'task/c-42', 'plan', '@plan.json', '--expected-version', '0']);
      expect(gateway.calls[1]?.request).toMatchObject({
        scope: 'task/c-42',
        valueJson: '{\n  "steps": ["a", "b"]\n}\n',
        expectedVersion: 0,
      });

      const piped = await aos(['context', 'put', 'team/sales', 'n', '-', '--json'], { stdin: '[1, 2, 3]' });
      expect(gateway.calls[2]?.request).toMatchObject({ valueJson: '[1, 2, 3]' });
      expect(JSON.parse(piped.stdout)).toMatchObject({
        scope: 'team/sales',
        key: 'n',
        valueJson: '[1, 2, 3]',
        version: 3,
      });
    });

    it('refuses a value that is not JSON, or a file it cannot read, before any call (exit 2)', async () => {
      const bare = await aos(['context', 'put', 'tenant', 'greeting', 'hello']);
      expect(bare.code).toBe(2);
      expect(bare.stderr).toMatch(
        /^error: the value is not JSON \(.+\); a string needs quotes, e\.g\. '"ready"', and a file is given as @file\n$/,
      );

      file('broken.json', '{"a": ');
      const broken = await aos(['context', 'put', 'tenant', 'k', '@broken.json']);
      expect(broken.code).toBe(2);
      expect(broken.stderr).toMatch(/^error: broken\.json is not JSON/);

      const missing = await aos(['context', 'put', 'tenant', 'k', '@nowhere.json']);
      expect(missing).toMatchObject({ code: 2, stderr: 'error: cannot read nowhere.json: ENOENT\n' });

      const version = await aos(['context', 'put', 'tenant', 'k', '1', '--expected-version', '-1']);
      expect(version.code).toBe(2);
      expect(gateway.calls).toEqual([]);
    });

    it('exits 1 with ABORTED when the expected version is stale', async () => {
      const run = await aos(['context', 'put', 'tenant', 'k', '"v"', '--expected-version', '7']);
      expect(run).toMatchObject({
        code: 1,
        stdout: '',
        stderr: 'error: ABORTED: expected_version 7 is stale: the entry is at version 8\n',
      });
    });

    it('gets a version, lists every page by prefix, and deletes', async () => {
      const got = await aos(['context', 'get', 'tenant', 'release.freeze@2']);
      expect(got.code).toBe(0);
      expect(gateway.calls[0]?.request).toMatchObject({ scope: 'tenant', key: 'release.freeze', version: 2 });
      expect(got.stdout).toMatch(/^VERSION +2$/m);
      expect(got.stdout).toMatch(/^UPDATED BY +user:p1$/m);

      gateway.calls.length = 0;
      const listed = await aos(['context', 'list', 'team/sales', '--prefix', 'plan.']);
      expect(methods()).toEqual(['ListContext', 'ListContext']);
      expect(gateway.calls[0]?.request).toMatchObject({ scope: 'team/sales', keyPrefix: 'plan.' });
      const lines = listed.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^KEY +VERSION +UPDATED BY +UPDATED +VALUE$/);
      expect(lines[1]).toMatch(/^plan\.a +1 +user:p1 +2025-01-31T12:00:00\.000Z +\{"until":"2025-02-01"\}$/);
      expect(lines[2]).toMatch(/^plan\.b +4 .+ \[1,2,3\]$/);
      expect(lines[3]).toBe('2 key(s)');

      const json = await aos(['context', 'list', 'team/sales', '--json']);
      expect((JSON.parse(json.stdout) as { entries: unknown[] }).entries).toHaveLength(2);

      gateway.calls.length = 0;
      const removed = await aos(['context', 'rm', 'tenant', 'release.freeze', '--expected-version', '3']);
      expect(removed.code).toBe(0);
      expect(gateway.calls[0]).toMatchObject({
        method: 'DeleteContext',
        request: { scope: 'tenant', key: 'release.freeze', expectedVersion: 3 },
      });
      expect(removed.stdout).toMatch(/^DELETED +yes$/m);
      expect(removed.stdout.trimEnd().split('\n').at(-1)).toMatch(/^LOG POSITION +61$/);
    });

    it('watches a scope, a line a change, until Ctrl-C ends it cleanly', async () => {
      const interrupt = new AbortController();
      let seen = '';
      const run = await aos(['context', 'watch', 'task/c-42', '--prefix', 'pl', '--after', '69'], {
        signal: interrupt.signal,
        onStdout: (text) => {
          seen += text;
          if (seen.split('\n').length > 3) interrupt.abort();
        },
      });

      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(gateway.calls[0]?.request).toMatchObject({ scope: 'task/c-42', keyPrefix: 'pl', afterPosition: 69 });
      const lines = run.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(3);
      expect(lines[0]).toMatch(/^POSITION +CHANGE +KEY +VERSION +BY +VALUE$/);
      expect(lines[1]).toMatch(/^ +70 +PUT +plan +1 +user:p1 +\{"until":"2025-02-01"\}$/);
      expect(lines[2]).toMatch(/^ +71 +DELETE +plan +2 +user:p1$/);
      await expect.poll(() => watchCancelled).toBe(true);
    });

    it('watches as JSON Lines with --json', async () => {
      const interrupt = new AbortController();
      let lines = 0;
      const run = await aos(['context', 'watch', 'tenant', '--json'], {
        signal: interrupt.signal,
        onStdout: () => {
          lines += 1;
          if (lines === 2) interrupt.abort();
        },
      });

      expect(run.code).toBe(0);
      const changes = run.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as { entry: { deleted: boolean; logPosition: number } });
      expect(changes.map((c) => [c.entry.logPosition, c.entry.deleted])).toEqual([
        [70, false],
        [71, true],
      ]);
      expect(gateway.calls[0]?.request).toMatchObject({ scope: 'tenant', keyPrefix: '', afterPosition: 0 });
    });
  });

  it('behaves the same through bin/aos.mjs, which the other tests bypass', async () => {
    file('binary.pdf', Buffer.from([0x25, 0x50, 0x44, 0x46, 0xff, 0x00, 0xfe]));
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [AOS_BIN, 'kb', 'add', 'handbook', 'binary.pdf', '--json'],
      { cwd: dir, env: { PATH: process.env.PATH, HOME: dir, AOS_GATEWAY_ADDR: gateway.address, AOS_API_KEY: KEY } },
    );

    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toMatchObject({
      knowledgeBaseId: HANDBOOK,
      contentType: 'application/pdf',
      sizeBytes: 7,
    });
    const add = gateway.calls.find((c) => c.method === 'AddDocument');
    expect([...(add?.request.content as Buffer)]).toEqual([0x25, 0x50, 0x44, 0x46, 0xff, 0x00, 0xfe]);
  });

  it('documents the commands in --help', async () => {
    const kb = await aos(['kb', '--help']);
    for (const verb of ['create', 'list', 'get', 'add', 'docs', 'doc', 'rm', 'search']) {
      expect(kb.stdout).toMatch(new RegExp(`^  ${verb} `, 'm'));
    }
    const add = await aos(['kb', 'add', '--help']);
    expect(add.stdout).toMatch(/--type <content-type>/);
    expect(add.stdout).toMatch(/512 KiB/);
    const context = await aos(['context', '--help']);
    for (const verb of ['put', 'get', 'list', 'watch', 'rm']) {
      expect(context.stdout).toMatch(new RegExp(`^  ${verb} `, 'm'));
    }
    const top = await aos(['--help']);
    expect(top.stdout).toMatch(/aos kb search/);
    expect(top.stdout).toMatch(/aos context put/);
    expect(gateway.calls).toEqual([]);
  });
});
