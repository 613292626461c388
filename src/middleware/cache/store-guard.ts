/**
 * Calling a cache store the app gave us: any method may return a value or a Promise, throw,
 * reject, or answer the wrong type. A request never fails or crashes the process because of it:
 * a failed read is a miss, a failed write costs a later miss.
 */

import type { CacheEntry, CacheStore } from '../../stores/cache.js';

/** A store's failures as one middleware sees them: counted, and the first one logged. */
export class StoreGuard {
  /** Store calls that threw, rejected or answered the wrong type (`stats().storeErrors`). */
  errors = 0;
  private logged = false;

  constructor(
    private readonly store: CacheStore,
    private readonly namespace: string,
  ) {}

  /**
   * Counts a failure; logs only the first, so that an outage spanning a million requests is one
   * line, not a million (the Redis store reports its own up/down changes besides).
   */
  fail(method: string, error: unknown): void {
    this.errors += 1;
    if (this.logged) return;
    this.logged = true;
    console.warn(
      `portcullis.cache: the cache store's ${method}() failed for namespace "${this.namespace}" ` +
        `(${describeError(error)}); requests are answered as misses. Later store errors are ` +
        'counted in stats().storeErrors, not logged.',
    );
  }

  /**
   * What `store.get()` answered, checked: an entry, or `undefined` for anything else (a miss;
   * counted as an error unless it is `undefined` or `null`, how many clients say "absent").
   */
  entry(value: unknown): CacheEntry | undefined {
    if (value === undefined || value === null) return undefined;
    if (isCacheEntry(value)) return value;
    this.fail('get', new TypeError(`returned ${typeName(value)}, not a CacheEntry or undefined`));
    return undefined;
  }

  /** `store.set(key, entry)`; the Promise settles when the write did, and never rejects. */
  set(key: string, entry: CacheEntry): Promise<void> {
    try {
      const result: unknown = this.store.set(key, entry);
      if (!isThenable(result)) return DONE;
      return Promise.resolve(result).then(noop, (error: unknown) => this.fail('set', error));
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
const noop = (): void => {};

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

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
