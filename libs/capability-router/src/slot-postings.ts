/**
 * The storage both of the router's indexes share, built so a routing decision
 * over thousands of agents allocates next to nothing and an agent costs a few
 * KiB: each agent lives in an integer slot the router hands out, each term gets
 * an integer id, a term's posting is two parallel typed arrays (slots and a
 * number per slot), and a slot's document is one typed array of (term id,
 * position in that term's posting) pairs for O(1) removal. Scores accumulate in
 * typed arrays that are reused from one decision to the next. A posting entry
 * costs a few nanoseconds instead of a hash lookup, and the young generation is
 * not filled with maps of every matching agent (whose collection was the
 * routing p99).
 */
export class Posting {
  slots: Int32Array;
  /**
   * The term's (boosted) frequency in the slot's document, in single
   * precision: 4 bytes less per entry (about 2 KiB an agent), and a weight
   * needs no more digits than that.
   */
  values: Float32Array;
  /** How many entries of slots and values are in use. */
  length = 0;

  constructor(
    readonly id: number,
    readonly term: string,
    capacity = 2,
  ) {
    this.slots = new Int32Array(capacity);
    this.values = new Float32Array(capacity);
  }

  push(slot: number, value: number): void {
    if (this.length === this.slots.length) {
      const capacity = Math.max(4, Math.ceil(this.length * 1.5));
      const slots = new Int32Array(capacity);
      slots.set(this.slots);
      const values = new Float32Array(capacity);
      values.set(this.values);
      this.slots = slots;
      this.values = values;
    }
    this.slots[this.length] = slot;
    this.values[this.length++] = value;
  }
}

/**
 * What SlotPostings.capture() returns (plain data for v8.serialize): every
 * posting in the order its term first got a document, and the running sums
 * as they are (recomputed sums could differ in the last bit, and with them
 * scores).
 */
export interface SlotPostingsState {
  terms: string[];
  slots: Int32Array[];
  values: Float32Array[];
  lengths: number[];
  totalLength: number;
  count: number;
  /** Every slot holding a document, an empty one (no term) included: postings alone do not name those. */
  documentSlots: number[];
}

const POSITIONS = 2 ** 31;

export class SlotPostings {
  private readonly postings = new Map<string, Posting>();
  /** Term id → its posting; ids of terms that lost their last document are reused. */
  private readonly byId: (Posting | undefined)[] = [];
  private readonly freeIds: number[] = [];
  /** Per slot: (term id, position in that term's posting) pairs. */
  private readonly documents_: (Int32Array | undefined)[] = [];
  /** Per slot: the document's length (the sum of its values as given). */
  readonly lengths: number[] = [];
  private totalLength = 0;
  private count = 0;

  /**
   * @param onTerm told when a term gets its first document and when it loses its last.
   */
  constructor(private readonly onTerm?: (term: string, present: boolean) => void) {}

  get documents(): number {
    return this.count;
  }

  get averageLength(): number {
    return this.count === 0 ? 0 : this.totalLength / this.count;
  }

  has(term: string): boolean {
    return this.postings.has(term);
  }

  posting(term: string): Posting | undefined {
    return this.postings.get(term);
  }

  /** BM25's inverse document frequency of the term, 0 if no document holds it. */
  idf(term: string): number {
    const df = this.postings.get(term)?.length ?? 0;
    return df === 0 ? 0 : Math.log(1 + (this.count - df + 0.5) / (df + 0.5));
  }

  *termsOf(slot: number): Iterable<string> {
    const document = this.documents_[slot];
    if (!document) return;
    for (let i = 0; i < document.length; i += 2) yield this.byId[document[i]!]!.term;
  }

  /** Replaces the slot's document: term → (boosted, possibly fractional) frequency; its length is their sum. */
  upsert(slot: number, frequencies: ReadonlyMap<string, number>): void {
    this.remove(slot);
    let length = 0;
    for (const frequency of frequencies.values()) length += frequency;
    this.lengths[slot] = length;
    this.totalLength += length;
    this.count++;
    // Entries sorted by term id (id × 2^31 + position, sorted as numbers), so moveEntry finds one by bisection.
    const keys = new Float64Array(frequencies.size);
    let i = 0;
    for (const [term, frequency] of frequencies) {
      let posting = this.postings.get(term);
      if (!posting) {
        const id = this.freeIds.pop() ?? this.byId.length;
        this.postings.set(term, (posting = new Posting(id, term)));
        this.byId[id] = posting;
        this.onTerm?.(term, true);
      }
      keys[i++] = posting.id * POSITIONS + posting.length;
      posting.push(slot, frequency);
    }
    keys.sort();
    const document = new Int32Array(keys.length * 2);
    for (let k = 0; k < keys.length; k++) {
      document[2 * k] = Math.floor(keys[k]! / POSITIONS);
      document[2 * k + 1] = keys[k]! % POSITIONS;
    }
    this.documents_[slot] = document;
  }

