/** Pure HTTP rules of the cache: what may be stored, what is replayed, validators, Cache-Status. */

import { createHash } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import { HOP_BY_HOP_HEADERS } from '../../core/headers.js';
import type { CacheEntry } from '../../stores/cache.js';

/** Connection-specific fields (RFC 9110 §7.6.1) and what the gateway sets per response. */
const NOT_STORED = new Set([
  ...HOP_BY_HOP_HEADERS,
  // Framing: recomputed from the stored body.
  'content-length',
  // Per response: each gets its own id, Age and Cache-Status; CORS is added per request by cors().
  'x-request-id',
  // Per client and moment: a throttle mounted after the cache sets them on the miss only.
  'ratelimit',
  'ratelimit-policy',
  'age',
  'cache-status',
]);

/** Why a response is not stored, or `undefined` when it may be. */
export function unstorableReason(
  status: number,
  headers: OutgoingHttpHeaders,
  statuses: ReadonlySet<number>,
  maxEntrySize: number,
): string | undefined {
  if (!statuses.has(status)) return 'status';
  if (headers['set-cookie'] !== undefined) return 'set-cookie';
  const cacheControl = headerString(headers['cache-control']).toLowerCase();
  // RFC 9111 §5.2.2: no-store forbids storing; private forbids a shared cache; no-cache would
  // need revalidation on every use, which this cache does not do.
  if (/(?:^|,)\s*(?:no-store|private|no-cache)\b/.test(cacheControl)) return 'cache-control';
  if (
    headerString(headers.vary)
      .split(',')
      .some((name) => name.trim() === '*')
  )
    return 'vary';
  const length = headers['content-length'];
  if (length !== undefined && Number(length) > maxEntrySize) return 'size';
  return undefined;
}

/**
 * The headers of a response worth replaying, lower-case names, minus hop-by-hop and
 * per-response ones, and minus those in `before` (set per request by earlier middlewares) when
 * they still have the same value.
 */
export function storableHeaders(
  headers: OutgoingHttpHeaders,
  before: OutgoingHttpHeaders,
): Array<readonly [string, string | readonly string[]]> {
  // RFC 9110 §7.6.1: fields named in Connection are hop-by-hop too.
  const connection = headerString(headers.connection).toLowerCase();
  const out: Array<readonly [string, string | readonly string[]]> = [];
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined || NOT_STORED.has(name) || name.startsWith('access-control-')) continue;
    if (before[name] !== undefined && headerString(before[name]) === headerString(value)) continue;
    if (connection !== '' && connection.split(',').some((field) => field.trim() === name)) continue;
    out.push([name, typeof value === 'number' ? String(value) : value]);
  }
  return out;
}

/** The lower-case request header names of a `Vary` value. */
export function varyNames(vary: OutgoingHttpHeaders[string]): string[] {
  const names: string[] = [];
  for (const field of headerString(vary).split(',')) {
    const name = field.trim().toLowerCase();
    if (name !== '' && !names.includes(name)) names.push(name);
  }
  return names;
}

/** A request's ask to bypass stored responses: `Cache-Control: no-cache`/`max-age=0`, `Pragma: no-cache`. */
export function asksForRefresh(
  cacheControl: string | undefined,
  pragma: string | undefined,
): boolean {
  if (
    cacheControl !== undefined &&
    /(?:^|,)\s*(?:no-cache|max-age\s*=\s*0+)\s*(?:,|$)/i.test(cacheControl)
  )
    return true;
  // RFC 9111 §5.4: Pragma counts only without a Cache-Control header.
  return cacheControl === undefined && pragma !== undefined && /no-cache/i.test(pragma);
}

/**
 * A request's `Cache-Control: no-store` (RFC 9111 §5.2.1.5): the response to it must not be
 * stored. Read on misses only; a hit may still answer it (the directive forbids storing, not
 * using what is stored).
 */
export function forbidsStoring(cacheControl: string | undefined): boolean {
  return cacheControl !== undefined && /(?:^|,)\s*no-store\s*(?:,|$)/i.test(cacheControl);
}

/** RFC 9111 §1.2.2: a delta-seconds value too large to represent counts as 2^31. */
const MAX_DELTA_SECONDS = 2 ** 31;

/**
 * The upstream's `Age` in milliseconds (RFC 9111 §5.1), so that a hit's Age counts the time
 * the response spent in caches before ours too (§4.2.3). An invalid value is ignored (0).
 */
export function upstreamAgeMs(value: OutgoingHttpHeaders[string]): number {
  if (value === undefined) return 0;
  const text = String(value).trim();
  if (!/^\d+$/.test(text)) return 0;
  return Math.min(Number(text), MAX_DELTA_SECONDS) * 1000;
}

/** A strong validator for a body that came without an ETag: a hash of its bytes. */
export function computeEtag(body: Buffer): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

/**
 * Whether `If-None-Match` matches `etag`. RFC 9110 §13.1.2 uses the weak comparison: `W/"x"`
 * matches `"x"`.
 */
export function etagMatches(ifNoneMatch: string, etag: string | undefined): boolean {
  if (ifNoneMatch.trim() === '*') return true;
  if (etag === undefined) return false;
  const opaque = stripWeak(etag);
  return ifNoneMatch.split(',').some((tag) => stripWeak(tag.trim()) === opaque);
}

function stripWeak(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

/** The ETag among stored headers. */
export function storedEtag(entry: CacheEntry): string | undefined {
  for (const [name, value] of entry.headers) if (name === 'etag') return headerString(value);
  return undefined;
}

/** Fields a 304 carries from the stored response (RFC 9110 §15.4.5). */
export const NOT_MODIFIED_FIELDS = new Set([
  'cache-control',
  'content-location',
  'date',
  'etag',
  'expires',
  'vary',
]);

function headerString(value: OutgoingHttpHeaders[string] | readonly string[]): string {
  if (value === undefined) return '';
  return Array.isArray(value) ? value.join(', ') : String(value);
}

/** RFC 9211 Cache-Status values. `portcullis` is the cache's name in the header. */
export const CACHE_STATUS = {
  stored: 'portcullis; fwd=miss; stored',
  miss: 'portcullis; fwd=miss',
  refreshed: 'portcullis; fwd=request; stored',
  refresh: 'portcullis; fwd=request',
  collapsed: 'portcullis; fwd=miss; collapsed',
  bypass: 'portcullis; fwd=bypass',
  stale: 'portcullis; hit; detail=stale',
} as const;

/** `portcullis; hit; ttl=<remaining seconds>`. */
export function hitStatus(remainingSeconds: number): string {
  return `portcullis; hit; ttl=${remainingSeconds}`;
}
