/**
 * Bench (f): knowledge search. 100,000 chunks (AOS_BENCH_CHUNKS) of about
 * 256 tokens, made of sentences sampled from the retrieval test corpus (a
 * fixed seed: the same chunks every run), in 100 knowledge bases of 10-chunk
 * documents. HybridIndex.search() with an allowGroup that allows half of the
 * knowledge bases, lexical and hybrid (256-dimensional vectors, random with a
 * fixed seed: they cost what real ones cost, they mean nothing), beside
 * MiniSearch alone on the same chunks (its own BM25, no filter) in the same run.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import MiniSearch from 'minisearch';
import { HybridIndex, type SearchOptions } from '../libs/retrieval/src';
import { formatTiming, timeSync, type Timing } from './measure';

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
  process.stdout.write(
    `  indexed: HybridIndex ${indexSeconds.toFixed(1)} s (${(CHUNKS / indexSeconds).toFixed(0)} chunks/s, with vectors), ` +
      `MiniSearch ${librarySeconds.toFixed(1)} s (${(CHUNKS / librarySeconds).toFixed(0)} chunks/s)\n`,
  );

  const half: SearchOptions['allowGroup'] = (group) => Number(group.slice(2)) % 2 === 0;
  const baseline = timeSync(BASELINE_SEARCHES, (i) => library.search(queries[i % SEARCHES]!).slice(0, 10), 3);
  const lexical = timeSync(SEARCHES, (i) => index.search(queries[i]!, { topK: 10, allowGroup: half }), 50);
  const lexicalAll = timeSync(SEARCHES, (i) => index.search(queries[i]!, { topK: 10, allowGroup: () => true }), 50);
  const hybrid = timeSync(
    SEARCHES,
    (i) => index.search(queries[i]!, { topK: 10, allowGroup: half, queryVector: queryVectors[i] }),
    50,
  );
  process.stdout.write(`${row('MiniSearch search alone, same chunks, no filter', baseline)}\n`);
  process.stdout.write(`${row('HybridIndex lexical, half the knowledge bases allowed', lexical, baseline)}\n`);
  process.stdout.write(`${row('HybridIndex lexical, all knowledge bases allowed', lexicalAll, baseline)}\n`);
  process.stdout.write(`${row(`HybridIndex hybrid (${DIMENSIONS} dims), half allowed`, hybrid, baseline)}\n`);
}

/** `npm run bench knowledge`: search now; the service's ingestion figures join it here. */
export async function benchKnowledge(): Promise<void> {
  await benchKnowledgeSearch();
}
