import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blobStreamId,
  BLOB_PART_BYTES,
  KNOWLEDGE_CATEGORY,
  ResourcesSubjects,
  type Document,
  type KnowledgeBase,
  type SearchResponse,
  type Subject,
} from '@aos/contracts';
import { loadConfig } from '@aos/config';
import { AosError, type ErrorCode } from '@aos/errors';
import { createEventStore, type EventStore, type RecordedEvent } from '@aos/event-store';
import { ServiceClient, type RequestContext } from '@aos/messaging';
import { startNatsServer, type NatsServerHandle } from '@aos/testing';
import { startResources, type ResourcesService } from '../src/bootstrap';
import {
  startNgramEmbeddingsServer,
  type NgramEmbeddingsServer,
} from '../../../libs/retrieval/test/ngram-embeddings-server';

/**
 * The resources service's knowledge bases against a real nats-server, the
 * real JetStream event store and a local OpenAI-compatible embeddings server
 * (the retrieval library's test server: feature-hashed word and character
 * 3-gram vectors, deterministic, not a learned model). What the log holds is
 * read back from the log itself. Searches here are an agent's (the runtime's
 * calls, which name their knowledge bases); people's permissions are the
 * gateway end-to-end test's.
 */
let nats: NatsServerHandle;
let embeddings: NgramEmbeddingsServer;
let service: ResourcesService;
let store: EventStore;
let client: ServiceClient;

const acme = ctxOf('acme', 'user');
const acmeAgent = ctxOf('acme', 'agent');
const globexAgent = ctxOf('globex', 'agent');

const config = (extra: Record<string, string> = {}) =>
  loadConfig({ AOS_NATS_URL: nats.url, AOS_LOG_LEVEL: 'error', ...extra });

beforeAll(async () => {
  nats = await startNatsServer();
  embeddings = await startNgramEmbeddingsServer();
  service = await startResources(
    config({ AOS_EMBEDDINGS_MODEL: 'test-ngrams', AOS_OPENAI_BASE_URL: embeddings.baseURL }),
    { shutdownHooks: false },
  );
  store = await createEventStore({ kind: 'jetstream', natsUrl: nats.url });
  client = new ServiceClient(nats.url);
  await client.connect();
});

afterAll(async () => {
  await client?.close();
  await service?.close();
  await store?.close();
  await embeddings?.stop();
  await nats?.stop();
});

function ctxOf(tenantId: string, kind: 'user' | 'agent'): RequestContext {
  return { tenantId, actor: { kind, id: `${kind}-of-${tenantId}` }, correlationId: randomUUID() };
}

