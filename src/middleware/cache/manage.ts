/** Management of a cache middleware's entries: invalidation by path or predicate, which wins over misses in flight. */

import { pathEnd, queryOf } from '../../core/target.js';
import { keyTarget, normaliseQuery } from './key.js';
import type { CacheConfig } from './options.js';

/** What `invalidate()` takes: a path, a path with a query, or a predicate on both. */
export type InvalidationTarget = string | ((path: string, query: string) => boolean);

/** Whether a store key (base or variant) belongs to an invalidation target. */
export type KeyMatcher = (key: string) => boolean;

/** Every key (`clear()`). */
export const ALL_KEYS: KeyMatcher = () => true;

/** The store keys `target` names. Throws a TypeError for anything but a string or a function. */
export function invalidationMatcher(config: CacheConfig, target: InvalidationTarget): KeyMatcher {
  let matches: (path: string, query: string) => boolean;
  if (typeof target === 'function') matches = target;
  else if (typeof target === 'string') {
    // Read as a request's target is (`baseKey`): a fragment is neither path nor query.
    const end = pathEnd(target);
    const wanted = target.slice(0, end);
    const search = queryOf(target, end);
    if (search === undefined) matches = (path) => path === wanted;
    else {
      const query = config.query === false ? '' : normaliseQuery(search, config.query);
      matches = (path, q) => path === wanted && q === query;
    }
  } else {
    throw new TypeError(
      'portcullis.cache: invalidate() takes a path or a (path, query) => boolean',
    );
  }
  return (key) => {
    const { path, query } = keyTarget(config.prefix, key);
    return matches(path, query);
  };
}

/** Removes the stored entries `matches` names; resolves the number of store keys removed. */
export async function removeMatching(config: CacheConfig, matches: KeyMatcher): Promise<number> {
  const keys: unknown = await config.store.keys(config.prefix);
  if (!Array.isArray(keys))
    throw new TypeError("portcullis.cache: the cache store's keys() did not answer an array");
  let removed = 0;
  for (const key of keys) {
    if (typeof key === 'string' && matches(key) && (await config.store.delete(key)) === true)
      removed += 1;
  }
  return removed;
}

/** A miss that will store its response when it ends, as invalidation sees it. */
export interface PendingMiss {
  readonly base: string;
  /** Set by an invalidation that named this key: the response is delivered, never stored. */
  invalidated: boolean;
}

/**
 * The misses of one middleware still running their handler, and the writes to the store not yet
 * settled. `invalidate()` must win over both (a miss that started before it must not store the
 * older response after it): it marks the running misses it names, then waits for the writes
 * already issued before it reads the store's keys.
 */
export class MissesInProgress<Miss extends PendingMiss> {
  private readonly misses = new Set<Miss>();
  private readonly writes = new Set<Promise<void>>();

  add(miss: Miss): void {
    this.misses.add(miss);
  }

  delete(miss: Miss): void {
    this.misses.delete(miss);
  }

  /** Marks the running misses `matches` names; `onMarked` hears each one. */
  invalidate(matches: KeyMatcher, onMarked: (miss: Miss) => void): void {
    for (const miss of this.misses) {
      if (!miss.invalidated && matches(miss.base)) {
        miss.invalidated = true;
        onMarked(miss);
      }
    }
  }

  /** Tracks a store write (`write` never rejects) until it settles. */
  track(write: Promise<void>): void {
    const writes = this.writes;
    writes.add(write);
    write.then(() => writes.delete(write));
  }

  /** Resolves once every write issued so far has settled. */
  async settled(): Promise<void> {
    if (this.writes.size > 0) await Promise.all(this.writes);
  }
}
