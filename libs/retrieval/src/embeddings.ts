import { createRequire } from 'node:module';
import type OpenAI from 'openai';

/** The `openai` package (~240 modules), loaded when the first embeddings client is built. */
let openaiModule: typeof import('openai') | undefined;
const openai = () => (openaiModule ??= createRequire(import.meta.url)('openai') as typeof import('openai'));

export interface EmbeddingsClientOptions {
  /** An OpenAI-compatible API base, e.g. http://127.0.0.1:8080/v1 */
  baseURL: string;
  /** Servers that need none (local ones) may leave it out. */
  apiKey?: string;
  model: string;
  /** Texts per request (default 64). */
  batchSize?: number;
  /** One request's time limit (default 60 s). */
  timeoutMs?: number;
  /** Retries of a request after a timeout, 408, 409, 429 or 5xx, with the client's backoff (default 2). */
  maxRetries?: number;
}

/** Thrown when the embeddings server failed or answered something unusable; `status` is its HTTP status when it sent one. */
export class EmbeddingsError extends Error {
  override name = 'EmbeddingsError';
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Embeddings through the `openai` client from any server that speaks
 * OpenAI's POST /v1/embeddings. Texts go in batches, one request at a time
 * (a local server is usually one process; parallel requests would only
 * queue there). Vectors are asked for as base64 (the wire format the
 * client prefers: a quarter of the JSON), and float arrays are accepted from
 * servers that ignore encoding_format.
 */
export class EmbeddingsClient {
  readonly model: string;
  private readonly client: OpenAI;
  private readonly batchSize: number;
  private readonly baseURL: string;

  constructor(options: EmbeddingsClientOptions) {
    const batchSize = options.batchSize ?? 64;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new RangeError(`batchSize must be a whole number >= 1, got ${batchSize}`);
    this.model = options.model;
    this.batchSize = batchSize;
    this.baseURL = options.baseURL;
    this.client = new (openai().OpenAI)({
      baseURL: options.baseURL,
      // The client insists on a key; servers that need none ignore the header.
      apiKey: options.apiKey || 'not-set',
      timeout: options.timeoutMs ?? 60_000,
      maxRetries: options.maxRetries ?? 2,
    });
  }

  /** One vector per text, in the texts' order; all of one width. */
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const vectors: Float32Array[] = [];
    for (let from = 0; from < texts.length; from += this.batchSize) {
      const batch = texts.slice(from, from + this.batchSize);
      const embedded = await this.embedBatch(batch);
      for (const vector of embedded) {
        const expected = vectors[0]?.length ?? embedded[0]!.length;
        if (vector.length !== expected)
          throw new EmbeddingsError(
            `the embeddings server returned vectors of ${expected} and ${vector.length} dimensions`,
          );
        vectors.push(vector);
      }
    }
    return vectors;
  }

  private async embedBatch(batch: string[]): Promise<Float32Array[]> {
    // The shape of the reply as sent: `embedding` is base64 text (as asked) or, from some servers, numbers.
    let response: { data?: unknown };
    try {
      response = await this.client.embeddings.create({ model: this.model, input: batch, encoding_format: 'base64' });
    } catch (err) {
      const status = err instanceof openai().APIError ? err.status : undefined;
      const reason = err instanceof Error ? err.message : String(err);
      throw new EmbeddingsError(
        `embeddings request to ${this.baseURL} (model ${this.model}) failed: ${reason}`,
        status,
        {
          cause: err,
        },
      );
    }
    const data = (Array.isArray(response?.data) ? response.data : []) as { embedding?: unknown; index?: unknown }[];
    if (data.length !== batch.length)
      throw new EmbeddingsError(`the embeddings server returned ${data.length} vectors for ${batch.length} texts`);
    const vectors = new Array<Float32Array>(batch.length);
    for (const [position, item] of data.entries()) {
      // Items carry their input's index; servers may list them in any order.
      const index = typeof item.index === 'number' ? item.index : position;
      if (!Number.isInteger(index) || index < 0 || index >= batch.length || vectors[index])
        throw new EmbeddingsError(
          `the embeddings server returned an item with index ${String(item.index)} for ${batch.length} texts`,
        );
      vectors[index] = toVector(item.embedding);
    }
    return vectors;
  }
}

function toVector(embedding: unknown): Float32Array {
  let vector: Float32Array;
  if (typeof embedding === 'string') {
    const bytes = Buffer.from(embedding, 'base64');
    if (bytes.length === 0 || bytes.length % 4 !== 0)
      throw new EmbeddingsError(`the embeddings server returned ${bytes.length} bytes of base64, not a float32 vector`);
    vector = decodeVectors(bytes, bytes.length / 4)[0]!;
  } else if (Array.isArray(embedding) || embedding instanceof Float32Array)
    vector = Float32Array.from(embedding as ArrayLike<number>);
  else
    throw new EmbeddingsError(
      'the embeddings server returned an embedding that is neither base64 nor a list of numbers',
    );
  if (vector.length === 0) throw new EmbeddingsError('the embeddings server returned an empty vector');
  for (const value of vector)
    if (!Number.isFinite(value))
      throw new EmbeddingsError('the embeddings server returned a vector with a non-finite value');
  return vector;
}

/** Vectors as little-endian float32, concatenated (how they are recorded in the log). */
export function encodeVectors(vectors: readonly Float32Array[]): Uint8Array {
  const total = vectors.reduce((sum, v) => sum + v.length, 0);
  const bytes = new Uint8Array(total * 4);
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (const vector of vectors)
    for (const value of vector) {
      view.setFloat32(at, value, true);
      at += 4;
    }
  return bytes;
}

/**
 * The inverse of encodeVectors, `dimensions` floats a vector. Throws a
 * RangeError when the bytes are not a whole number of such vectors.
 */
export function decodeVectors(bytes: Uint8Array, dimensions: number): Float32Array[] {
  if (!Number.isInteger(dimensions) || dimensions < 1)
    throw new RangeError(`dimensions must be a whole number >= 1, got ${dimensions}`);
  if (bytes.length % (dimensions * 4) !== 0)
    throw new RangeError(`${bytes.length} bytes are not a whole number of ${dimensions}-dimensional float32 vectors`);
  const width = dimensions;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const vectors: Float32Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const vector = new Float32Array(width);
    for (let i = 0; i < width; i++, at += 4) vector[i] = view.getFloat32(at, true);
    vectors.push(vector);
  }
  return vectors;
}
