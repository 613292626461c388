/**
 * The IETF RateLimit fields as pure functions (draft-ietf-httpapi-ratelimit-headers): structured
 * field lists, one item per policy, so that stacked throttles and a quota each add their own.
 *
 * @see https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/
 */

import type { Exchange } from '../../core/exchange.js';

export const RATELIMIT_POLICY = 'ratelimit-policy';
export const RATELIMIT = 'ratelimit';

/** A `RateLimit-Policy` item: `"<name>";q=<quota>;w=<window seconds>`. Built once at start-up. */
export function policyItem(name: string, quota: number, windowSeconds: number): string {
  return `"${name}";q=${quota};w=${windowSeconds}`;
}

/** A `RateLimit` item: `"<name>";r=<remaining>;t=<seconds until the limit is restored>`. */
export function rateLimitItem(name: string, remaining: number, resetMs: number): string {
  return `"${name}";r=${remaining};t=${Math.ceil(resetMs / 1000)}`;
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
