import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { STOP_WORDS } from '../src';

/**
 * What the test embeddings server computes, said plainly wherever its
 * figures are printed: it is not a learned model.
 */
export const NGRAM_EMBEDDINGS_DESCRIPTION =
  'feature-hashed word + character 3-gram TF-IDF vectors (sublinear tf, IDF fitted on the corpus chunks at start, ' +
  'signed hashing into 512 dims, L2-normalised) — a deterministic bag-of-n-grams, not a learned model';

/**
 * Bag-of-n-grams vectors: each word (lower-cased, stop words dropped) and each
 * character 3-gram of "<word>" is a feature; a feature's weight is
 * (1 + ln tf) · idf, with idf = ln((1 + N) / (1 + df)) + 1 over the texts it
 * was fitted on; features are hashed (FNV-1a) into `dimensions` slots with a
 * hash-derived sign, so collisions cancel out on average instead of piling up.
 * Character 3-grams let "configure" and "configuration" share most of their
 * weight, which BM25 over Porter stems only partly does.
 */
export class HashedNgramVectorizer {
  private readonly documentFrequency = new Map<string, number>();
  private documents = 0;

  constructor(readonly dimensions = 512) {}

  fit(texts: readonly string[]): void {
    for (const text of texts) {
      this.documents++;
      for (const feature of features(text).keys())
        this.documentFrequency.set(feature, (this.documentFrequency.get(feature) ?? 0) + 1);
    }
  }

  vector(text: string): Float32Array {
    const vector = new Float32Array(this.dimensions);
    for (const [feature, tf] of features(text)) {
      const idf = Math.log((1 + this.documents) / (1 + (this.documentFrequency.get(feature) ?? 0))) + 1;
      const hash = fnv1a(feature);
      const sign = hash & 0x80000000 ? -1 : 1;
      vector[(hash & 0x7fffffff) % this.dimensions]! += sign * (1 + Math.log(tf)) * idf;
    }
    let norm = 0;
    for (const value of vector) norm += value * value;
    norm = Math.sqrt(norm);
    // A text with no features (punctuation only) still gets a direction, so it can be indexed.
    if (norm === 0) vector[0] = 1;
    else for (let i = 0; i < vector.length; i++) vector[i]! /= norm;
    return vector;
  }
}

function features(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (feature: string) => counts.set(feature, (counts.get(feature) ?? 0) + 1);
  for (const [word] of text
    .normalize('NFKC')
    .toLowerCase()
    .matchAll(/[\p{L}\p{N}]+/gu)) {
    if (STOP_WORDS.has(word)) continue;
    add(`w:${word}`);
    const padded = `<${word}>`;
    for (let i = 0; i + 3 <= padded.length; i++) add(`c:${padded.slice(i, i + 3)}`);
  }
  return counts;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export interface RecordedEmbeddingsRequest {
  model: string;
  inputs: number;
  encodingFormat: string;
  authorization: string;
}

export interface NgramEmbeddingsServer {
  /** The OpenAI base URL: http://127.0.0.1:<port>/v1 */
  readonly baseURL: string;
  readonly vectorizer: HashedNgramVectorizer;
  readonly requests: RecordedEmbeddingsRequest[];
  /** Answers the next request with this HTTP status and an OpenAI-style error body. */
  failNext(status: number, message: string): void;
  /** Answers every request with float arrays whatever encoding_format asked (as some servers do). */
  ignoreEncodingFormat(ignore: boolean): void;
  stop(): Promise<void>;
}

/**
 * A local OpenAI-compatible embeddings server (POST /v1/embeddings) over
 * node:http on a free loopback port, answering as OpenAI does: `input` a
 * string or an array of strings, `encoding_format` "float" (default) or
 * "base64" (little-endian float32), a list of `embedding` objects with
 * their `index`, `model` and `usage`; errors as `{ error: { message, type,
 * param, code } }` with the HTTP status.
 */
export async function startNgramEmbeddingsServer(
  options: { fitTexts?: readonly string[]; dimensions?: number } = {},
): Promise<NgramEmbeddingsServer> {
  const vectorizer = new HashedNgramVectorizer(options.dimensions ?? 512);
  vectorizer.fit(options.fitTexts ?? []);
  const requests: RecordedEmbeddingsRequest[] = [];
  let failure: { status: number; message: string } | undefined;
  let floatsAlways = false;

  const server = createServer((req, res) => {
    void answer(req, res).catch((err: unknown) => sendError(res, 500, String(err)));
  });
  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || req.url !== '/v1/embeddings')
      return sendError(res, 404, `Unknown request URL: ${req.method} ${req.url}`);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: { model?: unknown; input?: unknown; encoding_format?: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
    } catch {
      return sendError(res, 400, 'We could not parse the JSON body of your request.');
    }
    const inputs = typeof body.input === 'string' ? [body.input] : body.input;
    const encodingFormat = body.encoding_format ?? 'float';
    requests.push({
      model: String(body.model),
      inputs: Array.isArray(inputs) ? inputs.length : 0,
      encodingFormat: String(encodingFormat),
      authorization: req.headers.authorization ?? '',
    });
    if (failure) {
      const { status, message } = failure;
      failure = undefined;
      return sendError(res, status, message);
    }
    if (typeof body.model !== 'string' || body.model === '') return sendError(res, 400, "'model' is required");
    if (!Array.isArray(inputs) || inputs.length === 0 || inputs.some((t) => typeof t !== 'string' || t === ''))
      return sendError(res, 400, "'$.input' is invalid: expected a non-empty string or array of non-empty strings");
    if (encodingFormat !== 'float' && encodingFormat !== 'base64')
      return sendError(res, 400, `'${String(encodingFormat)}' is not one of ['float', 'base64'] - 'encoding_format'`);
    const texts = inputs as string[];
    const data = texts.map((text, index) => {
      const vector = vectorizer.vector(text);
      // base64 of the float32 bytes as the machine holds them: little-endian on every host we run on, as OpenAI sends them.
      const embedding =
        encodingFormat === 'base64' && !floatsAlways
          ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64')
          : Array.from(vector);
      return { object: 'embedding', index, embedding };
    });
    const tokens = texts.reduce((sum, t) => sum + t.split(/\s+/).length, 0);
    send(res, 200, { object: 'list', data, model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens } });
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    vectorizer,
    requests,
    failNext: (status, message) => (failure = { status, message }),
    ignoreEncodingFormat: (ignore) => (floatsAlways = ignore),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, message: string): void {
  send(res, status, { error: { message, type: 'invalid_request_error', param: null, code: null } });
}
