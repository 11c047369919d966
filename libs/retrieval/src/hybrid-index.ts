import { RRF_K, reciprocalRankFusion } from './fusion';
import { InvertedIndex, termFrequencies, tokenize, type Bm25Scope } from './lexical';
import { SlotScores } from './slot-scores';

export interface IndexedChunk {
  /** Unique in the index, e.g. `${kbId}/${documentId}/${version}/${chunkIndex}`. */
  key: string;
  /** The permission unit (the knowledge base id): what SearchOptions.allowGroup decides on. */
  group: string;
  /** The removal unit (e.g. `${kbId}/${documentId}`): removeDocument() removes every chunk that names it. */
  documentKey: string;
  text: string;
  metadata: Readonly<Record<string, string>>;
  /** Set when embeddings were computed; the index keeps an L2-normalised copy. */
  vector?: Float32Array;
  /** The model that computed `vector`: a search with SearchOptions.vectorModel compares only vectors of that model. */
  vectorModel?: string;
}

export interface SearchOptions {
  topK: number;
  /**
   * Permission filter applied inside the search: a chunk whose group is not
   * allowed is never scored, never counted in a result, and cannot influence
   * ranks — BM25's statistics (document count, average length, document
   * frequencies) are taken over the allowed groups' chunks only, so scores are
   * exactly those of an index that never held the others. Called once per
   * group per search.
   */
  allowGroup: (group: string) => boolean;
  /**
   * Exact-match metadata filter (all pairs must match), also applied before
   * scoring: a chunk that fails it is neither scored nor takes a candidate's
   * place. It narrows what is returned, not the collection BM25's statistics
   * describe (those stay the allowed groups' chunks).
   */
  metadata?: Readonly<Record<string, string>>;
  /** Hybrid search when set and the index holds vectors; it is L2-normalised here. */
  queryVector?: Float32Array;
  /**
   * The model that computed queryVector: only chunks whose vectorModel is the
   * same take part in the dense ranking (two models of one width give vectors
   * that cannot be compared).
   */
  vectorModel?: string;
  /**
   * Applied after fusion (never before, so a threshold cannot empty the
   * candidate lists before they are fused): drops hits whose fused score is
   * below it. The score is the reciprocal-rank-fusion sum divided by the most
   * it can be (first in every list that took part: 1/(k+1) per list), so it
   * lies in (0, 1] and 1 means "ranked first by every retriever". It measures
   * agreement of ranks, not calibrated relevance: the best lexical hit of a
   * lexical search always scores 1.
   */
  minScore?: number;
  /** How many candidates each retriever contributes to fusion (default max(50, topK*5); never fewer than topK). */
  candidates?: number;
}

export interface SearchHit {
  key: string;
  /** The fused score in (0, 1]; see SearchOptions.minScore. */
  score: number;
  /** 1-based rank among the lexical candidates, when it was one. */
  lexicalRank?: number;
  /** 1-based rank among the dense candidates, when it was one. */
  denseRank?: number;
  /** Its BM25 score, when it was a lexical candidate. */
  lexicalScore?: number;
  /** Its cosine similarity to the query vector, when it was a dense candidate. */
  denseScore?: number;
  /** 'hybrid' when dense retrieval took part in this search. */
  mode: 'lexical' | 'hybrid';
}

/** Thrown when a vector's dimensions differ from those of the vectors the index already holds. */
export class VectorDimensionsError extends Error {
  override name = 'VectorDimensionsError';
  constructor(
    readonly expected: number,
    readonly actual: number,
    what: string,
  ) {
    super(`${what} has ${actual} dimensions, the index holds ${expected}-dimensional vectors`);
  }
}

type StoredChunk = Omit<IndexedChunk, 'vector'>;

/** Group id of a removed slot: never allowed, so a dead posting entry is skipped by the permission check itself. */
const REMOVED = 0;

/**
 * In-memory hybrid search over chunks: our own BM25 inverted index (k1 1.2,
 * b 0.75, incremental add and remove) and, when chunks carry vectors, dense
 * retrieval, the two rankings fused by reciprocal rank (k = 60).
 *
 * One index per tenant: the caller keeps a HybridIndex per tenant, so BM25's
 * statistics never mix tenants (within a tenant, groups — knowledge bases —
 * are filtered per search, statistics included; see SearchOptions.allowGroup).
 *
 * Dense retrieval is a brute-force dot product over the allowed chunks'
 * vectors (one Float32Array, row per slot): exact, and at 100k chunks × 256
 * dimensions a few milliseconds, so no approximate index is worth its recall
 * loss here.
 *
 * Chunks live in integer slots; a removed chunk's slot is marked and skipped
 * until more than a quarter of the slots are dead, when every array and
 * posting is renumbered in one pass (a removal is O(its chunks), the
 * compaction amortised over many).
 *
 * Not safe for concurrent use from several threads; search() is synchronous
 * and reuses its score buffers.
 */
