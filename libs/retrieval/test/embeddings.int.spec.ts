import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddingsClient, EmbeddingsError, decodeVectors, encodeVectors } from '../src';
import { startNgramEmbeddingsServer, type NgramEmbeddingsServer } from './ngram-embeddings-server';

describe('EmbeddingsClient against a local OpenAI-compatible server', () => {
  let server: NgramEmbeddingsServer;
  beforeAll(async () => {
    server = await startNgramEmbeddingsServer({ fitTexts: ['otters sleep holding hands', 'kelp forests grow fast'] });
  });
  afterAll(() => server.stop());

  it('embeds in batches, keeps the order, and returns what the server computed', async () => {
    const client = new EmbeddingsClient({
      baseURL: server.baseURL,
      apiKey: 'sk-local',
      model: 'ngram-512',
      batchSize: 3,
    });
    expect(client.model).toBe('ngram-512');
    const texts = [
      'otters',
      'kelp forests',
      'sea otters sleep',
      'urchins',
      'glaciers',
      'otters holding hands',
      'fjords',
    ];
    const before = server.requests.length;
    const vectors = await client.embed(texts);
    expect(server.requests.slice(before).map((r) => r.inputs)).toEqual([3, 3, 1]);
    expect(server.requests.slice(before).every((r) => r.model === 'ngram-512' && r.encodingFormat === 'base64')).toBe(
      true,
    );
    expect(server.requests[before]!.authorization).toBe('Bearer sk-local');
    expect(vectors).toHaveLength(texts.length);
    texts.forEach((text, i) => expect(vectors[i]).toEqual(server.vectorizer.vector(text)));
    expect(vectors.every((v) => v.length === 512)).toBe(true);
  });

  it('accepts float arrays from a server that ignores encoding_format', async () => {
    server.ignoreEncodingFormat(true);
    try {
      const client = new EmbeddingsClient({ baseURL: server.baseURL, model: 'ngram-512' });
      const [vector] = await client.embed(['sea otters']);
      // Floats sent as JSON numbers round-trip through float64 to the same float32 values.
      expect(vector).toEqual(server.vectorizer.vector('sea otters'));
    } finally {
      server.ignoreEncodingFormat(false);
    }
  });

  it('returns nothing for no texts without calling the server', async () => {
    const before = server.requests.length;
    expect(await new EmbeddingsClient({ baseURL: server.baseURL, model: 'm' }).embed([])).toEqual([]);
    expect(server.requests.length).toBe(before);
  });

  it("throws EmbeddingsError with the server's status and message", async () => {
    const client = new EmbeddingsClient({ baseURL: server.baseURL, model: 'ngram-512' });
    server.failNext(400, "This model's maximum context length is 8192 tokens");
    const err = await client.embed(['too long']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmbeddingsError);
    expect((err as EmbeddingsError).status).toBe(400);
    expect((err as EmbeddingsError).message).toContain("This model's maximum context length is 8192 tokens");
    // An empty text is refused by the server (as OpenAI does), and that is reported the same way.
    const empty = await client.embed(['']).catch((e: unknown) => e);
    expect((empty as EmbeddingsError).status).toBe(400);
  });

  it('retries a 5xx as configured, then reports it', async () => {
    const client = new EmbeddingsClient({ baseURL: server.baseURL, model: 'ngram-512', maxRetries: 1 });
    server.failNext(503, 'overloaded');
    expect(await client.embed(['recovers'])).toHaveLength(1);
    const noRetry = new EmbeddingsClient({ baseURL: server.baseURL, model: 'ngram-512', maxRetries: 0 });
    server.failNext(503, 'overloaded');
    const err = (await noRetry.embed(['fails']).catch((e: unknown) => e)) as EmbeddingsError;
    expect(err).toBeInstanceOf(EmbeddingsError);
    expect(err.status).toBe(503);
  });

  it('reports a server that cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const client = new EmbeddingsClient({
      baseURL: `http://127.0.0.1:${port}/v1`,
      model: 'm',
      maxRetries: 0,
      timeoutMs: 2_000,
    });
    const err = (await client.embed(['x']).catch((e: unknown) => e)) as EmbeddingsError;
    expect(err).toBeInstanceOf(EmbeddingsError);
    expect(err.status).toBeUndefined();
    expect(err.message).toContain(`127.0.0.1:${port}`);
  });
});

describe('EmbeddingsClient against a server that answers wrongly', () => {
  /** A server answering every request with `body` (status 200). */
  async function answering(body: unknown): Promise<{ baseURL: string; stop: () => Promise<void> }> {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      baseURL: `http://127.0.0.1:${port}/v1`,
      stop: () => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())),
    };
  }
  const item = (index: number, embedding: number[]) => ({ object: 'embedding', index, embedding });

  it('refuses vectors of different widths, a wrong count, and answers listed out of order are put back in order', async () => {
    const cases: [unknown, RegExp | Float32Array[]][] = [
      [{ object: 'list', data: [item(0, [1, 0]), item(1, [1, 0, 0])] }, /2 and 3 dimensions/],
      [{ object: 'list', data: [item(0, [1, 0])] }, /1 vectors for 2 texts/],
      [{ object: 'list', data: [item(0, [1, 0]), item(0, [0, 1])] }, /index 0/],
      [
        { object: 'list', data: [item(1, [0, 1]), item(0, [1, 0])] },
        [new Float32Array([1, 0]), new Float32Array([0, 1])],
      ],
    ];
    for (const [body, expected] of cases) {
      const server = await answering(body);
      try {
        const got = await new EmbeddingsClient({ baseURL: server.baseURL, model: 'm', maxRetries: 0 })
          .embed(['a', 'b'])
          .catch((e: unknown) => e);
        if (expected instanceof RegExp) {
          expect(got).toBeInstanceOf(EmbeddingsError);
          expect((got as Error).message).toMatch(expected);
        } else expect(got).toEqual(expected);
      } finally {
        await server.stop();
      }
    }
  });
});

describe('encodeVectors / decodeVectors', () => {
  it('round-trip as little-endian float32, concatenated', () => {
    const vectors = [new Float32Array([1, -2.5, 0.1]), new Float32Array([Math.PI, 0, -0])];
    const bytes = encodeVectors(vectors);
    expect(bytes.length).toBe(24);
    expect(Array.from(bytes.slice(0, 4))).toEqual([0x00, 0x00, 0x80, 0x3f]); // 1.0f little-endian
    expect(decodeVectors(bytes, 3)).toEqual(vectors);
    // A view into a larger buffer decodes from its own offset.
    const padded = new Uint8Array(bytes.length + 4);
    padded.set(bytes, 4);
    expect(decodeVectors(padded.subarray(4), 3)).toEqual(vectors);
  });

  it('refuse bytes that are not a whole number of vectors', () => {
    expect(() => decodeVectors(new Uint8Array(8), 3)).toThrow(RangeError);
    expect(() => decodeVectors(new Uint8Array(12), 0)).toThrow(RangeError);
    expect(decodeVectors(new Uint8Array(0), 4)).toEqual([]);
  });
});
