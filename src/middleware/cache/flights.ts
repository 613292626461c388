/** Request coalescing: one miss per key fetches, the requests arriving meanwhile wait for it. */

import type { CacheEntry } from '../../stores/cache.js';

/** An entry found in (or just put into) the store, with the key it is under. */
export interface Found {
  readonly entry: CacheEntry;
  /** A variant key when the response varies. */
  readonly key: string;
}

/** A response just stored, handed to the requests that waited for it. */
export interface Stored extends Found {
  readonly vary: readonly string[];
}

/** A miss in progress. */
export interface Flight {
  /** Resolves with the stored response, or `undefined` when it was not cacheable. */
  readonly promise: Promise<Stored | undefined>;
  /** The leader's stale entry, for waiters that end up running the handler themselves. */
  readonly stale: Found | undefined;
  settle(stored: Stored | undefined): void;
}

/** The misses in progress of one middleware, by base key. */
export class Flights {
  private readonly byKey = new Map<string, Flight>();

  get(key: string): Flight | undefined {
    return this.byKey.get(key);
  }

  /** Registers a new flight for `key`; settling it removes it. */
  start(key: string, stale: Found | undefined): Flight {
    let resolve: (stored: Stored | undefined) => void = () => {};
    const promise = new Promise<Stored | undefined>((r) => {
      resolve = r;
    });
    const byKey = this.byKey;
    const flight: Flight = {
      promise,
      stale,
      settle(stored) {
        if (byKey.get(key) === flight) byKey.delete(key);
        resolve(stored);
      },
    };
    byKey.set(key, flight);
    return flight;
  }
}
