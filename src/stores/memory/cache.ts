/** The in-memory cache store: one `lru-cache` bounded by bytes, shared by any number of namespaces. */

import { LRUCache } from 'lru-cache';
import { type Clock, systemClock } from '../../core/clock.js';
import { assertKnownOptions, assertNumber, assertOptionsObject } from '../../core/validate.js';
import { type CacheEntry, type CacheStore, type CacheUsage, cacheEntrySize } from '../cache.js';

export interface MemoryCacheStoreOptions {
  /**
   * Most bytes held (bodies, headers, keys and a measured ~768 B per entry for the objects that
   * hold them); least-recently-used entries are evicted past it. @default 64 MiB
   */
  maxSize?: number;
  /** Time source for expiring entries at `staleUntil`. @default systemClock */
  clock?: Clock;
}

export const MEMORY_CACHE_STORE_DEFAULTS = {
  maxSize: 64 * 1024 * 1024,
  clock: systemClock,
} as const satisfies MemoryCacheStoreOptions;

const SCOPE = 'memoryCacheStore';

/**
 * What one entry costs the process beyond its key, header and body bytes: the entry object, its
 * header arrays and strings, the Buffer object, the LRU's node. Measured with
 * `bench/memory/cache.mjs` on Node 20 (about 790 B of heap and buffers per entry for 100 B and
 * for 64 KiB bodies alike); counting it keeps a cache of many small entries near `maxSize`
 * instead of several times over it.
 */
export const MEMORY_ENTRY_OVERHEAD = 768;

const entrySize = (key: string, entry: CacheEntry): number =>
  cacheEntrySize(key, entry, MEMORY_ENTRY_OVERHEAD);

/**
 * The memory cache store's `get` without the Promise, for `cache()`: a hit then costs no async
 * function and no await (as `kConsumeBucketNow` does for `throttle()`). Symbol-keyed and internal:
 * the public `CacheStore` contract still returns Promises.
 */
export const kCacheGetNow = Symbol('portcullis.memory.cacheGetNow');

/** The synchronous read behind `kCacheGetNow`. */
export type CacheGetNow = (key: string) => CacheEntry | undefined;

/** The memory cache store: the public `CacheStore`, plus its internal synchronous read. */
export interface MemoryCacheStore extends CacheStore {
  /** @internal The read without a Promise (see `kCacheGetNow`). */
  readonly [kCacheGetNow]: CacheGetNow;
}

/**
 * A byte-bounded LRU of cached responses, for one process. Pass one instance to several
 * `cache()` middlewares to share the memory budget; each keeps its own namespace.
 *
 * @example
 * const store = memoryCacheStore({ maxSize: 16 * 1024 * 1024 });
 * app.get('/a', gateway.cache({ ttl: 60, store }), a);
 */
export function memoryCacheStore(options: MemoryCacheStoreOptions = {}): MemoryCacheStore {
  assertOptionsObject(SCOPE, options);
  assertKnownOptions(SCOPE, options, Object.keys(MEMORY_CACHE_STORE_DEFAULTS));
  const { maxSize, clock } = { ...MEMORY_CACHE_STORE_DEFAULTS, ...options };
  assertNumber(SCOPE, 'maxSize', maxSize, {
    min: 1,
    integer: true,
    expected: 'a whole number of bytes (1 or more)',
  });
  const lru = new LRUCache<string, CacheEntry>({
    maxSize,
    sizeCalculation: (entry, key) => entrySize(key, entry),
    // Expired entries are dropped lazily on access or by LRU pressure: no timers.
    perf: clock,
    // Read the clock on every check: lru-cache otherwise caches "now" behind a real timer, which
    // an injected clock does not move.
    ttlResolution: 0,
  });

  return {
    async get(key) {
      return lru.get(key);
    },
    [kCacheGetNow]: (key) => lru.get(key),
    async set(key, entry) {
      // lru-cache refuses a TTL of 0; an entry already past staleUntil is simply not kept.
      const ttl = entry.staleUntil - clock.now();
      if (ttl <= 0) lru.delete(key);
      else lru.set(key, entry, { ttl });
    },
    async delete(key) {
      return lru.delete(key);
    },
    async keys(prefix) {
      const out: string[] = [];
      for (const key of lru.keys()) if (key.startsWith(prefix)) out.push(key);
      return out;
    },
    async clear(prefix) {
      // Collect first: deleting while iterating an LRU's key list would skip entries.
      for (const key of [...lru.keys()]) if (key.startsWith(prefix)) lru.delete(key);
    },
    async usage(prefix): Promise<CacheUsage> {
      let entries = 0;
      let bytes = 0;
      for (const [key, entry] of lru.entries()) {
        if (!key.startsWith(prefix)) continue;
        if (entry.vary === undefined) entries += 1;
        bytes += entrySize(key, entry);
      }
      return { entries, bytes };
    },
  };
}
