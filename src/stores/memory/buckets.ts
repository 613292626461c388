/**
 * The memory store's token buckets: one number per key (its TAT, see `gcra.ts`), in a Map kept in
 * the order of last update, so that the buckets that went idle first are at its front. Eviction
 * then only ever looks at the front: it drops buckets that are full again until it meets one that
 * is not, and never walks past live ones (a sweep over the whole Map in insertion order kept
 * re-reading young buckets and left most idle ones behind).
 */

export class BucketTable {
  /** Key → TAT (when the bucket is full again), oldest update first. Absent = full. */
  private readonly tats = new Map<string, number>();
  /** A live iterator from the front; Map iterators survive deletions and see later insertions. */
  private cursor: MapIterator<[string, number]> | undefined;
  /** The front entry the last sweep stopped at, still to be decided. */
  private pending: [string, number] | undefined;
  /** The latest decision time seen: what a timer-driven sweep may treat as now. */
  latestNow = Number.NEGATIVE_INFINITY;

  get size(): number {
    return this.tats.size;
  }

  get(key: string): number | undefined {
    return this.tats.get(key);
  }

  /** Stores a bucket's new TAT and moves it to the back (the most recently updated). */
  set(key: string, tat: number, now: number): void {
    this.tats.delete(key);
    this.tats.set(key, tat);
    if (now > this.latestNow) this.latestNow = now;
  }

  /**
   * Drops up to `budget` buckets full at `now` from the front, stopping at the first that is not
   * full yet. Resolves true when it stopped for the budget (more may be left to drop).
   */
  sweep(now: number, budget: number): boolean {
    for (let i = 0; i < budget; i++) {
      if (this.pending === undefined) {
        this.cursor ??= this.tats.entries();
        const step = this.cursor.next();
        if (step.done === true) {
          this.cursor = undefined;
          return false;
        }
        this.pending = step.value;
      }
      const [key, tat] = this.pending;
      // Updated since it was read: it moved to the back, behind the cursor's way.
      if (this.tats.get(key) !== tat) {
        this.pending = undefined;
        continue;
      }
      // The oldest update is not full yet: younger ones of the same shape are not either. A
      // bucket of a slower shape can hold the front for at most its own refill time.
      if (tat > now) return false;
      this.tats.delete(key);
      this.pending = undefined;
    }
    return true;
  }

  /** Drops every bucket full at `now`, wherever it is. */
  prune(now: number): void {
    for (const [key, tat] of this.tats) if (tat <= now) this.tats.delete(key);
    this.cursor = undefined;
    this.pending = undefined;
  }
}
