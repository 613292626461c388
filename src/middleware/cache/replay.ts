/** Answering from a stored entry: a hit (or 304), and a stale entry in place of a failed response. */

import type { ServerResponse } from 'node:http';
import type { Exchange } from '../../core/exchange.js';
import type { CacheEntry } from '../../stores/cache.js';
import { CACHE_STATUS, etagMatches, NOT_MODIFIED_FIELDS, storedEtag } from './headers.js';

/**
 * RFC 9111 §5.1 `Age`: whole seconds since the response was generated. `storedAt` is set back by
 * the upstream's own Age when the entry is stored, so this is that Age plus the time stored.
 */
function age(entry: CacheEntry, now: number): string {
  return String(Math.max(0, Math.floor((now - entry.storedAt) / 1000)));
}

/**
 * Answers `ex` from `entry` with `Cache-Status: status`: the stored headers (an array, set as
 * they are) and body Buffer (sent as is), or a 304 when `If-None-Match` matches its ETag.
 */
export function replay(ex: Exchange, entry: CacheEntry, status: string, now: number): void {
  const res = ex.res;
  const ifNoneMatch = ex.header('if-none-match');
  // RFC 9110 §13.2.1: preconditions are ignored when the response would not be a 2xx; a stored
  // 404 is answered as the 404 it is, never 304.
  const notModified =
    ifNoneMatch !== undefined &&
    entry.status >= 200 &&
    entry.status < 300 &&
    etagMatches(ifNoneMatch, storedEtag(entry));
  for (const [name, value] of entry.headers) {
    if (!notModified || NOT_MODIFIED_FIELDS.has(name)) res.setHeader(name, value);
  }
  res.setHeader('age', age(entry, now));
  res.setHeader('cache-status', status);
  ex.gateway.cache = status;
  if (notModified) ex.respond(304, null);
  else ex.respond(entry.status, entry.body);
}

/**
 * Turns the failed response about to be written on `res` into `entry`'s (stale-if-error):
 * replaces status and headers, keeping the request id and any CORS headers, and returns the
 * body to send instead of the handler's.
 */
export function replaceWithStale(ex: Exchange, entry: CacheEntry, now: number): Buffer {
  const res: ServerResponse = ex.res;
  for (const name of res.getHeaderNames()) {
    if (name !== 'x-request-id' && !name.startsWith('access-control-')) res.removeHeader(name);
  }
  for (const [name, value] of entry.headers) res.setHeader(name, value);
  res.statusCode = entry.status;
  res.setHeader('content-length', entry.body.length);
  res.setHeader('age', age(entry, now));
  res.setHeader('cache-status', CACHE_STATUS.stale);
  ex.gateway.cache = CACHE_STATUS.stale;
  return entry.body;
}
