/** Management of a cache middleware's entries: invalidation by path or predicate. */

import { keyTarget, normaliseQuery } from './key.js';
import type { CacheConfig } from './options.js';

/** What `invalidate()` takes: a path, a path with a query, or a predicate on both. */
export type InvalidationTarget = string | ((path: string, query: string) => boolean);

/** Removes the entries `target` names; resolves the number of store keys removed. */
export async function invalidate(config: CacheConfig, target: InvalidationTarget): Promise<number> {
  let matches: (path: string, query: string) => boolean;
  if (typeof target === 'function') matches = target;
  else if (typeof target === 'string') {
    const mark = target.indexOf('?');
    if (mark === -1) matches = (path) => path === target;
    else {
      const wanted = target.slice(0, mark);
      const query =
        config.query === false ? '' : normaliseQuery(target.slice(mark + 1), config.query);
      matches = (path, q) => path === wanted && q === query;
    }
  } else {
    throw new TypeError(
      'portcullis.cache: invalidate() takes a path or a (path, query) => boolean',
    );
  }
  let removed = 0;
  for (const key of await config.store.keys(config.prefix)) {
    const { path, query } = keyTarget(config.prefix, key);
    if (matches(path, query) && (await config.store.delete(key))) removed += 1;
  }
  return removed;
}
