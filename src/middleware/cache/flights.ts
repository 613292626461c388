/** Request coalescing: one miss per key fetches, the requests arriving meanwhile wait for it, for a bounded time. */

import type { Exchange } from '../../core/exchange.js';
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
  /** Resolves with the stored response, or `undefined` when it was not cacheable or was abandoned. */
  readonly promise: Promise<Stored | undefined>;
  /** The leader's stale entry, for waiters that end up running the handler themselves. */
  readonly stale: Found | undefined;
  /**
   * The leader took longer than the timeout: its waiters stopped waiting. The first of them to
   * notice leads a new flight, the others wait for that one.
   */
  readonly abandoned: boolean;
  settle(stored: Stored | undefined): void;
}

/**
 * Whether a miss may make the identical requests arriving meanwhile wait for it. Not with
 * `Range`: it may be answered 206, which is never stored, and they would all fetch again.
 */
export function mayLead(ex: Exchange): boolean {
  return ex.header('range') === undefined;
}

/** The misses in progress of one middleware, by base key. */
export class Flights {
  private readonly byKey = new Map<string, Flight>();

  /** `timeoutMs`: how long waiters wait for a leader before one of them takes over. */
  constructor(private readonly timeoutMs: number) {}

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
    const flight = {
      promise,
      stale,
      abandoned: false,
      settle(stored: Stored | undefined) {
        clearTimeout(timer);
        if (byKey.get(key) === flight) byKey.delete(key);
        resolve(stored);
      },
    };
    // A leader whose handler never ends must not hold its waiters forever (the bound nginx's
    // proxy_cache_lock_timeout gives). The leader itself goes on; a late settle changes nothing.
    const timer = setTimeout(() => {
      flight.abandoned = true;
      flight.settle(undefined);
    }, this.timeoutMs);
    timer.unref();
    byKey.set(key, flight);
    return flight;
  }

  /** Lets requests arriving from now on start a flight of their own (the key was invalidated). */
  detach(key: string, flight: Flight): void {
    if (this.byKey.get(key) === flight) this.byKey.delete(key);
  }
}
