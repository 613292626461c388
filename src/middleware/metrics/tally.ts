/**
 * Counters whose per-request increments are plain additions to a number: prom-client's
 * `counter.inc(labels)` hashes the label values and validates them on every call, so the counts
 * are kept per label set (a `Tally` found once, then reused) and handed to prom-client's counter
 * when it is read (a scrape): O(series) per scrape instead of a hash per request.
 */

import type { Registry } from 'prom-client';
import type { PromClient } from './prom-client.js';

/** Labels of one series, shared with prom-client (never mutated). */
export type Labels = Readonly<Record<string, string>>;

/** The count of one series not yet handed to prom-client. */
export class Tally {
  pending = 0;
  constructor(readonly labels: Labels) {}
}

/** A prom-client counter fed from tallies on each read. */
export class TalliedCounter {
  private readonly tallies: Tally[] = [];

  constructor(
    prom: PromClient,
    registry: Registry,
    name: string,
    help: string,
    labelNames: readonly string[],
  ) {
    const tallies = this.tallies;
    new prom.Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        for (const tally of tallies) {
          if (tally.pending === 0) continue;
          this.inc(tally.labels, tally.pending);
          tally.pending = 0;
        }
      },
    });
  }

  /** A new series of this counter (callers keep it: one per label set). */
  tally(labels: Labels): Tally {
    const tally = new Tally(labels);
    this.tallies.push(tally);
    return tally;
  }
}

/** A tallied counter with one label, its tallies found by the label's value. */
export class KeyedCounter {
  private readonly byValue = new Map<string, Tally>();
  private readonly counter: TalliedCounter;

  constructor(
    prom: PromClient,
    registry: Registry,
    name: string,
    help: string,
    private readonly label: string,
  ) {
    this.counter = new TalliedCounter(prom, registry, name, help, [label]);
  }

  /** Counts one for `value` (a bounded value: a policy, a plan, a response type). */
  add(value: string): void {
    let tally = this.byValue.get(value);
    if (tally === undefined) {
      tally = this.counter.tally({ [this.label]: value });
      this.byValue.set(value, tally);
    }
    tally.pending++;
  }
}
