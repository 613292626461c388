/**
 * GCRA, the token bucket as one number per key: the reference implementation. A Redis store's Lua
 * script must perform exactly these steps, in this order, on IEEE doubles, so that memory and
 * Redis give identical answers.
 */

import type { BucketParams } from '../types.js';

/**
 * Tolerance for float comparisons, in ms: with a rate like 3/s the emission interval (333.33…)
 * is not exact, and a sum of intervals may land a hair beyond the limit.
 */
const EPSILON_MS = 1e-6;

/** A decision plus the TAT to store (unchanged when refused). */
export interface GcraDecision {
  allowed: boolean;
  remaining: number;
  resetMs: number;
  retryAfterMs: number;
  /** The theoretical arrival time to keep for the key: when its bucket is full again. */
  tat: number;
}

/**
 * Decides one request against a bucket whose stored TAT is `tat` (`undefined` = never seen or
 * evicted = full).
 *
 * - The bucket is full at `tat <= now`; it holds `burst - (tat - now) / T` tokens otherwise.
 * - Taking `cost` tokens moves the TAT to `max(tat, now) + cost * T`; that is allowed when the
 *   new TAT is at most `burst * T` ahead of now (the bucket would not go below empty).
 * - A refusal stores nothing, so it spends nothing.
 */
export function gcra(tat: number | undefined, params: BucketParams): GcraDecision {
  const { emissionIntervalMs: interval, burst, cost, now } = params;
  const capacityMs = burst * interval;
  const base = tat === undefined || tat < now ? now : tat;
  const newTat = base + cost * interval;
  const ahead = newTat - now;
  if (ahead > capacityMs + EPSILON_MS) {
    const resetMs = base - now;
    return {
      allowed: false,
      remaining: wholeTokens(capacityMs - resetMs, interval),
      resetMs,
      retryAfterMs: ahead - capacityMs,
      tat: base,
    };
  }
  return {
    allowed: true,
    remaining: wholeTokens(capacityMs - ahead, interval),
    resetMs: ahead,
    retryAfterMs: 0,
    tat: newTat,
  };
}

/** Whole tokens in `ms` worth of refill, forgiving float noise just below a whole number. */
function wholeTokens(ms: number, interval: number): number {
  return Math.max(Math.floor(ms / interval + 1e-9), 0);
}
