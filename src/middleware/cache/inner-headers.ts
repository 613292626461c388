/**
 * CORS headers added by a `cors()` mounted after the cache. Its header hook runs after the
 * cache's, so the cache judges the response without them; but a hit never runs that `cors()`
 * again, so they (and the `Vary: Origin` they come with) are part of the response the cache must
 * replay, or every hit would be unreadable to the browser that got the miss.
 */

import type { OutgoingHttpHeaders } from 'node:http';

type StoredHeaders = Array<readonly [string, string | readonly string[]]>;

function text(value: OutgoingHttpHeaders[string]): string {
  if (value === undefined) return '';
  return Array.isArray(value) ? value.join(', ') : String(value);
}

/**
 * Adds to `stored` the CORS fields and the `Vary` that hooks running after the cache's changed
 * between `judged` (the headers the cache judged) and `sent` (the headers as written). Returns
 * the new `Vary` value when it changed, else undefined.
 */
export function addInnerCorsHeaders(
  stored: StoredHeaders,
  judged: OutgoingHttpHeaders,
  sent: OutgoingHttpHeaders,
): OutgoingHttpHeaders[string] {
  let vary: OutgoingHttpHeaders[string];
  for (const name of Object.keys(sent)) {
    if (name !== 'vary' && !name.startsWith('access-control-')) continue;
    const value = sent[name];
    if (value === undefined || text(judged[name]) === text(value)) continue;
    const at = stored.findIndex(([stored]) => stored === name);
    const entry = [name, typeof value === 'number' ? String(value) : value] as const;
    if (at === -1) stored.push(entry);
    else stored[at] = entry;
    if (name === 'vary') vary = value;
  }
  return vary;
}