  remove(slot: number): void {
    const document = this.documents_[slot];
    if (!document) return;
    for (let i = 0; i < document.length; i += 2) {
      const posting = this.byId[document[i]!]!;
      const at = document[i + 1]!;
      const last = posting.length - 1;
      if (at !== last) {
        const moved = posting.slots[last]!;
        posting.slots[at] = moved;
        posting.values[at] = posting.values[last]!;
        this.moveEntry(moved, posting.id, at);
      }
      posting.length--;
      if (posting.length === 0) {
        this.postings.delete(posting.term);
        this.byId[posting.id] = undefined;
        this.freeIds.push(posting.id);
        this.onTerm?.(posting.term, false);
      } else if (posting.length * 4 < posting.slots.length && posting.slots.length > 8) {
        posting.slots = posting.slots.slice(0, posting.length * 2);
        posting.values = posting.values.slice(0, posting.length * 2);
      }
    }
    this.totalLength -= this.lengths[slot]!;
    this.count--;
    this.documents_[slot] = undefined;
  }

  /** The postings as plain data, in the order the terms got their first document (see SlotPostingsState). */
  capture(): SlotPostingsState {
    const postings = [...this.postings.values()];
    return {
      terms: postings.map((p) => p.term),
      slots: postings.map((p) => p.slots.slice(0, p.length)),
      values: postings.map((p) => p.values.slice(0, p.length)),
      lengths: [...this.lengths],
      totalLength: this.totalLength,
      count: this.count,
      documentSlots: this.documents_.flatMap((document, slot) => (document ? [slot] : [])),
    };
  }

  /**
   * Puts a captured state in place of an empty store's: the postings as they
   * were (same order of slots in each, so decisions are the same to the bit),
   * each slot's document rebuilt from them; onTerm is told of every term in
   * the order they were first indexed.
   */
  restore(state: SlotPostingsState): void {
    if (this.count !== 0 || this.postings.size !== 0) throw new Error('SlotPostings.restore needs an empty store');
    const sizes: number[] = [];
    state.terms.forEach((term, id) => {
      const posting = new Posting(id, term, 0);
      posting.slots = state.slots[id]!;
      posting.values = state.values[id]!;
      posting.length = posting.slots.length;
      this.postings.set(term, posting);
      this.byId[id] = posting;
      for (const slot of posting.slots) sizes[slot] = (sizes[slot] ?? 0) + 2;
      this.onTerm?.(term, true);
    });
    const filled: number[] = [];
    // A document without a term (an agent whose words WordNet does not know has no concepts) has no posting.
    for (const slot of state.documentSlots) sizes[slot] ??= 0;
    sizes.forEach((size, slot) => {
      this.documents_[slot] = new Int32Array(size);
      filled[slot] = 0;
    });
    for (const posting of this.byId)
      for (let at = 0; at < posting!.length; at++) {
        const slot = posting!.slots[at]!;
        const document = this.documents_[slot]!;
        document[filled[slot]!++] = posting!.id;
        document[filled[slot]!++] = at;
      }
    state.lengths.forEach((length, slot) => (this.lengths[slot] = length));
    this.totalLength = state.totalLength;
    this.count = state.count;
  }

  /** The slot's entry for the term now sits at `at` of the term's posting. */
  private moveEntry(slot: number, id: number, at: number): void {
    const document = this.documents_[slot]!;
    let low = 0;
    let high = document.length / 2 - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const found = document[2 * middle]!;
      if (found === id) {
        document[2 * middle + 1] = at;
        return;
      }
      if (found < id) low = middle + 1;
      else high = middle - 1;
    }
    throw new Error(`slot ${slot} has no entry for term id ${id}`);
  }
}

/**
 * Scores per slot for one decision: a typed array indexed by slot and the list
 * of slots touched, so reading and clearing cost the hits, not the fleet.
 * Grows with the fleet and is reused; never shared by two decisions at once
 * (route() is synchronous).
 */
export class SlotScores {
  values = new Float64Array(64);
  private seen = new Uint8Array(64);
  private list = new Int32Array(64);
  private size = 0;

  /** Slots with a score, in the order they were first touched. */
  get touched(): Int32Array {
    return this.list.subarray(0, this.size);
  }

  get length(): number {
    return this.size;
  }

  /** Makes room for slots below `capacity`, keeping nothing (call before a decision). */
  fit(capacity: number): void {
    if (this.values.length >= capacity) return;
    const size = Math.max(capacity, this.values.length * 2);
    this.values = new Float64Array(size);
    this.seen = new Uint8Array(size);
    this.list = new Int32Array(size);
    this.size = 0;
  }

  add(slot: number, value: number): void {
    if (this.seen[slot] === 0) {
      this.seen[slot] = 1;
      this.list[this.size++] = slot;
    }
    this.values[slot] += value;
  }

  get(slot: number): number {
    return this.values[slot]!;
  }

  /** The highest score, 0 when nothing was touched. */
  best(): number {
    let best = 0;
    for (let i = 0; i < this.size; i++) best = Math.max(best, this.values[this.list[i]!]!);
    return best;
  }

  /** Every score divided by the best one, so channels of different units can be added. */
  scaleToBest(): this {
    const best = this.best();
    if (best > 0) for (let i = 0; i < this.size; i++) this.values[this.list[i]!] /= best;
    return this;
  }

  clear(): void {
    for (let i = 0; i < this.size; i++) {
      const slot = this.list[i]!;
      this.values[slot] = 0;
      this.seen[slot] = 0;
    }
    this.size = 0;
  }
}
