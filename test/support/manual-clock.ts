/** A clock that only moves when a test says so: time semantics without sleeping. */

import type { Clock } from '../../src/core/clock.js';

export interface ManualClock extends Clock {
  /** Moves time forward by `ms` milliseconds. */
  advance(ms: number): void;
  /** Jumps to an absolute time (ms since the epoch). */
  set(ms: number): void;
}

/** Starts at `start` (default 2026-01-05T00:00:00Z, a Monday at UTC midnight). */
export function manualClock(start = Date.UTC(2026, 0, 5)): ManualClock {
  let now = start;
  return {
    now: () => now,
    advance(ms) {
      now += ms;
    },
    set(ms) {
      now = ms;
    },
  };
}