/** Sends any body (also a malformed one, on purpose) on a subject; the reply as the test expects it. */
function call<T, B = unknown>(subject: Subject<B, unknown>, ctx: RequestContext, body: unknown): Promise<T> {
  return client.request(subject, ctx, body as B) as Promise<unknown> as Promise<T>;
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode, field?: string): Promise<AosError> {
  const err = await promise.then(
    () => {
      throw new Error(`expected ${code}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AosError);
  expect((err as AosError).code, (err as AosError).message).toBe(code);
  if (field) expect((err as AosError).field, (err as AosError).message).toBe(field);
  return err as AosError;
}

async function kbEvents(filter: (e: RecordedEvent) => boolean = () => true): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const e of store.readAll({ filter: { category: KNOWLEDGE_CATEGORY } })) if (filter(e)) events.push(e);
  return events;
}

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');

function createKb(ctx: RequestContext, name = `kb-${randomUUID().slice(0, 8)}`): Promise<KnowledgeBase> {
  return call<KnowledgeBase>(ResourcesSubjects.createKnowledgeBase, ctx, {
    knowledgeBase: { name, description: 'test' },
    requestId: randomUUID(),
  });
}

function addDocument(ctx: RequestContext, body: Record<string, unknown>): Promise<Document> {
  return call<Document>(ResourcesSubjects.addDocument, ctx, {
    contentType: 'text/markdown',
    requestId: randomUUID(),
    ...body,
    ...(typeof body.content === 'string' ? { content: b64(body.content) } : {}),
  });
}

function search(ctx: RequestContext, body: Record<string, unknown>): Promise<SearchResponse> {
  return call<SearchResponse>(ResourcesSubjects.search, ctx, body);
}

async function documentText(ctx: RequestContext, kbId: string, documentId: string, version = 0): Promise<string> {
  const doc = await call<Document>(ResourcesSubjects.getDocument, ctx, {
    knowledgeBaseId: kbId,
    documentId,
    version,
    includeText: true,
  });
  return doc.text;
}

/** Code point slice, as the API counts offsets. */
const slice = (text: string, start: number, end: number) => [...text].slice(start, end).join('');

const GUIDE = `# Deployment guide

Every service is deployed with 🚀 rolling updates: two replicas at least, one drained at a time.

## Rollback

To roll back, redeploy the previous image tag; the canary watches the error budget for ten minutes.
`;

describe('AddDocument and Search', () => {
  let kb: KnowledgeBase;
  let guide: Document;
  const guideRequest = randomUUID();

  beforeAll(async () => {
    kb = await createKb(acme);
    guide = await addDocument(acme, {
      knowledgeBaseId: kb.id,
      documentId: 'guide.md',
      content: GUIDE,
      requestId: guideRequest,
    });
  });

  it('records the document: version 1, its title from the Markdown, chunks embedded with the configured model', async () => {
    expect(guide).toMatchObject({
      knowledgeBaseId: kb.id,
      id: 'guide.md',
      version: 1,
      title: 'Deployment guide',
      contentType: 'text/markdown',
      sizeBytes: Buffer.byteLength(GUIDE),
      sha256: sha256(GUIDE),
      state: 'DOCUMENT_ACTIVE',
      embeddingsModel: 'test-ngrams',
      createdBy: 'user-of-acme',
    });
    expect(guide.chunkCount).toBeGreaterThan(0);
    const text = await documentText(acme, kb.id, 'guide.md');
    expect(guide.textLength).toBe([...text].length);
    expect(text).toContain('🚀 rolling updates');
  });

  it('cites the quoted text: code point offsets into GetDocument(include_text) give the chunk and the snippet', async () => {
    const found = await search(acmeAgent, { query: 'how do I roll back a deployment', knowledgeBaseIds: [kb.id] });
    expect(found.mode).toBe('HYBRID');
    expect(found.knowledgeBaseIds).toEqual([kb.id]);
    const [top] = found.results;
    expect(top?.citation).toMatchObject({ knowledgeBaseId: kb.id, documentId: 'guide.md', documentVersion: 1 });
    expect(top!.denseRank).toBeGreaterThan(0);
    expect(top!.lexicalRank).toBeGreaterThan(0);
    const text = await documentText(acme, kb.id, 'guide.md');
    const { startOffset, endOffset } = top!.citation!;
    expect(slice(text, top!.snippetStartOffset, top!.snippetEndOffset)).toBe(top!.snippet);
    expect(slice(text, startOffset, endOffset)).toContain(top!.snippet);
    expect(top!.snippet).toMatch(/roll back/);
  });

  it('answers AddDocument retried with the same request_id from the log: same reply, one DocumentAdded, nothing embedded again', async () => {
    const embedded = embeddings.requests.length;
    const again = await addDocument(acme, {
      knowledgeBaseId: kb.id,
      documentId: 'guide.md',
      content: GUIDE,
      requestId: guideRequest,
    });
    expect(again).toEqual(guide);
    expect(embeddings.requests.length).toBe(embedded);
    const added = await kbEvents((e) => e.type === 'DocumentAdded' && e.metadata.requestId === guideRequest);
    expect(added).toHaveLength(1);
    // The same request_id for another document is not a retry.
    await expectCode(
      addDocument(acme, { knowledgeBaseId: kb.id, documentId: 'other.md', content: GUIDE, requestId: guideRequest }),
      'INVALID_ARGUMENT',
      'request_id',
    );
  });

  it('writes a blob once: the same bytes in another document, and two documents of the same bytes at once, reuse it', async () => {
    const same = await addDocument(acme, { knowledgeBaseId: kb.id, documentId: 'guide-copy.md', content: GUIDE });
    expect(same.sha256).toBe(guide.sha256);
    const parallelText = `Parallel uploads ${randomUUID()} share one blob.\n`;
    const both = await Promise.all(
      ['p1', 'p2'].map((id) => addDocument(acme, { knowledgeBaseId: kb.id, documentId: id, content: parallelText })),
    );
    expect(both.map((d) => d.version)).toEqual([1, 1]);
    for (const bytes of [GUIDE, parallelText]) {
      const parts = await store.readStream({
        tenantId: 'acme',
        category: KNOWLEDGE_CATEGORY,
        id: blobStreamId(sha256(bytes)),
      });
      expect(parts.map((e) => e.type)).toEqual(['BlobPartStored']);
    }
  });

  it('adds a new version that replaces the old one in search results; removing it takes it out', async () => {
    const v2 = await addDocument(acme, {
      knowledgeBaseId: kb.id,
      documentId: 'guide.md',
      content: GUIDE.replace('ten minutes', 'fifteen minutes with an automatic halt'),
      expectedVersion: 1,
    });
    expect(v2.version).toBe(2);
    const found = await search(acmeAgent, { query: 'automatic halt canary', knowledgeBaseIds: [kb.id], topK: 50 });
    const cited = found.results.filter((r) => r.citation!.documentId === 'guide.md');
    expect(cited.length).toBeGreaterThan(0);
    expect(cited.every((r) => r.citation!.documentVersion === 2)).toBe(true);
    // Version 1 is still readable, by number.
    expect(await documentText(acme, kb.id, 'guide.md', 1)).toContain('ten minutes');
    await expectCode(
      addDocument(acme, { knowledgeBaseId: kb.id, documentId: 'guide.md', content: GUIDE, expectedVersion: 1 }),
      'ABORTED',
      'expected_version',
    );

    const removed = await call<Document>(ResourcesSubjects.removeDocument, acme, {
      knowledgeBaseId: kb.id,
      documentId: 'guide.md',
      requestId: randomUUID(),
    });
    expect([removed.state, removed.version]).toEqual(['DOCUMENT_REMOVED', 2]);
    const after = await search(acmeAgent, { query: 'automatic halt canary', knowledgeBaseIds: [kb.id], topK: 50 });
    expect(after.results.filter((r) => r.citation!.documentId === 'guide.md')).toEqual([]);
    await expectCode(
      call(ResourcesSubjects.removeDocument, acme, {
        knowledgeBaseId: kb.id,
        documentId: 'guide.md',
        requestId: randomUUID(),
      }),
      'FAILED_PRECONDITION',
    );
  });

  it("an agent's search covers the knowledge bases it names that exist; NOT_FOUND only when none does", async () => {
    const missing = randomUUID();
    const found = await search(acmeAgent, { query: 'roll back', knowledgeBaseIds: [missing, kb.id] });
    expect(found.knowledgeBaseIds).toEqual([kb.id]);
    expect(found.results.length).toBeGreaterThan(0);
    await expectCode(search(acmeAgent, { query: 'roll back', knowledgeBaseIds: [missing] }), 'NOT_FOUND');
  });

  it("keeps tenants apart: another tenant's knowledge base is NOT_FOUND, in a search too", async () => {
    await expectCode(call(ResourcesSubjects.getKnowledgeBase, globexAgent, { id: kb.id }), 'NOT_FOUND');
    await expectCode(search(globexAgent, { query: 'roll back', knowledgeBaseIds: [kb.id] }), 'NOT_FOUND');
    await expectCode(
      call(ResourcesSubjects.getDocument, globexAgent, { knowledgeBaseId: kb.id, documentId: 'guide-copy.md' }),
      'NOT_FOUND',
    );
  });

  it('records nothing when the embeddings server fails, and the retry with the same request_id succeeds', async () => {
    const content = `Failure drill ${randomUUID()}: nothing half-written.\n`;
    const requestId = randomUUID();
    const before = await kbEvents();
    // Not retried by the client (a 5xx would be, once): the request fails.
    embeddings.failNext(404, 'The model `test-ngrams` does not exist');
    await expectCode(
      addDocument(acme, { knowledgeBaseId: kb.id, documentId: 'drill', content, requestId }),
      'UNAVAILABLE',
    );
    expect((await kbEvents()).length).toBe(before.length);
    const retried = await addDocument(acme, { knowledgeBaseId: kb.id, documentId: 'drill', content, requestId });
    expect(retried.version).toBe(1);
  });
});

describe('the projection checks blobs and rebuilds from the log alone', () => {
  let kb: KnowledgeBase;
  const marker = `zebrafinch${randomUUID().slice(0, 6)}`;

  beforeAll(async () => {
    kb = await createKb(acme);
    for (let i = 0; i < 6; i++) {
      await addDocument(acme, {
        knowledgeBaseId: kb.id,
        documentId: `note-${i}`,
        content: `# Note ${i}\n\nThe ${marker} topic number ${i} is about ${['queues', 'leases', 'budgets', 'tools', 'agents', 'policies'][i]}.\n`,
      });
    }
  });

  it('never indexes a document whose text blob does not join to its hash, and goes on', async () => {
    const text = `The forged ${marker} text claims falsehoods.`;
    const textSha = sha256(text);
    const tenantId = 'acme';
    // A blob stream named by the hash of `text`, holding other bytes of the same length (they would be
    // found by the query if indexed); then a DocumentAdded naming it.
    const forged = Buffer.from(text.replace('falsehoods', 'truthfulxx'));
    const metadata = {
      tenantId,
      actor: { kind: 'user' as const, id: 'forger' },
      correlationId: 'c',
      causationId: 'c',
      requestId: randomUUID(),
      schemaVersion: 1,
    };
    await store.append({ tenantId, category: KNOWLEDGE_CATEGORY, id: blobStreamId(textSha) }, [
      {
        id: randomUUID(),
        type: 'BlobPartStored',
        data: {
          sha256: textSha,
          kind: 'text',
          part: 0,
          parts: 1,
          totalBytes: forged.length,
          data: forged.toString('base64'),
        },
        metadata,
      },
    ]);
    const head = await call<KnowledgeBase>(ResourcesSubjects.getKnowledgeBase, acme, { id: kb.id });
    const appended = await store.append(
      { tenantId, category: KNOWLEDGE_CATEGORY, id: kb.id },
      [
        {
          id: randomUUID(),
          type: 'DocumentAdded',
          data: {
            knowledgeBaseId: kb.id,
            documentId: 'forged',
            version: 1,
            title: 'Forged',
            contentType: 'text/plain',
            sizeBytes: text.length,
            sha256: textSha,
            textSha256: textSha,
            textLength: text.length,
            chunks: [{ start: 0, end: text.length }],
            metadata: {},
            embeddings: null,
            addedBy: 'forger',
          },
          metadata,
        },
      ],
      { expectedRevision: head.revision },
    );
    const found = await search(acmeAgent, {
      query: `forged ${marker} falsehoods`,
      knowledgeBaseIds: [kb.id],
      topK: 50,
      minPosition: appended.position,
    });
    expect(found.results.map((r) => r.citation!.documentId)).not.toContain('forged');
    // Recorded, so listed (the log says it was added), but never searchable.
    const forgedDoc = await call<Document>(ResourcesSubjects.getDocument, acme, {
      knowledgeBaseId: kb.id,
      documentId: 'forged',
    });
    expect(forgedDoc.version).toBe(1);
    const next = await addDocument(acme, {
      knowledgeBaseId: kb.id,
      documentId: 'after-forgery',
      content: `Still ${marker} working.`,
    });
    expect(next.version).toBe(1);
  });

  it('rebuilds the same results from replay with no model server, every blob read back from the log (no cache)', async () => {
    const query = { query: `${marker} leases budgets`, knowledgeBaseIds: [kb.id], topK: 10, mode: 'LEXICAL' };
    const before = await search(acmeAgent, query);
    expect(before.results.length).toBeGreaterThan(2);
    const hybridBefore = await search(acmeAgent, { ...query, mode: 'HYBRID' });
    expect(hybridBefore.results.some((r) => r.denseRank > 0)).toBe(true);

    await service.close();
    await embeddings.stop();
    // The model is still configured, its server gone; a one-byte cache reads every blob back from the log.
    service = await startResources(
      config({ AOS_EMBEDDINGS_MODEL: 'test-ngrams', AOS_OPENAI_BASE_URL: embeddings.baseURL }),
      { shutdownHooks: false, knowledge: { blobCacheBytes: 1 } },
    );
    expect(await search(acmeAgent, query)).toEqual(before);
    const fallback = await search(acmeAgent, { ...query, mode: 'HYBRID' });
    expect(fallback.mode).toBe('LEXICAL');
    expect(fallback.results).toEqual(before.results);

    // A model server again (a new one): the vectors of the documents come from the log; only queries are embedded.
    await service.close();
    embeddings = await startNgramEmbeddingsServer();
    service = await startResources(
      config({ AOS_EMBEDDINGS_MODEL: 'test-ngrams', AOS_OPENAI_BASE_URL: embeddings.baseURL }),
      { shutdownHooks: false },
    );
    const hybridAfter = await search(acmeAgent, { ...query, mode: 'HYBRID' });
    expect(hybridAfter).toEqual(hybridBefore);
    expect(embeddings.requests.map((r) => r.inputs)).toEqual([1]);

    // No embeddings model at all: search is lexical unless asked, and documents are added without vectors.
    await service.close();
    service = await startResources(config(), { shutdownHooks: false });
    const plain = await search(acmeAgent, { ...query, mode: undefined });
    expect(plain.mode).toBe('LEXICAL');
    expect(plain.results).toEqual(before.results);
    const unembedded = await addDocument(acme, { knowledgeBaseId: kb.id, content: `No vectors for ${marker}.` });
    expect([unembedded.embeddingsModel, unembedded.version]).toEqual(['', 1]);
  });
});

