/**
 * Capture and replay agree on the encoding: the cache stores the body as the middlewares after it
 * produced it, with the `Content-Encoding` they gave it, and replays it through the middlewares
 * before it, which encode it again for each request.
 *
 * - A compressor mounted after the cache (Express `compression()`, Koa `koa-compress` either way,
 *   since Koa encodes `ctx.body` before the bytes are written) hands the cache encoded bytes with
 *   their `Content-Encoding` and `Vary: Accept-Encoding`: stored as sent, each encoding a variant
 *   of its own (RFC 9111 §4.1), and a hit is sent as is.
 * - Express's `compression()` mounted before the cache encodes the bytes after the cache saw them
 *   (it wrapped `res.write`/`res.end` first): the cache stores them unencoded, without the
 *   `Content-Encoding` the compressor set, and on a hit the compressor encodes them again for
 *   that request's `Accept-Encoding` (a client that sends none gets identity).
 */

type StoredHeaders = Array<readonly [string, string | readonly string[]]>;

/** Drops the `Content-Encoding` an outer middleware set: the stored body is not in it. */
export function storeUnencoded(stored: StoredHeaders): void {
  const at = stored.findIndex(([name]) => name === 'content-encoding');
  if (at !== -1) stored.splice(at, 1);
}
