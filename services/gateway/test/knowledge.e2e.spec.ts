import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Document, KnowledgeBase, SearchRequest, SearchResponse, SearchResult } from '@aos/contracts';
import { createAosClient, type AosClient } from '@aos/grpc-client';
import { startTestStack, statusOf, type TestStack } from '@aos/testing';
import { GatewayCaller } from './support/gateway-caller';
import { principalWithKey, rid, unique, type KeyHolder } from './support/governance-fixtures';

/**
 * Knowledge bases end to end through the gRPC gateway, on the stack npm start
 * runs: Markdown, HTML and PDF documents (made here; the PDF with pdf-lib),
 * searched with citations whose code point offsets quote the document's text;
 * versions, removal, idempotent retries, permissions inside the search, tenants
 * apart (Search, GetDocument, the audit trail), bad input naming the field,
 * and every service restarted on the same NATS and log with the embeddings
 * server stopped: the same answers from replay, vectors from the log.
 */

/**
 * A local OpenAI-compatible embeddings server (POST /v1/embeddings over
 * node:http, `input` a string or a list, `encoding_format` float or base64,
 * answered as OpenAI does) on a port that stays the same across stop() and
 * start(). What it computes: every lower-cased word (a run of letters or
 * digits) of a text is hashed (FNV-1a) to one of 64 slots, with a sign from
 * the hash's top bit; the counts are summed and the vector L2-normalised. A
 * deterministic bag of hashed words — texts that share words point the same
 * way — not a learned model.
 */
class HashedWordsEmbeddingsServer {
  /** How many texts each request carried, in order. */
  readonly requests: number[] = [];
  private server: Server | undefined;
  port = 0;

  get baseURL(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.answer(req, res));
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.url !== '/v1/embeddings') {
      return send(404, { error: { message: `Unknown request URL: ${req.url}`, type: 'invalid_request_error' } });
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      model: string;
      input: string | string[];
      encoding_format?: string;
    };
    const inputs = typeof body.input === 'string' ? [body.input] : body.input;
    this.requests.push(inputs.length);
    const data = inputs.map((text, index) => {
      const vector = hashedWords(text);
      const embedding =
        body.encoding_format === 'base64' ? Buffer.from(vector.buffer).toString('base64') : Array.from(vector);
      return { object: 'embedding', index, embedding };
    });
    send(200, { object: 'list', data, model: body.model, usage: { prompt_tokens: 0, total_tokens: 0 } });
  }
}

function hashedWords(text: string): Float32Array {
  const vector = new Float32Array(64);
  for (const [word] of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    let hash = 0x811c9dc5;
    for (let i = 0; i < word.length; i++) hash = Math.imul(hash ^ word.charCodeAt(i), 0x01000193);
    vector[(hash >>> 0) % 64]! += hash < 0 ? -1 : 1;
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((v) => v / norm);
}

// The emoji before the quoted text make code point offsets differ from UTF-16 ones.
const GUIDE_MD = `# Deployment guide

🚀🚀 Every service is deployed with rolling updates: two replicas at least, one drained at a time.

## Rolling back

To roll back a deployment, redeploy the previous image tag; the canary watches the error budget for ten minutes.
`;

const POLICY_HTML = `<!doctype html>
<html><head><title>Expense policy</title></head>
<body>
<nav><a href="/">Home</a> | <a href="/jobs">Careers</a></nav>
<article>
<h1>Expense policy</h1>
<p>Travel expenses above 500 euros need a manager's approval before anything is booked.</p>
<p>Receipts are scanned and attached to the expense report within thirty days of the trip.</p>
<p>Meals with customers are reimbursed up to 80 euros a person, drinks included.</p>
</article>
<footer>© Example Corp — all rights reserved</footer>
</body></html>`;

const RUNBOOK_LINES = [
  'Incident response runbook',
  'When an alert fires, page the on-call engineer and open an incident channel.',
  'Severity one incidents get a status page update every thirty minutes.',
  'After recovery, write a blameless postmortem within five working days.',
];

async function runbookPdf(): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  pdf.setTitle('Incident response runbook');
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  const page = pdf.addPage([612, 792]);
  RUNBOOK_LINES.forEach((line, i) => page.drawText(line, { x: 50, y: 740 - i * 24, size: 11, font }));
  return pdf.save();
}

