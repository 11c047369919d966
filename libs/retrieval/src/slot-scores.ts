/**
 * Scores per slot for one search: a typed array indexed by slot, with a
 * stamp per slot saying which search last wrote it, so starting a search
 * clears nothing and reading the results costs the hits, not the index.
 * Reused from one search to the next (search() is synchronous, so two never
 * share it at once).
 */
export class SlotScores {
  private values = new Float64Array(1024);
  private stamps = new Uint32Array(1024);
  private hits = new Int32Array(1024);
  private count = 0;
  private stamp = 0;

  /** Starts a search over slots below `capacity`. */
  reset(capacity: number): void {
    if (capacity > this.values.length) {
      const size = Math.max(capacity, this.values.length * 2);
      this.values = new Float64Array(size);
      this.stamps = new Uint32Array(size);
      this.hits = new Int32Array(size);
      this.stamp = 0;
    }
    this.count = 0;
    this.stamp++;
    if (this.stamp === 0xffffffff) {
      this.stamps.fill(0);
      this.stamp = 1;
    }
  }

  add(slot: number, value: number): void {
    if (this.stamps[slot] !== this.stamp) {
      this.stamps[slot] = this.stamp;
      this.values[slot] = value;
      this.hits[this.count++] = slot;
    } else this.values[slot] += value;
  }

  get(slot: number): number {
    return this.values[slot]!;
  }

  /**
   * The `limit` best slots, best first; equal scores in slot order (the order
   * chunks were added in), so a search is deterministic. A min-heap of
   * `limit` entries: O(hits · log limit), no sort of every hit.
   */
  top(limit: number): Int32Array {
    const size = Math.min(limit, this.count);
    const heap = new Int32Array(size);
    let filled = 0;
    for (let i = 0; i < this.count; i++) {
      const slot = this.hits[i]!;
      if (filled < size) {
        heap[filled] = slot;
        this.siftUp(heap, filled++);
      } else if (this.before(slot, heap[0]!)) {
        heap[0] = slot;
        this.siftDown(heap, size);
      }
    }
    return heap.sort((a, b) => (this.before(a, b) ? -1 : 1));
  }

  /** Whether slot a ranks above slot b. */
  private before(a: number, b: number): boolean {
    const va = this.values[a]!;
    const vb = this.values[b]!;
    return va > vb || (va === vb && a < b);
  }

  /** Min-heap on rank: the root is the worst slot kept. */
  private siftUp(heap: Int32Array, at: number): void {
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.before(heap[parent]!, heap[at]!)) return;
      [heap[parent], heap[at]] = [heap[at]!, heap[parent]!];
      at = parent;
    }
  }

  private siftDown(heap: Int32Array, size: number): void {
    let at = 0;
    for (;;) {
      const left = at * 2 + 1;
      if (left >= size) return;
      const right = left + 1;
      const worse = right < size && this.before(heap[left]!, heap[right]!) ? right : left;
      if (!this.before(heap[at]!, heap[worse]!)) return;
      [heap[at], heap[worse]] = [heap[worse]!, heap[at]!];
      at = worse;
    }
  }
}