export class HybridIndex {
  private readonly lexical = new InvertedIndex();
  private readonly lexicalScores = new SlotScores();
  private readonly denseScores = new SlotScores();

  private chunks: (StoredChunk | undefined)[] = [];
  private groupOf = new Int32Array(1024);
  private lengths = new Uint32Array(1024);
  private hasVector = new Uint8Array(1024);
  private vectors = new Float32Array(0);
  private dimensions = 0;
  private vectorCount = 0;
  private slotCount = 0;
  private deadCount = 0;

  private readonly slotByKey = new Map<string, number>();
  private readonly keysByDocument = new Map<string, Set<string>>();

  private readonly groupIds = new Map<string, number>();
  private readonly groupNames: string[] = [''];
  private readonly groupSizes: number[] = [0];
  private readonly groupLengths: number[] = [0];

  /** Adds the chunk, replacing a chunk with the same key. */
  add(chunk: IndexedChunk): void {
    for (const field of ['key', 'group', 'documentKey'] as const)
      if (typeof chunk[field] !== 'string' || chunk[field] === '')
        throw new RangeError(`an indexed chunk needs a non-empty ${field}`);
    const vector =
      chunk.vector === undefined ? undefined : this.normalisedVector(chunk.vector, `chunk ${chunk.key}'s vector`);
    this.removeKey(chunk.key);

    const slot = this.allocateSlot();
    const { frequencies, length } = termFrequencies(chunk.text);
    const group = this.groupId(chunk.group);
    const stored: StoredChunk = {
      key: chunk.key,
      group: chunk.group,
      documentKey: chunk.documentKey,
      text: chunk.text,
      metadata: Object.freeze({ ...chunk.metadata }),
      ...(vector && chunk.vectorModel !== undefined ? { vectorModel: chunk.vectorModel } : {}),
    };
    this.chunks[slot] = stored;
    this.groupOf[slot] = group;
    this.lengths[slot] = length;
    this.groupSizes[group]!++;
    this.groupLengths[group]! += length;
    this.lexical.add(slot, frequencies);
    if (vector) {
      if (this.vectorCount === 0 && vector.length !== this.dimensions) {
        // The first vector, or the first after all were removed: its width is the index's from now on.
        this.dimensions = vector.length;
        this.vectors = new Float32Array(0);
      }
      this.ensureVectorRows(this.groupOf.length);
      this.vectors.set(vector, slot * this.dimensions);
      this.hasVector[slot] = 1;
      this.vectorCount++;
    }
    this.slotByKey.set(chunk.key, slot);
    let keys = this.keysByDocument.get(chunk.documentKey);
    if (!keys) this.keysByDocument.set(chunk.documentKey, (keys = new Set()));
    keys.add(chunk.key);
  }

  /** Removes every chunk of the document (nothing when it has none). */
  removeDocument(documentKey: string): void {
    const keys = this.keysByDocument.get(documentKey);
    if (!keys) return;
    for (const key of [...keys]) this.removeKey(key);
    if (this.deadCount * 4 > this.slotCount) this.compact();
  }

  /** The chunk as indexed (its vector L2-normalised), or undefined. */
  get(key: string): IndexedChunk | undefined {
    const slot = this.slotByKey.get(key);
    if (slot === undefined) return undefined;
    const chunk = this.chunks[slot]!;
    if (!this.hasVector[slot]) return { ...chunk };
    const from = slot * this.dimensions;
    return { ...chunk, vector: this.vectors.slice(from, from + this.dimensions) };
  }

  /** Chunks held. */
  get size(): number {
    return this.slotByKey.size;
  }