describe('bad input is INVALID_ARGUMENT naming the field, and records nothing', () => {
  let kb: KnowledgeBase;
  beforeAll(async () => {
    kb = await createKb(acme);
  });

  it.each([
    ['content', { content: Buffer.alloc(512 * 1024 + 1, 0x61).toString('base64') }],
    ['content', { content: '' }],
    ['content', { content: 'not base64!' }],
    ['content_type', { contentType: 'application/msword' }],
    ['content_type', { contentType: '' }],
    ['document_id', { documentId: 'has a space' }],
    ['document_id', { documentId: 'x'.repeat(129) }],
    ['metadata', { metadata: { team: 'x'.repeat(257) } }],
    ['expected_version', { expectedVersion: -1 }],
    ['knowledge_base_id', { knowledgeBaseId: 'not-a-uuid' }],
  ])('AddDocument: %s', async (field, spoilt) => {
    const before = (await kbEvents()).length;
    await expectCode(
      call(ResourcesSubjects.addDocument, acme, {
        knowledgeBaseId: kb.id,
        contentType: 'text/plain',
        content: b64('some text'),
        requestId: randomUUID(),
        ...spoilt,
      }),
      'INVALID_ARGUMENT',
      field,
    );
    expect((await kbEvents()).length).toBe(before);
  });

  it('a PDF that is not one is INVALID_ARGUMENT naming content', async () => {
    await expectCode(
      addDocument(acme, { knowledgeBaseId: kb.id, contentType: 'application/pdf', content: 'plain words, no PDF' }),
      'INVALID_ARGUMENT',
      'content',
    );
  });

  it.each([
    ['query', { query: '' }],
    ['query', { query: '   ' }],
    ['query', { query: 'q'.repeat(2001) }],
    ['top_k', { topK: 51 }],
    ['top_k', { topK: -1 }],
    ['min_score', { minScore: 2 }],
    ['mode', { mode: 'FUZZY' }],
    ['knowledge_base_ids', { knowledgeBaseIds: ['nope'] }],
  ])('Search: %s', async (field, spoilt) => {
    await expectCode(
      search(acmeAgent, { query: 'rollback', knowledgeBaseIds: [kb.id], ...spoilt }),
      'INVALID_ARGUMENT',
      field,
    );
  });

  it('CreateKnowledgeBase: a bad or taken name', async () => {
    await expectCode(
      call(ResourcesSubjects.createKnowledgeBase, acme, {
        knowledgeBase: { name: 'Bad Name' },
        requestId: randomUUID(),
      }),
      'INVALID_ARGUMENT',
      'knowledge_base.name',
    );
    await expectCode(createKb(acme, kb.name), 'ALREADY_EXISTS', 'knowledge_base.name');
    // Names are per tenant.
    expect((await createKb(globexAgent, kb.name)).name).toBe(kb.name);
  });

  it('an agent names the knowledge bases it searches', async () => {
    await expectCode(search(acmeAgent, { query: 'rollback' }), 'INVALID_ARGUMENT', 'knowledge_base_ids');
  });

  it('splits a blob into parts of BLOB_PART_BYTES', async () => {
    const big = Buffer.alloc(BLOB_PART_BYTES * 2 + 10, 'lorem ipsum dolor sit amet ');
    const doc = await addDocument(acme, {
      knowledgeBaseId: kb.id,
      contentType: 'text/plain',
      content: big.toString('base64'),
    });
    const parts = await store.readStream({
      tenantId: 'acme',
      category: KNOWLEDGE_CATEGORY,
      id: blobStreamId(doc.sha256),
    });
    expect(parts.map((p) => (p.data as { part: number }).part)).toEqual([0, 1, 2]);
  });
});
