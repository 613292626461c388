/**
 * Calling a cache store the app gave us: any method may return a value or a Promise, throw,
 * reject, or answer the wrong type. A request never fails or crashes the process because of it:
 * a failed read is a miss, a failed write costs a later miss.
 */

import type { CacheEntry, CacheGenerations, CacheStore } from '../../stores/cache.js';
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
    return this.write(() => this.store.set(key, entry));
  }

  /**
   * `generations.setIf(...)`: stores only if no invalidation bumped `prefix`'s generation since
   * the miss read it. Settles when the write did, and never rejects.
   */
  setIf(
    generations: CacheGenerations,
    prefix: string,
    generation: string,
    key: string,
    entry: CacheEntry,
  ): Promise<void> {
    return this.write(() => generations.setIf(prefix, generation, key, entry));
  }

  /**
   * `generations.read(prefix)` when a miss starts; `undefined` when it failed or answered something
   * else than a string (the miss then stores nothing: it could not tell an invalidation from none).
   */
  async generation(generations: CacheGenerations, prefix: string): Promise<string | undefined> {
    try {
      const generation: unknown = await generations.read(prefix);
      if (typeof generation === 'string') {
        this.reads.ok();
        return generation;
      }
      this.fail(
        'generations.read',
        new TypeError(`returned ${typeName(generation)}, not a string`),
      );
    } catch (error) {
      this.fail('generations.read', error);
    }
    return undefined;
  }

  /** Runs one store write; counts its failure. */
  private write(run: () => unknown): Promise<void> {
    try {
      const result: unknown = run();
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
/**
 * The store's invalidation generations, when it offers all three methods (decided once, when the
 * middleware is created); otherwise invalidation wins within this process only.
 */
export function generationsOf(store: CacheStore): CacheGenerations | undefined {
  const generations: unknown = store.generations;
  if (typeof generations !== 'object' || generations === null) return undefined;
  const { read, bump, setIf } = generations as Record<string, unknown>;
  return typeof read === 'function' && typeof bump === 'function' && typeof setIf === 'function'
    ? (generations as CacheGenerations)
    : undefined;
}

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
