/**
 * The storage both of the router's indexes share, built so a routing decision
 * over thousands of agents allocates next to nothing: each agent lives in an
 * integer slot the router hands out, a term's posting is two parallel arrays
 * (slots and a number per slot), and scores accumulate in typed arrays that
 * are reused from one decision to the next. A posting entry costs a few
 * nanoseconds instead of a hash lookup, and the young generation is not filled
 * with maps of every matching agent (whose collection was the routing p99).
 */
export interface Posting {
  readonly slots: number[];
  /** The term's (boosted) frequency in the slot's document. */
  readonly values: number[];
}

export class SlotPostings {
  private readonly postings = new Map<string, Posting>();
  /** Per slot: term → its position in the term's posting, for O(1) removal. */
  private readonly positions: (Map<string, number> | undefined)[] = [];
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
    const df = this.postings.get(term)?.slots.length ?? 0;
    return df === 0 ? 0 : Math.log(1 + (this.count - df + 0.5) / (df + 0.5));
  }

  termsOf(slot: number): Iterable<string> {
    return this.positions[slot]?.keys() ?? [];
  }

  /** Replaces the slot's document: term → (boosted, possibly fractional) frequency; its length is their sum. */
  upsert(slot: number, frequencies: ReadonlyMap<string, number>): void {
    this.remove(slot);
    let length = 0;
    for (const frequency of frequencies.values()) length += frequency;
    this.lengths[slot] = length;
    this.totalLength += length;
    this.count++;
    const positions = new Map<string, number>();
    for (const [term, frequency] of frequencies) {
      let posting = this.postings.get(term);
      if (!posting) {
        this.postings.set(term, (posting = { slots: [], values: [] }));
        this.onTerm?.(term, true);
      }
      positions.set(term, posting.slots.length);
      posting.slots.push(slot);
      posting.values.push(frequency);
    }
    this.positions[slot] = positions;
  }

  remove(slot: number): void {
    const positions = this.positions[slot];
    if (!positions) return;
    for (const [term, at] of positions) {
      const posting = this.postings.get(term)!;
      const last = posting.slots.length - 1;
      if (at !== last) {
        const moved = posting.slots[last]!;
        posting.slots[at] = moved;
        posting.values[at] = posting.values[last]!;
        this.positions[moved]!.set(term, at);
      }
      posting.slots.pop();
      posting.values.pop();
      if (posting.slots.length === 0) {
        this.postings.delete(term);
        this.onTerm?.(term, false);
      }
    }
    this.totalLength -= this.lengths[slot]!;
    this.count--;
    this.positions[slot] = undefined;
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
