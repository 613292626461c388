/** Cache keys: namespace, path, normalised query, origin, listed request headers, `key(req)`, Vary values. */

import type { Exchange } from '../../core/exchange.js';
import { originForm, pathEnd, queryOf, searchParams } from '../../core/target.js';
import type { CacheConfig } from './options.js';

/*
 * Layout: `<namespace>:<path>?<sorted query>\n<protocol>://<host>\n<header value>\n...\n<key(req)>`
 * (the origin unless `host: false`), and for a variant
 * of a response with Vary, `<base key>\0<varied header value>\0...`. A request path cannot
 * contain '?' and a URL or a header value cannot contain '\n' or '\0', so the parts never run
 * into one another and the path can be read back from a key (invalidation by path).
 * GET and HEAD share keys: HEAD is answered from the GET entry.
 */

/** Marks an absent header, so that "absent" and "empty" are different keys. */
const ABSENT = '\u0001';

/** The key of `ex`'s request, before any Vary. Throws when `key(req)` does. */
export function baseKey(config: CacheConfig, ex: Exchange): string {
  // The path and query as the router reads them: a fragment is neither (`/x#?a=1` is `/x`), and
  // an absolute form's authority is no part of them (`http://h/x` is `/x`, for the Host sent).
  const url = originForm(ex.originalUrl);
  const end = pathEnd(url);
  let key = `${config.prefix}${end === url.length ? url : url.slice(0, end)}?`;
  if (config.query !== false) {
    const query = queryOf(url, end);
    if (query !== undefined) key += normaliseQuery(query, config.query);
  }
  // Virtual hosts of one app serve different responses at one path (RFC 9111 §2: the key is
  // the target URI, whose authority is the Host).
  // (Built onto the key: no origin string of its own.)
  if (config.host) key = ex.targetOriginAfter(`${key}\n`);
  // Indexed: a for-of here ran through the array iterator builtin on every request.
  const { headers } = config;
  for (let i = 0; i < headers.length; i++) key += `\n${ex.header(headers[i]!) ?? ABSENT}`;
  if (config.key !== undefined) {
    const extra = config.key(ex.native);
    if (typeof extra !== 'string')
      throw new TypeError(`portcullis.cache: key(req) must return a string, got ${typeof extra}`);
    key += `\n${extra}`;
  }
  return key;
}

/** The key of one variant of a response that varies on `vary` (lower-case request header names). */
export function variantKey(base: string, vary: readonly string[], ex: Exchange): string {
  let key = base;
  for (const name of vary) key += `\0${ex.header(name) ?? ABSENT}`;
  return key;
}

/**
 * Sorts parameters by name (keeping the order of repeated ones) and re-encodes them, so that
 * `?b=2&a=1` and `?a=1&b=2` share an entry; `only` keeps the listed parameters.
 */
export function normaliseQuery(search: string, only: true | ReadonlySet<string>): string {
  if (search === '') return '';
  const params = [...searchParams(search)];
  const kept = only === true ? params : params.filter(([name]) => only.has(name));
  kept.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return new URLSearchParams(kept).toString();
}

/** The path and query a key was made for (the inverse of `baseKey` for invalidation). */
export function keyTarget(prefix: string, key: string): { path: string; query: string } {
  const rest = key.slice(prefix.length);
  const mark = rest.indexOf('?');
  const end = rest.search(/[\n\0]/);
  return {
    path: rest.slice(0, mark),
    query: rest.slice(mark + 1, end === -1 ? undefined : end),
  };
}
