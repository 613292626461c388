/** The cache store contract: where `cache()` keeps responses. Small, Promise-based, Redis-ready. */

/**
 * A stored response. Everything a store needs to keep is here and plain: a Redis store can keep
 * `body` as a binary field and the rest as JSON, and expire the key at `staleUntil`.
 *
 * A `CacheEntry` with `vary` set is a Vary index rather than a response: the response stored for
 * this key varied on those request headers (RFC 9111 §4.1), and each variant is stored under its
 * own key; its `status` is 0, its `headers` and `body` empty.
 */
export interface CacheEntry {
  /** Response status. */
  readonly status: number;
  /**
   * Response headers to replay, lower-case names, in the order they were set; hop-by-hop,
   * per-request (`x-request-id`, `access-control-*`) and framing (`content-length`) headers are
   * never stored.
   */
  readonly headers: ReadonlyArray<readonly [name: string, value: string | readonly string[]]>;
  /** The body bytes exactly as sent to the first client. */
  readonly body: Buffer;
  /**
   * When the response was generated, in ms since the epoch (the middleware's clock): the time it
   * was stored, less the `Age` it arrived with (RFC 9111 §4.2.3), so that a hit's `Age` is
   * `now - storedAt`. It may therefore lie before the moment `set` was called.
   */
  readonly storedAt: number;
  /** When it stops being fresh (`storedAt + ttl`). */
  readonly expiresAt: number;
  /** When it may no longer be served even on an error (`expiresAt + staleIfError`); the store may drop it from then on. */
  readonly staleUntil: number;
  /** Set on a Vary index only: the lower-case request header names the response varied on. */
  readonly vary?: readonly string[];
}

/** What a namespace of the store holds. */
export interface CacheUsage {
  /** Stored responses (Vary indexes are not counted). */
  readonly entries: number;
  /** Approximate bytes: bodies, headers and keys. */
  readonly bytes: number;
}

/**
 * Where responses are kept. Every method returns a Promise so that a networked store (Redis)
 * fits the same contract; none may reject for a missing key. Keys are strings the middleware
 * builds, each starting with the middleware's namespace (`prefix` below).
 *
 * `cache()` also accepts a store whose methods answer plain values (a synchronous store), and
 * survives one that throws, rejects or answers the wrong type: such a call is a miss (a failed
 * write costs a later miss), counted in `stats().storeErrors` and reported once per outage (a
 * `PORTCULLIS_STORE_DOWN` process warning, then `PORTCULLIS_STORE_UP`).
 *
 * A write issued before a `delete` or `clear` of the same key must not land after it (one
 * connection, in order): `invalidate()` relies on it to win over responses being stored.
 *
 * A store may drop an entry at any time before `staleUntil` (memory pressure, LRU), and may still
 * return one after it: the middleware checks freshness with its own clock.
 */
export interface CacheStore {
  /** The entry stored under `key`, or `undefined`. */
  get(key: string): Promise<CacheEntry | undefined>;
  /** Stores (or replaces) `entry` under `key`, to be kept until `entry.staleUntil` at most. */
  set(key: string, entry: CacheEntry): Promise<void>;
  /** Removes `key`; resolves `true` when it was there. */
  delete(key: string): Promise<boolean>;
  /** Every key starting with `prefix` (for invalidation by path; Redis: `SCAN MATCH prefix*`). */
  keys(prefix: string): Promise<string[]>;
  /** Removes every key starting with `prefix`. */
  clear(prefix: string): Promise<void>;
  /** Entries and bytes held under `prefix`. */
  usage(prefix: string): Promise<CacheUsage>;
  /**
   * Optional: invalidation generations, for a store shared by several processes (Redis). Without
   * it, `invalidate()` and `clear()` win only over the misses running in their own process.
   */
  readonly generations?: CacheGenerations;
}

/**
 * An invalidation generation per namespace (`prefix`), so that `invalidate()` and `clear()` on one
 * instance win over a miss already running on another: the miss reads the generation before its
 * handler runs, invalidation bumps it before removing entries, and the miss's write only lands if
 * the generation is unchanged (atomically: a write checked before a bump is seen by the removal
 * after it). Generations are per namespace, not per path: an invalidation costs the misses of the
 * whole namespace in flight at that moment their write, never a wrong response.
 */
export interface CacheGenerations {
  /** The current generation of `prefix` (any string; a namespace never invalidated has one too). */
  read(prefix: string): Promise<string>;
  /** Moves `prefix` to a new generation, never one it had before. */
  bump(prefix: string): Promise<void>;
  /** `set(key, entry)` if `prefix`'s generation is still `generation`; resolves whether it stored. */
  setIf(prefix: string, generation: string, key: string, entry: CacheEntry): Promise<boolean>;
}

/**
 * Approximate size of an entry in bytes, used for byte-bounded stores and `usage()`: its key,
 * header and body bytes plus `overhead`, a fixed cost per entry for the objects that hold them
 * and the store's own bookkeeping (each store knows its own).
 */
export function cacheEntrySize(key: string, entry: CacheEntry, overhead = 64): number {
  let size = overhead + key.length + entry.body.length;
  for (const [name, value] of entry.headers) {
    size += name.length + (typeof value === 'string' ? value.length : value.join('').length);
  }
  if (entry.vary !== undefined) for (const name of entry.vary) size += name.length;
  return size;
}