/** By code points, as citations count. */
const slice = (text: string, start: number, end: number) => [...text].slice(start, end).join('');

let t: TestStack;
let caller: GatewayCaller;
let embeddings: HashedWordsEmbeddingsServer;
/** Clients of the gateway as it runs now (a restart moves it to another port). */
let gatewayAddr: string;
const clients: AosClient[] = [];
const clientOf = (key: string): AosClient => {
  const c = createAosClient({ address: gatewayAddr, apiKey: key });
  clients.push(c);
  return c;
};
let admin: AosClient;

let kb: KnowledgeBase;
let secret: KnowledgeBase;
let reader: KeyHolder;
let roleless: KeyHolder;
let tenantB: { tenantId: string; key: string; kb: KnowledgeBase };
const B_MARKER = 'glacierwombat';
const SECRET_MARKER = 'saltmarshheron';

const QUERIES = [
  'how do I roll back a deployment',
  'manager approval for travel expenses',
  'page the on-call engineer when an alert fires',
  'postmortem after recovery',
];

beforeAll(async () => {
  embeddings = new HashedWordsEmbeddingsServer();
  await embeddings.start();
  t = await startTestStack({
    output: 'capture',
    env: { AOS_EMBEDDINGS_MODEL: 'hashed-words-64', AOS_OPENAI_BASE_URL: embeddings.baseURL, AOS_ROUTER: 'lexical' },
  });
  gatewayAddr = t.gatewayAddr;
  caller = new GatewayCaller(t.gatewayAddr);
  admin = clientOf(t.apiKey);
  kb = await admin.knowledge.createKnowledgeBase({
    knowledgeBase: { name: unique('handbook'), description: 'How we work' },
    requestId: rid(),
  });
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.close();
  caller?.close();
  await t?.stop();
  await embeddings?.stop();
});

function add(
  client: AosClient,
  request: Partial<Parameters<AosClient['knowledge']['addDocument']>[0]>,
): Promise<Document> {
  return client.knowledge.addDocument({ knowledgeBaseId: kb.id, requestId: rid(), ...request });
}

/** The result's snippet and chunk quote the document's text at their offsets (fetched with GetDocument). */
async function expectQuoted(client: AosClient, result: SearchResult): Promise<void> {
  const { knowledgeBaseId, documentId, documentVersion, startOffset, endOffset } = result.citation!;
  const doc = await client.knowledge.getDocument({
    knowledgeBaseId,
    documentId,
    version: documentVersion,
    includeText: true,
  });
  expect(slice(doc.text, result.snippetStartOffset, result.snippetEndOffset)).toBe(result.snippet);
  expect(slice(doc.text, startOffset, endOffset)).toContain(result.snippet);
  expect(result.snippet.length).toBeGreaterThan(0);
}

async function searchAll(client: AosClient, mode?: SearchRequest['mode']): Promise<SearchResponse[]> {
  const answers: SearchResponse[] = [];
  for (const query of QUERIES)
    answers.push(await client.knowledge.search({ query, topK: 10, ...(mode ? { mode } : {}) }));
  return answers;
}

