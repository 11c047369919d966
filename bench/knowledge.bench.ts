/**
 * Bench (f): knowledge search. 100,000 chunks (AOS_BENCH_CHUNKS) of about
 * 256 tokens, made of sentences sampled from the retrieval test corpus (a
 * fixed seed: the same chunks every run), in 100 knowledge bases of 10-chunk
 * documents. HybridIndex.search() with an allowGroup that allows half of the
 * knowledge bases, lexical and hybrid (256-dimensional vectors, random with a
 * fixed seed: they cost what real ones cost, they mean nothing), beside
 * MiniSearch alone on the same chunks (its own BM25, no filter) in the same run.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import MiniSearch from 'minisearch';
import { KNOWLEDGE_CATEGORY } from '@aos/contracts';
import { createEventStore } from '@aos/event-store';
import type { AosClient } from '@aos/grpc-client';
import { startTestStack } from '@aos/testing';
import { HybridIndex, STOP_WORDS, type SearchOptions } from '../libs/retrieval/src';
import { closedLoop, formatRow, formatTiming, timeSync, type LoadResult, type Timing } from './measure';

const CHUNKS = Number(process.env.AOS_BENCH_CHUNKS ?? 100_000);
const SEARCHES = Number(process.env.AOS_BENCH_SEARCHES ?? 500);
/** MiniSearch takes tens of milliseconds a search at 100k chunks: fewer of them keep the run short. */
const BASELINE_SEARCHES = Number(process.env.AOS_BENCH_BASELINE_SEARCHES ?? 20);
const GROUPS = 100;
const CHUNKS_PER_DOCUMENT = 10;
const DIMENSIONS = 256;
/** About 256 tokens of English prose. */
const CHUNK_CHARS = 1_000;

const CORPUS = join(import.meta.dirname, '../libs/retrieval/test/corpus');

