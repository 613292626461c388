/**
 * The memory store's token buckets: one number per key (its TAT, see `gcra.ts`), and the two ways
 * idle ones (full again, the same as absent) are dropped: a few inspected on each operation, and
 * a whole pass, a chunk at a time, driven by the store's timer. The per-operation sweep alone
 * chases the newest entries under load and leaves most idle ones behind; the pass visits every
 * entry, so each idle bucket is gone within one pass of going idle.
 */

export class BucketTable {
  /** Key → TAT (when the bucket is full again). Absent = full. */
  private tats = new Map<string, number>();
  /** Most buckets held since the Map was last rebuilt: its hash table is sized for them. */
  private peak = 0;
  /** The per-operation sweep's place: Map iterators survive deletions and see later insertions. */
  private sweepCursor: MapIterator<[string, number]> | undefined;
  /** The timer pass's place, undefined between passes. */
  private passCursor: MapIterator<[string, number]> | undefined;
  /** The latest decision time seen: what the timer pass treats as now (never a guess ahead). */
  latestNow = Number.NEGATIVE_INFINITY;

  get size(): number {
    return this.tats.size;
  }

  get(key: string): number | undefined {
    return this.tats.get(key);
  }

  set(key: string, tat: number, now: number): void {
    this.tats.set(key, tat);
    if (now > this.latestNow) this.latestNow = now;
    if (this.tats.size > this.peak) this.peak = this.tats.size;
  }

  /** Inspects `count` buckets where the last call stopped, dropping those full at `now`. */
  sweep(now: number, count: number): void {
    for (let i = 0; i < count; i++) {
      this.sweepCursor ??= this.tats.entries();
      const step = this.sweepCursor.next();
      if (step.done === true) {
        this.sweepCursor = undefined;
        return;
      }
      if (step.value[1] <= now) this.tats.delete(step.value[0]);
    }
  }

  /**
   * Goes on with the timer's pass over every bucket, dropping those full at `latestNow`, for at
   * most `budget` buckets; true when the pass is not finished.
   */
  pass(budget: number): boolean {
    this.passCursor ??= this.tats.entries();
    for (let i = 0; i < budget; i++) {
      const step = this.passCursor.next();
      if (step.done === true) {
        this.passCursor = undefined;
        this.compact();
        return false;
      }
      if (step.value[1] <= this.latestNow) this.tats.delete(step.value[0]);
    }
    return true;
  }

  /**
   * A Map keeps the hash table of its largest size after deletions: once it holds a small part of
   * its peak, a copy of what is left gives that memory back.
   */
  private compact(): void {
    if (this.tats.size * 8 > this.peak) return;
    this.tats = new Map(this.tats);
    this.peak = this.tats.size;
    this.sweepCursor = undefined;
  }

  /** Drops every bucket full at `now`. */
  prune(now: number): void {
    for (const [key, tat] of this.tats) if (tat <= now) this.tats.delete(key);
    this.sweepCursor = undefined;
    this.passCursor = undefined;
  }
}