describe('KnowledgeService end to end', () => {
  it('adds a Markdown, an HTML and a PDF document, each extracted with its title', async () => {
    const md = await add(admin, {
      documentId: 'guide.md',
      contentType: 'text/markdown',
      content: Buffer.from(GUIDE_MD),
    });
    const html = await add(admin, {
      documentId: 'expenses.html',
      contentType: 'text/html; charset=utf-8',
      content: Buffer.from(POLICY_HTML),
      metadata: { team: 'finance' },
    });
    const pdf = await add(admin, {
      documentId: 'runbook.pdf',
      contentType: 'application/pdf',
      content: await runbookPdf(),
    });
    expect([md.title, html.title, pdf.title]).toEqual([
      'Deployment guide',
      'Expense policy',
      'Incident response runbook',
    ]);
    expect([md.contentType, html.contentType, pdf.contentType]).toEqual([
      'text/markdown',
      'text/html',
      'application/pdf',
    ]);
    for (const doc of [md, html, pdf]) {
      expect(doc).toMatchObject({ version: 1, state: 'DOCUMENT_ACTIVE', embeddingsModel: 'hashed-words-64' });
      expect(doc.chunkCount).toBeGreaterThan(0);
    }
    const htmlText = (
      await admin.knowledge.getDocument({ knowledgeBaseId: kb.id, documentId: 'expenses.html', includeText: true })
    ).text;
    // Readability keeps the article, not the navigation or the footer.
    expect(htmlText).toContain("need a manager's approval");
    expect(htmlText).not.toContain('Careers');
    const listed = await admin.knowledge.listDocuments({ knowledgeBaseId: kb.id });
    expect(listed.documents.map((d) => d.id)).toEqual(['guide.md', 'expenses.html', 'runbook.pdf']);
    const got = await admin.knowledge.getKnowledgeBase({ id: kb.id });
    expect([got.documentCount, got.chunkCount]).toEqual([3, md.chunkCount + html.chunkCount + pdf.chunkCount]);
  });

  it('searches hybrid, with citations whose code point offsets quote the text', async () => {
    const expected = ['guide.md', 'expenses.html', 'runbook.pdf', 'runbook.pdf'];
    const answers = await searchAll(admin);
    for (const [i, answer] of answers.entries()) {
      expect(answer.mode).toBe('HYBRID');
      const top = answer.results[0]!;
      expect(top.citation).toMatchObject({ knowledgeBaseId: kb.id, documentId: expected[i], documentVersion: 1 });
      expect(top.denseRank).toBeGreaterThan(0);
      expect(top.score).toBeGreaterThan(0);
      await expectQuoted(admin, top);
    }
    // The emoji: offsets counted in UTF-16 would be two off here.
    const guide = answers[0]!.results[0]!;
    expect(guide.snippet).toMatch(/roll back/);
    const filtered = await admin.knowledge.search({ query: 'approval', metadataFilter: { team: 'finance' } });
    expect(new Set(filtered.results.map((r) => r.citation!.documentId))).toEqual(new Set(['expenses.html']));
  });

  it('cites a new version and no longer the old one; removed, a document is gone from the results', async () => {
    const v2 = await add(admin, {
      documentId: 'guide.md',
      contentType: 'text/markdown',
      content: Buffer.from(GUIDE_MD.replace('ten minutes', 'fifteen minutes and halts on a burn rate alarm')),
      expectedVersion: 1,
    });
    expect(v2.version).toBe(2);
    const found = await admin.knowledge.search({ query: 'roll back a deployment canary burn rate alarm', topK: 20 });
    const guide = found.results.filter((r) => r.citation!.documentId === 'guide.md');
    expect(guide.length).toBeGreaterThan(0);
    expect(guide.every((r) => r.citation!.documentVersion === 2)).toBe(true);
    await expectQuoted(admin, guide[0]!);
    expect(guide.some((r) => r.snippet.includes('burn rate'))).toBe(true);

    const stale = await statusOf(
      add(admin, { documentId: 'guide.md', contentType: 'text/plain', content: Buffer.from('x'), expectedVersion: 1 }),
    );
    expect([stale.code, stale.details]).toEqual(['ABORTED', expect.stringContaining('expected_version')]);

    // A scratch document: added, found, removed, gone.
    await add(admin, {
      documentId: 'scratch.txt',
      contentType: 'text/plain',
      content: Buffer.from('Scratch notes about quokkas.'),
    });
    const quokkas = { query: 'quokkas', mode: 'LEXICAL' as SearchRequest['mode'] };
    expect((await admin.knowledge.search(quokkas)).results.map((r) => r.citation!.documentId)).toEqual(['scratch.txt']);
    const removed = await admin.knowledge.removeDocument({
      knowledgeBaseId: kb.id,
      documentId: 'scratch.txt',
      requestId: rid(),
    });
    expect(removed.state).toBe('DOCUMENT_REMOVED');
    expect((await admin.knowledge.search(quokkas)).results).toEqual([]);
    const hybrid = await admin.knowledge.search({ query: 'quokkas', topK: 50 });
    expect(hybrid.results.filter((r) => r.citation!.documentId === 'scratch.txt')).toEqual([]);
    expect((await admin.knowledge.listDocuments({ knowledgeBaseId: kb.id })).documents.map((d) => d.id)).not.toContain(
      'scratch.txt',
    );
  });

  it('answers AddDocument retried with the same request_id with the same reply, recorded once', async () => {
    const requestId = rid();
    const request = {
      documentId: 'faq.md',
      contentType: 'text/markdown',
      content: Buffer.from('# FAQ\n\nThe VPN needs a hardware key.\n'),
      requestId,
    };
    const first = await add(admin, request);
    const second = await add(admin, request);
    expect(second).toEqual(first);
    const events = await admin.audit.listEvents({
      stream: `kb-${kb.id}`,
      eventTypes: ['DocumentAdded'],
      minPosition: first.logPosition,
    });
    expect(events.events.filter((e) => e.metadata?.requestId === requestId)).toHaveLength(1);
  });

  it('filters by permission inside the search: a denied knowledge base is refused by name and never cited', async () => {
    secret = await admin.knowledge.createKnowledgeBase({ knowledgeBase: { name: unique('secret') }, requestId: rid() });
    await admin.knowledge.addDocument({
      knowledgeBaseId: secret.id,
      documentId: 'plans.md',
      contentType: 'text/markdown',
      content: Buffer.from(`# Plans\n\nThe ${SECRET_MARKER} acquisition closes next quarter; roll back nothing.\n`),
      requestId: rid(),
    });
    [reader, roleless] = await Promise.all([
      principalWithKey(caller, t.apiKey, { role: 'viewer' }),
      principalWithKey(caller, t.apiKey),
    ]);
    const rule = await admin.governance.addPolicyRule({
      rule: {
        subject: reader.principal.subject,
        action: 'knowledge.read',
        resource: `kb/${secret.id}`,
        effect: 'DENY' as never,
      },
      requestId: rid(),
    });
    const asReader = clientOf(reader.key);

    const named = await statusOf(
      asReader.knowledge.search({ query: SECRET_MARKER, knowledgeBaseIds: [secret.id], minPosition: rule.logPosition }),
    );
    expect(named.code).toBe('PERMISSION_DENIED');
    expect(named.details).toContain(secret.id);
    const mixed = await statusOf(
      asReader.knowledge.search({ query: SECRET_MARKER, knowledgeBaseIds: [kb.id, secret.id] }),
    );
    expect([mixed.code, mixed.details.includes(secret.id)]).toEqual(['PERMISSION_DENIED', true]);

    const unscoped = await asReader.knowledge.search({ query: `${SECRET_MARKER} acquisition roll back`, topK: 50 });
    expect(unscoped.knowledgeBaseIds).not.toContain(secret.id);
    expect(unscoped.knowledgeBaseIds).toContain(kb.id);
    expect(unscoped.results.length).toBeGreaterThan(0);
    expect(unscoped.results.filter((r) => r.citation!.knowledgeBaseId === secret.id)).toEqual([]);
    // The admin sees it, so the query does find it.
    const asAdmin = await admin.knowledge.search({ query: `${SECRET_MARKER} acquisition`, topK: 50 });
    expect(asAdmin.results[0]!.citation!.knowledgeBaseId).toBe(secret.id);

    const listed = await asReader.knowledge.listKnowledgeBases({});
    expect(listed.knowledgeBases.map((k) => k.id)).toContain(kb.id);
    expect(listed.knowledgeBases.map((k) => k.id)).not.toContain(secret.id);
    expect(
      (await statusOf(asReader.knowledge.getDocument({ knowledgeBaseId: secret.id, documentId: 'plans.md' }))).code,
    ).toBe('PERMISSION_DENIED');

    // No role with knowledge.read: refused at the gateway.
    const asRoleless = clientOf(roleless.key);
    expect((await statusOf(asRoleless.knowledge.search({ query: 'roll back' }))).code).toBe('PERMISSION_DENIED');

    // A rule granting one knowledge base lets its holder search it by name (checked on kb/<id>, not on the tenant).
    const grant = await admin.governance.addPolicyRule({
      rule: {
        subject: roleless.principal.subject,
        action: 'knowledge.read',
        resource: `kb/${kb.id}`,
        effect: 'ALLOW' as never,
      },
      requestId: rid(),
    });
    const granted = await asRoleless.knowledge.search({
      query: 'roll back',
      knowledgeBaseIds: [kb.id.toUpperCase()],
      minPosition: grant.logPosition,
    });
    expect(granted.knowledgeBaseIds).toEqual([kb.id]);
    expect(granted.results.length).toBeGreaterThan(0);
    const other = await statusOf(
      asRoleless.knowledge.search({ query: 'roll back', knowledgeBaseIds: [kb.id, secret.id] }),
    );
    expect([other.code, other.details.includes(`kb/${secret.id}`)]).toEqual(['PERMISSION_DENIED', true]);
  });

  it("keeps tenants apart: tenant B's chunks are never found by tenant A, its documents NOT_FOUND, its events not in A's audit", async () => {
    const created = await admin.governance.createTenant({
      tenant: { id: unique('tenant-b'), displayName: 'B' },
      requestId: rid(),
    });
    const bKey = created.adminApiKeySecret;
    const asB = clientOf(bKey);
    const bKb = await asB.knowledge.createKnowledgeBase({ knowledgeBase: { name: kb.name }, requestId: rid() });
    await asB.knowledge.addDocument({
      knowledgeBaseId: bKb.id,
      documentId: 'guide.md',
      contentType: 'text/markdown',
      content: Buffer.from(`# B's guide\n\nThe ${B_MARKER} rollback procedure of tenant B.\n`),
      requestId: rid(),
    });
    tenantB = { tenantId: created.tenant!.id, key: bKey, kb: bKb };
    expect((await asB.knowledge.search({ query: B_MARKER })).results[0]!.citation!.knowledgeBaseId).toBe(bKb.id);

    const fromA = await admin.knowledge.search({ query: `${B_MARKER} rollback procedure`, topK: 50 });
    expect(fromA.results.filter((r) => r.citation!.knowledgeBaseId === bKb.id)).toEqual([]);
    expect(fromA.knowledgeBaseIds).not.toContain(bKb.id);
    expect(
      (await statusOf(admin.knowledge.getDocument({ knowledgeBaseId: bKb.id, documentId: 'guide.md' }))).code,
    ).toBe('NOT_FOUND');
    expect((await statusOf(admin.knowledge.getKnowledgeBase({ id: bKb.id }))).code).toBe('NOT_FOUND');
    expect((await statusOf(admin.knowledge.search({ query: B_MARKER, knowledgeBaseIds: [bKb.id] }))).code).toBe(
      'NOT_FOUND',
    );

    const aEvents: string[] = [];
    for (let pageToken = '', first = true; first || pageToken !== ''; first = false) {
      const page = await admin.audit.listEvents({ pageSize: 1000, pageToken });
      for (const e of page.events) aEvents.push(`${e.stream} ${e.dataJson}`);
      pageToken = page.nextPageToken;
    }
    expect(aEvents.some((e) => e.startsWith(`kb-${kb.id} `))).toBe(true);
    expect(aEvents.filter((e) => e.includes(bKb.id) || e.includes(B_MARKER))).toEqual([]);
    // A's knowledge events are in A's audit trail, blob parts summarised (no base64).
    const parts = aEvents.filter((e) => e.startsWith('kb-blob_'));
    expect(parts.length).toBeGreaterThan(0);
    expect(parts.every((e) => !e.includes('"data"') && e.includes('"dataBytes"'))).toBe(true);
  });

  it.each([
    ['content', { contentType: 'text/plain', content: Buffer.alloc(512 * 1024 + 1, 0x61) }],
    ['content', { contentType: 'text/plain', content: Buffer.alloc(0) }],

    ['content_type', { contentType: 'application/vnd.ms-excel', content: Buffer.from('a,b') }],
    ['document_id', { documentId: 'no/slashes', contentType: 'text/plain', content: Buffer.from('x') }],
  ])('AddDocument with a bad %s is INVALID_ARGUMENT naming it', async (field, request) => {
    const err = await statusOf(add(admin, request));
    expect([err.code, err.details.split(':')[0]]).toEqual(['INVALID_ARGUMENT', field]);
  });

  it('AddDocument of a document under 512 KiB whose text is over 640 KiB is INVALID_ARGUMENT content, saying so', async () => {
    // 508 KiB as sent (UTF-16 with its byte-order mark), 762 KiB of text once UTF-8 (CJK: 2 bytes become 3).
    const content = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('知識'.repeat(127 * 1024), 'utf16le')]);
    expect(content.length).toBeLessThan(512 * 1024);
    const err = await statusOf(add(admin, { contentType: 'text/plain', content }));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.details).toMatch(/^content: extracts to 762 KiB of text; at most 640 KiB/);
  });

  it.each([
    ['query', { query: '' }],
    ['top_k', { query: 'roll back', topK: 51 }],
  ])('Search with a bad %s is INVALID_ARGUMENT naming it', async (field, request) => {
    const err = await statusOf(admin.knowledge.search(request));
    expect([err.code, err.details.split(':')[0]]).toEqual(['INVALID_ARGUMENT', field]);
  });

  it('gives the same answers after every service restarts with the embeddings server stopped (vectors from the log)', async () => {
    const LEXICAL = 'LEXICAL' as SearchRequest['mode'];
    const lexicalBefore = await searchAll(admin, LEXICAL);
    const hybridBefore = await searchAll(admin);
    const readerQuery = { query: `${SECRET_MARKER} acquisition roll back`, topK: 50, mode: LEXICAL };
    const readerBefore = await clientOf(reader.key).knowledge.search(readerQuery);
    const bBefore = await clientOf(tenantB.key).knowledge.search({ query: B_MARKER, mode: LEXICAL });

    await embeddings.stop();
    const { gateway, lifecycle: backends } = t.stack.services;
    await gateway.stop();
    await backends.stop();
    await backends.start();
    const ready = await gateway.start();
    gatewayAddr = String(ready.details?.address);
    admin = clientOf(t.apiKey);

    expect(await searchAll(admin, LEXICAL)).toEqual(lexicalBefore);
    // No model server: the default (hybrid) search falls back to lexical, and says so in the log.
    const fallback = await searchAll(admin);
    expect(fallback.map((a) => a.mode)).toEqual(QUERIES.map(() => 'LEXICAL'));
    expect(fallback).toEqual(lexicalBefore);
    expect(t.capturedOutput()).toMatch(/the embeddings server failed .*searching lexically instead of hybrid/);
    expect(await clientOf(reader.key).knowledge.search(readerQuery)).toEqual(readerBefore);
    expect(await clientOf(tenantB.key).knowledge.search({ query: B_MARKER, mode: LEXICAL })).toEqual(bBefore);

    // The server back on its port: queries are embedded, the documents' vectors are the ones in the log.
    const askedBefore = embeddings.requests.length;
    await embeddings.start();
    expect(await searchAll(admin)).toEqual(hybridBefore);
    expect(embeddings.requests.slice(askedBefore)).toEqual(QUERIES.map(() => 1));
  });
});