/** xorshift32: a deterministic stream of 32-bit values from a seed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

/** Sentences of the corpus's prose (code blocks and tables left out). */
function corpusSentences(): string[] {
  const sentences: string[] = [];
  for (const name of readdirSync(CORPUS).filter((n) => n.endsWith('.md') && n !== 'SOURCES.md')) {
    const prose = readFileSync(join(CORPUS, name), 'utf8')
      .replace(/```[\s\S]*?```/g, ' ')
      .split('\n')
      .filter((line) => !/^\s*([|<#!]|\[!\[)/.test(line))
      .join(' ');
    for (const sentence of prose.split(/(?<=[.!?])\s+/)) {
      const s = sentence.trim();
      if (s.length >= 30 && s.length <= 400) sentences.push(s);
    }
  }
  return sentences;
}

interface SyntheticChunk {
  key: string;
  group: string;
  documentKey: string;
  text: string;
}

function synthesise(random: () => number, sentences: readonly string[]): SyntheticChunk[] {
  return Array.from({ length: CHUNKS }, (_, i) => {
    const document = Math.floor(i / CHUNKS_PER_DOCUMENT);
    const group = `kb${document % GROUPS}`;
    let text = '';
    while (text.length < CHUNK_CHARS) text += `${sentences[Math.floor(random() * sentences.length)]!} `;
    return {
      key: `${group}/doc${document}/1/${i % CHUNKS_PER_DOCUMENT}`,
      group,
      documentKey: `${group}/doc${document}`,
      text: text.trim(),
    };
  });
}

function randomVector(random: () => number): Float32Array {
  const vector = new Float32Array(DIMENSIONS);
  for (let i = 0; i < DIMENSIONS; i++) vector[i] = random() * 2 - 1;
  return vector;
}

const seconds = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;
const row = (name: string, r: Timing, baseline?: Timing) =>
  formatTiming(name, r, baseline, 3).replace('decisions', 'searches');

/** Search latency at CHUNKS chunks: HybridIndex (lexical, hybrid) beside MiniSearch alone. */
export async function benchKnowledgeSearch(): Promise<void> {
  process.stdout.write(
    `\n(f) knowledge search: ${CHUNKS} chunks of ~${CHUNK_CHARS} characters in ${GROUPS} knowledge bases\n`,
  );
  const random = seeded(20_240_917);
  const chunks = synthesise(random, corpusSentences());
  const questions = (JSON.parse(readFileSync(join(CORPUS, 'questions.json'), 'utf8')) as { question: string }[]).map(
    (q) => q.question,
  );
  const queries = Array.from({ length: SEARCHES }, (_, i) => questions[i % questions.length]!);
  const queryVectors = Array.from({ length: SEARCHES }, () => randomVector(random));

  let start = process.hrtime.bigint();
  const index = new HybridIndex();
  for (const chunk of chunks) index.add({ ...chunk, metadata: {}, vector: randomVector(random) });
  const indexSeconds = seconds(start);
  start = process.hrtime.bigint();
  const library = new MiniSearch<{ id: string; text: string }>({ fields: ['text'] });
  library.addAll(chunks.map((c) => ({ id: c.key, text: c.text })));
  const librarySeconds = seconds(start);
  // The same library given our stop words, so that "how do I …" questions do not make it score
  // nearly every chunk: the fairer baseline for what an inverted index costs.
  const stopped = new MiniSearch<{ id: string; text: string }>({
    fields: ['text'],
    processTerm: (term) => {
      const lower = term.toLowerCase();
      return STOP_WORDS.has(lower) ? null : lower;
    },
  });
  stopped.addAll(chunks.map((c) => ({ id: c.key, text: c.text })));
  process.stdout.write(
    `  indexed: HybridIndex ${indexSeconds.toFixed(1)} s (${(CHUNKS / indexSeconds).toFixed(0)} chunks/s, with vectors), ` +
      `MiniSearch ${librarySeconds.toFixed(1)} s (${(CHUNKS / librarySeconds).toFixed(0)} chunks/s)\n`,
  );

  const half: SearchOptions['allowGroup'] = (group) => Number(group.slice(2)) % 2 === 0;
  const baseline = timeSync(BASELINE_SEARCHES, (i) => library.search(queries[i % SEARCHES]!).slice(0, 10), 3);
  const baselineStopped = timeSync(SEARCHES, (i) => stopped.search(queries[i]!).slice(0, 10), 10);
  const lexical = timeSync(SEARCHES, (i) => index.search(queries[i]!, { topK: 10, allowGroup: half }), 50);
  const lexicalAll = timeSync(SEARCHES, (i) => index.search(queries[i]!, { topK: 10, allowGroup: () => true }), 50);
  const hybrid = timeSync(
    SEARCHES,
    (i) => index.search(queries[i]!, { topK: 10, allowGroup: half, queryVector: queryVectors[i] }),
    50,
  );
  process.stdout.write(`${row('MiniSearch search alone, same chunks, no filter', baseline)}\n`);
  process.stdout.write(`${row('MiniSearch with our stop words, no filter', baselineStopped)}\n`);
  process.stdout.write(`${row('HybridIndex lexical, half the knowledge bases allowed', lexical, baselineStopped)}\n`);
  process.stdout.write(`${row('HybridIndex lexical, all knowledge bases allowed', lexicalAll, baselineStopped)}\n`);
  process.stdout.write(`${row(`HybridIndex hybrid (${DIMENSIONS} dims), half allowed`, hybrid, baselineStopped)}\n`);
}

const INGEST_DOCUMENTS = Number(process.env.AOS_BENCH_INGEST_DOCUMENTS ?? 300);
const INGEST_CONCURRENCY = 8;
const INGEST_WARMUP = 8;
/** About 20 chunks of up to 256 tokens a document. */
const DOCUMENT_CHARS = 16_000;

/** Markdown documents of ~DOCUMENT_CHARS characters of corpus sentences, in paragraphs; each one different. */
function ingestDocuments(count: number): Buffer[] {
  const random = seeded(20_251_204);
  const sentences = corpusSentences();
  return Array.from({ length: count }, (_, d) => {
    let text = `# Document ${d}\n\n`;
    while (text.length < DOCUMENT_CHARS) {
      text += `${sentences[Math.floor(random() * sentences.length)]!}${random() < 0.15 ? '\n\n' : ' '}`;
    }
    return Buffer.from(text.trim());
  });
}

interface IngestRun {
  result: LoadResult;
  chunks: number;
  /** The JSON size of each event each request wrote to the log, by request. */
  messages: number[][];
}

/**
 * Ingestion: AddDocument through the gateway (gRPC; extraction, chunking, the
 * blobs and DocumentAdded in the log, the reply once the projection has
 * indexed it), 8 in flight, no embeddings model: into one knowledge base (one
 * stream: its commits are serialised), and spread over 8. Beside, in the same
 * run: raw JetStream publish of messages of the very sizes those AddDocuments
 * wrote (read back from the log), one document's messages in a row an
 * operation, 8 in flight.
 */
export async function benchKnowledgeIngest(): Promise<void> {
  process.stdout.write(
    `\n(f) knowledge ingestion: ${INGEST_DOCUMENTS} Markdown documents of ~${DOCUMENT_CHARS} characters, ${INGEST_CONCURRENCY} in flight\n`,
  );
  const documents = ingestDocuments(INGEST_WARMUP + INGEST_DOCUMENTS * 2);
  const t = await startTestStack();
  const nc = await connect({ servers: t.natsUrl });
  const store = await createEventStore({ kind: 'jetstream', natsUrl: t.natsUrl });
  try {
    const kbs = await Promise.all(
      Array.from({ length: INGEST_CONCURRENCY }, (_, i) =>
        t.client.knowledge.createKnowledgeBase({ knowledgeBase: { name: `bench-${i}` }, requestId: randomUUID() }),
      ),
    );
    const add = (client: AosClient, kbId: string, document: number, requestId: string) =>
      client.knowledge.addDocument({
        knowledgeBaseId: kbId,
        documentId: `doc-${document}`,
        contentType: 'text/markdown',
        content: documents[document]!,
        requestId,
      });
    for (let d = 0; d < INGEST_WARMUP; d++) await add(t.client, kbs[0]!.id, d, randomUUID());

    const ingest = async (first: number, kbOf: (i: number) => string): Promise<IngestRun> => {
      const requestIds = Array.from({ length: INGEST_DOCUMENTS }, () => randomUUID());
      let chunks = 0;
      const result = await closedLoop(INGEST_CONCURRENCY, INGEST_DOCUMENTS, async (i) => {
        const added = await add(t.client, kbOf(i), first + i, requestIds[i]!);
        chunks += added.chunkCount;
      });
      const wanted = new Map<string, number>(requestIds.map((id, i) => [id, i]));
      const messages = requestIds.map((): number[] => []);
      for await (const e of store.readAll({ filter: { category: KNOWLEDGE_CATEGORY } })) {
        const i = wanted.get(e.metadata.requestId);
        const { id, type, data, metadata } = e;
        if (i !== undefined) messages[i]!.push(Buffer.byteLength(JSON.stringify({ id, type, data, metadata })));
      }
      return { result, chunks, messages };
    };
    const one = await ingest(INGEST_WARMUP, () => kbs[0]!.id);
    const spread = await ingest(INGEST_WARMUP + INGEST_DOCUMENTS, (i) => kbs[i % kbs.length]!.id);

    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'BENCH_KB_RAW', subjects: ['bench.kb.>'] });
    const js = jetstream(nc);
    const payloads = one.messages.map((sizes) => sizes.map((size) => Buffer.alloc(size, 0x61)));
    const raw = await closedLoop(INGEST_CONCURRENCY, INGEST_DOCUMENTS, async (i) => {
      for (const payload of payloads[i]!) await js.publish(`bench.kb.${i}`, payload);
    });
    await jsm.streams.delete('BENCH_KB_RAW');

    const events = one.messages.reduce((n, m) => n + m.length, 0);
    const mib = one.messages.flat().reduce((n, b) => n + b, 0) / 1024 / 1024;
    const perDocument = one.chunks / INGEST_DOCUMENTS;
    process.stdout.write(
      `  one knowledge base: ${events} events (${mib.toFixed(1)} MiB) for ${one.chunks} chunks (${perDocument.toFixed(1)} a document)\n`,
    );
    const docs = (line: string) => line.replace('ops/s', 'docs/s');
    process.stdout.write(`${docs(formatRow('raw JetStream publish, same messages', raw))}\n`);
    process.stdout.write(`${docs(formatRow('AddDocument via gateway, one knowledge base', one.result, raw))}\n`);
    process.stdout.write(`${docs(formatRow('AddDocument via gateway, 8 knowledge bases', spread.result, raw))}\n`);
    const chunksPerSecond = (run: IngestRun) => (run.chunks / run.result.seconds).toFixed(0);
    process.stdout.write(
      `  chunks/s: AddDocument ${chunksPerSecond(one)} (one knowledge base), ${chunksPerSecond(spread)} (8); ` +
        `raw publish of the same messages ${(raw.opsPerSec * perDocument).toFixed(0)}\n`,
    );
  } finally {
    await store.close();
    await nc.close();
    await t.stop();
  }
}

/** `npm run bench knowledge`: search, then ingestion through the service. */
export async function benchKnowledge(): Promise<void> {
  await benchKnowledgeSearch();
  await benchKnowledgeIngest();
}
