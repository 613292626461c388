/**
 * Calling a cache store the app gave us: any method may return a value or a Promise, throw,
 * reject, or answer the wrong type. A request never fails or crashes the process because of it:
 * a failed read is a miss, a failed write costs a later miss.
 */

import type { CacheEntry, CacheStore } from '../../stores/cache.js';
import { StoreHealth } from '../throttle/bucket.js';

/** A store's failures as one middleware sees them: counted, and told once per outage. */
export class StoreGuard {
  /** Store calls that threw, rejected or answered the wrong type (`stats().storeErrors`). */
  errors = 0;
  /**
   * Reads and writes are watched apart (a `PORTCULLIS_STORE_DOWN` warning when one starts failing,
   * `PORTCULLIS_STORE_UP` when it works again), so that a store whose reads work and writes fail
   * warns once, not at every request.
   */
  private readonly reads = new StoreHealth('cache');
  private readonly writes = new StoreHealth('cache');

  constructor(private readonly store: CacheStore) {}

  /** Counts a failure of `method`; the first of an outage is a process warning. */
  fail(method: string, error: unknown): void {
    this.errors += 1;
    const reason = `${method}(): ${error instanceof Error ? error.message : String(error)}`;
    if (method === 'set') this.writes.failed(reason, 'responses are not stored');
    else this.reads.failed(reason, 'requests are answered as misses');
  }

  /**
   * What `store.get()` answered, checked: an entry, or `undefined` for anything else (a miss;
   * counted as an error unless it is `undefined` or `null`, how many clients say "absent").
   */
  entry(value: unknown): CacheEntry | undefined {
    if (value === undefined || value === null) {
      this.reads.ok();
      return undefined;
    }
    if (isCacheEntry(value)) {
      this.reads.ok();
      return value;
    }
    this.fail('get', new TypeError(`returned ${typeName(value)}, not a CacheEntry or undefined`));
    return undefined;
  }

  /** `store.set(key, entry)`; the Promise settles when the write did, and never rejects. */
  set(key: string, entry: CacheEntry): Promise<void> {
    try {
      const result: unknown = this.store.set(key, entry);
      if (!isThenable(result)) {
        this.writes.ok();
        return DONE;
      }
      return Promise.resolve(result).then(
        () => this.writes.ok(),
        (error: unknown) => this.fail('set', error),
      );
    } catch (error) {
      this.fail('set', error);
      return DONE;
    }
  }

  /** `store.usage(prefix)` for `stats()`; a failure counts an error and reports nothing stored. */
  async usage(prefix: string): Promise<{ entries: number; storedBytes: number }> {
    try {
      const usage: unknown = await this.store.usage(prefix);
      const { entries, bytes } = (usage ?? {}) as { entries?: unknown; bytes?: unknown };
      if (typeof entries === 'number' && typeof bytes === 'number')
        return { entries, storedBytes: bytes };
      this.fail('usage', new TypeError('did not answer { entries, bytes }'));
    } catch (error) {
      this.fail('usage', error);
    }
    return { entries: 0, storedBytes: 0 };
  }
}

const DONE = Promise.resolve();

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** The shape `replay()` relies on; checked on every read from a store that is not ours. */
export function isCacheEntry(value: unknown): value is CacheEntry {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry.status === 'number' &&
    Array.isArray(entry.headers) &&
    Buffer.isBuffer(entry.body) &&
    typeof entry.storedAt === 'number' &&
    typeof entry.expiresAt === 'number' &&
    typeof entry.staleUntil === 'number' &&
    (entry.vary === undefined || Array.isArray(entry.vary))
  );
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object of another shape' : `a ${typeof value}`;
}
