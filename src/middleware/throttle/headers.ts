/**
 * The IETF RateLimit fields as pure functions (draft-ietf-httpapi-ratelimit-headers): structured
 * field lists, one item per policy, so that stacked throttles and a quota each add their own.
 *
 * @see https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/
 */

import type { Exchange } from '../../core/exchange.js';

export const RATELIMIT_POLICY = 'ratelimit-policy';
export const RATELIMIT = 'ratelimit';

/**
 * A policy name as an sf-string (RFC 8941 §3.3.3): in quotes, with `\` and `"` escaped. The
 * draft makes the policy identifier a String; built once at start-up, never per request.
 */
export function policyLabel(name: string): string {
  if (!SF_STRING_CHARS.test(name))
    throw new TypeError(`portcullis: policy name ${JSON.stringify(name)} is not printable ASCII`);
  return `"${name.replace(/[\\"]/g, '\\$&')}"`;
}

/** What an sf-string may hold (RFC 8941 §3.3.3): printable ASCII and space. */
const SF_STRING_CHARS = /^[\x20-\x7e]*$/;

/**
 * A `RateLimit-Policy` item: `<label>;q=<quota>;w=<window seconds>`, where `q` is a non-negative
 * Integer and `w` a positive Integer (draft-ietf-httpapi-ratelimit-headers §4.1). Built once.
 */
export function policyItem(label: string, quota: number, windowSeconds: number): string {
  return `${label};q=${quota};w=${windowSeconds}`;
}

/** Longest window a bucket policy states, in seconds: one day. */
const MAX_WINDOW_SECONDS = 86_400;

/**
 * The `q` and `w` that state a token bucket's rate exactly: `q = burst` over the refill time
 * `w = burst / rate` when that is a whole number of seconds (the draft has no sub-second windows),
 * else the shortest whole window in which the rate adds a whole number of tokens (`q = rate × w`:
 * 3/s with a burst of 7 is `q=3;w=1`, 0.4/s is `q=2;w=5`). A rate with no such window up to a day
 * states the whole tokens of a day, `q = floor(rate × 86400);w=86400`.
 */
export function bucketQuotaWindow(rate: number, burst: number): { q: number; w: number } {
  const refill = burst / rate;
  if (isWhole(refill) && Math.round(refill) >= 1) return { q: burst, w: Math.round(refill) };
  for (let w = 1; w <= MAX_WINDOW_SECONDS; w++) {
    const q = rate * w;
    if (isWhole(q)) return { q: Math.round(q), w };
  }
  return { q: Math.floor(rate * MAX_WINDOW_SECONDS), w: MAX_WINDOW_SECONDS };
}

/** Whole up to float noise (`0.1 * 30` is `3.0000000000000004`). */
function isWhole(x: number): boolean {
  return Math.abs(x - Math.round(x)) < 1e-9 * Math.max(1, Math.abs(x));
}

/**
 * A `RateLimit` item: `<label>;r=<remaining>;t=<seconds>` (draft §5.1): `r` the remaining quota
 * units, `t` the delay-seconds until the limit is restored, both non-negative Integers.
 */
export function rateLimitItem(label: string, remaining: number, resetMs: number): string {
  return `${label};r=${remaining};t=${Math.ceil(resetMs / 1000)}`;
}

/** `Retry-After` in whole seconds, at least 1 (RFC 9110 §10.2.3: delay-seconds is an integer). */
export function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}

/** Adds an item to a structured-field list header set earlier on this response (or starts it). */
export function appendListItem(ex: Exchange, name: string, item: string): void {
  const existing = ex.getHeader(name);
  ex.setHeader(name, existing === undefined ? item : `${String(existing)}, ${item}`);
}

/**
 * A policy name usable inside an sf-string: printable ASCII without `"` and `\` (which would need
 * escaping), at most 64 characters.
 */
export const POLICY_NAME = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,64}$/;