  search(query: string, options: SearchOptions): SearchHit[] {
    const { topK } = options;
    if (!Number.isInteger(topK) || topK < 0) throw new RangeError(`topK must be a whole number >= 0, got ${topK}`);
    if (topK === 0) return [];
    const candidates = Math.max(topK, options.candidates ?? Math.max(50, topK * 5));

    const allowed = new Uint8Array(this.groupNames.length);
    let documents = 0;
    let totalLength = 0;
    for (let group = 1; group < this.groupNames.length; group++) {
      if (this.groupSizes[group] === 0 || !options.allowGroup(this.groupNames[group]!)) continue;
      allowed[group] = 1;
      documents += this.groupSizes[group]!;
      totalLength += this.groupLengths[group]!;
    }
    const groupOf = this.groupOf;
    const counted = (slot: number) => allowed[groupOf[slot]!] === 1;
    const returnable = this.metadataFilter(options.metadata);

    const lexicalTop = this.lexicalCandidates(
      query,
      { counted, returnable, documents, totalLength, lengths: this.lengths },
      candidates,
    );
    const hybrid = options.queryVector !== undefined && this.vectorCount > 0;
    const denseTop = hybrid
      ? this.denseCandidates(options.queryVector!, counted, returnable, candidates, options.vectorModel)
      : new Int32Array(0);

    const keyOf = (slot: number) => this.chunks[slot]!.key;
    // Only the rankings that hold candidates take part: the allowed chunks of a caller may have no
    // vectors (documents added before embeddings were configured, or knowledge bases without them),
    // and an empty dense list must not halve every score, which would let min_score drop them all.
    const dense = denseTop.length > 0;
    const lists = dense ? [lexicalTop, denseTop] : [lexicalTop];
    const fused = reciprocalRankFusion(lists.map((list) => Array.from(list, keyOf)));
    const best = Math.max(1, lists.filter((list) => list.length > 0).length) / (RRF_K + 1);
    const lexicalRank = rankMap(lexicalTop);
    const denseRank = rankMap(denseTop);
    const hits: SearchHit[] = [];
    for (const [key, sum] of fused) {
      const score = Math.min(1, sum / best);
      if (options.minScore !== undefined && score < options.minScore) continue;
      const slot = this.slotByKey.get(key)!;
      const hit: SearchHit = { key, score, mode: dense ? 'hybrid' : 'lexical' };
      const lr = lexicalRank.get(slot);
      if (lr !== undefined) {
        hit.lexicalRank = lr;
        hit.lexicalScore = this.lexicalScores.get(slot);
      }
      const dr = denseRank.get(slot);
      if (dr !== undefined) {
        hit.denseRank = dr;
        hit.denseScore = this.denseScores.get(slot);
      }
      hits.push(hit);
    }
    hits.sort(
      (a, b) =>
        b.score - a.score ||
        Math.min(a.lexicalRank ?? Infinity, a.denseRank ?? Infinity) -
          Math.min(b.lexicalRank ?? Infinity, b.denseRank ?? Infinity) ||
        (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    );
    return hits.slice(0, topK);
  }

  private lexicalCandidates(query: string, scope: Bm25Scope, candidates: number): Int32Array {
    this.lexicalScores.reset(this.slotCount);
    const terms = tokenize(query);
    if (terms.length > 0) this.lexical.score(terms, scope, this.lexicalScores);
    return this.lexicalScores.top(candidates);
  }

  /** Cosine similarity (dot product of unit vectors) with every allowed, returnable chunk that has a vector. */
  private denseCandidates(
    queryVector: Float32Array,
    counted: (slot: number) => boolean,
    returnable: ((slot: number) => boolean) | undefined,
    candidates: number,
    model: string | undefined,
  ): Int32Array {
    const query = this.normalisedVector(queryVector, 'the query vector');
    const { vectors, hasVector, dimensions, denseScores, chunks } = this;
    denseScores.reset(this.slotCount);
    for (let slot = 0; slot < this.slotCount; slot++) {
      if (hasVector[slot] === 0 || !counted(slot) || (returnable && !returnable(slot))) continue;
      if (model !== undefined && chunks[slot]!.vectorModel !== model) continue;
      denseScores.add(slot, dot(query, vectors, slot * dimensions, dimensions));
    }
    return denseScores.top(candidates);
  }

  private metadataFilter(
    metadata: Readonly<Record<string, string>> | undefined,
  ): ((slot: number) => boolean) | undefined {
    const pairs = Object.entries(metadata ?? {});
    if (pairs.length === 0) return undefined;
    const chunks = this.chunks;
    return (slot) => {
      const own = chunks[slot]!.metadata;
      for (const [name, value] of pairs) if (!Object.hasOwn(own, name) || own[name] !== value) return false;
      return true;
    };
  }

  private normalisedVector(vector: Float32Array, what: string): Float32Array {
    if (!(vector instanceof Float32Array) || vector.length === 0)
      throw new RangeError(`${what} must be a non-empty Float32Array`);
    if (this.vectorCount > 0 && vector.length !== this.dimensions)
      throw new VectorDimensionsError(this.dimensions, vector.length, what);
    let norm = 0;
    for (let i = 0; i < vector.length; i++) norm += vector[i]! * vector[i]!;
    norm = Math.sqrt(norm);
    if (!Number.isFinite(norm) || norm === 0) throw new RangeError(`${what} has no direction (zero or not finite)`);
    const unit = new Float32Array(vector.length);
    for (let i = 0; i < vector.length; i++) unit[i] = vector[i]! / norm;
    return unit;
  }

  private groupId(group: string): number {
    let id = this.groupIds.get(group);
    if (id === undefined) {
      id = this.groupNames.length;
      this.groupIds.set(group, id);
      this.groupNames.push(group);
      this.groupSizes.push(0);
      this.groupLengths.push(0);
    }
    return id;
  }

  private removeKey(key: string): void {
    const slot = this.slotByKey.get(key);
    if (slot === undefined) return;
    const chunk = this.chunks[slot]!;
    const group = this.groupOf[slot]!;
    this.groupSizes[group]!--;
    this.groupLengths[group]! -= this.lengths[slot]!;
    this.groupOf[slot] = REMOVED;
    this.chunks[slot] = undefined;
    if (this.hasVector[slot]) {
      this.hasVector[slot] = 0;
      this.vectorCount--;
    }
    this.slotByKey.delete(key);
    const keys = this.keysByDocument.get(chunk.documentKey)!;
    keys.delete(key);
    if (keys.size === 0) this.keysByDocument.delete(chunk.documentKey);
    this.deadCount++;
  }

  private allocateSlot(): number {
    if (this.slotCount === this.groupOf.length) {
      if (this.deadCount * 4 > this.slotCount) this.compact();
      else this.growSlots(this.groupOf.length * 2);
    }
    return this.slotCount++;
  }

  private growSlots(capacity: number): void {
    const grow = <T extends Int32Array | Uint32Array | Uint8Array>(from: T, to: T): T => (to.set(from), to);
    this.groupOf = grow(this.groupOf, new Int32Array(capacity));
    this.lengths = grow(this.lengths, new Uint32Array(capacity));
    this.hasVector = grow(this.hasVector, new Uint8Array(capacity));
    if (this.vectors.length > 0) this.ensureVectorRows(capacity);
  }

  private ensureVectorRows(rows: number): void {
    if (this.vectors.length >= rows * this.dimensions) return;
    const grown = new Float32Array(rows * this.dimensions);
    grown.set(this.vectors);
    this.vectors = grown;
  }

  /** Drops removed slots, keeping the order of the others, so postings stay sorted and arrays dense. */
  private compact(): void {
    const newSlotOf = new Int32Array(this.slotCount).fill(-1);
    const { dimensions } = this;
    let next = 0;
    for (let slot = 0; slot < this.slotCount; slot++) {
      if (this.groupOf[slot] === REMOVED) continue;
      newSlotOf[slot] = next;
      if (next !== slot) {
        const chunk = this.chunks[slot]!;
        this.chunks[next] = chunk;
        this.groupOf[next] = this.groupOf[slot]!;
        this.lengths[next] = this.lengths[slot]!;
        this.hasVector[next] = this.hasVector[slot]!;
        if (this.hasVector[slot])
          this.vectors.copyWithin(next * dimensions, slot * dimensions, (slot + 1) * dimensions);
        this.slotByKey.set(chunk.key, next);
      }
      next++;
    }
    this.lexical.renumber(newSlotOf);
    this.chunks.length = next;
    this.groupOf.fill(REMOVED, next, this.slotCount);
    this.hasVector.fill(0, next, this.slotCount);
    this.slotCount = next;
    this.deadCount = 0;
  }
}

function rankMap(slots: Int32Array): Map<number, number> {
  const ranks = new Map<number, number>();
  slots.forEach((slot, index) => ranks.set(slot, index + 1));
  return ranks;
}

/** Dot product of `query` with the row of `matrix` starting at `offset`, four lanes at a time. */
function dot(query: Float32Array, matrix: Float32Array, offset: number, length: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < length; i += 4) {
    s0 += query[i]! * matrix[offset + i]!;
    s1 += query[i + 1]! * matrix[offset + i + 1]!;
    s2 += query[i + 2]! * matrix[offset + i + 2]!;
    s3 += query[i + 3]! * matrix[offset + i + 3]!;
  }
  for (; i < length; i++) s0 += query[i]! * matrix[offset + i]!;
  return s0 + s1 + s2 + s3;
}
