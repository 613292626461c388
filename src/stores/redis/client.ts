/** What `redisStore()` needs of an ioredis client, and the guard every Redis call goes through. */

import type { Cluster, Redis } from 'ioredis';

/** An ioredis client or cluster client, owned and connected by the app. */
export type RedisClient = Redis | Cluster;

/** Runs one Redis call under the store's timeout and health tracking. */
export type RedisCall = <T>(run: () => Promise<T>) => Promise<T>;

/** Raised when Redis does not answer within the store's `timeoutMs`. */
export class StoreTimeoutError extends Error {
  constructor(ms: number) {
    super(`portcullis.redisStore: Redis did not answer within ${ms} ms`);
    this.name = 'StoreTimeoutError';
  }
}

/** Raised at once, without queueing, while the client is reconnecting or closed. */
export class StoreUnavailableError extends Error {
  constructor(status: string) {
    super(`portcullis.redisStore: Redis client is ${status}`);
    this.name = 'StoreUnavailableError';
  }
}

/** Client states in which a command would only queue (or fail late): fail fast instead. */
const UNAVAILABLE = new Set(['reconnecting', 'close', 'end']);

/** Health of the connection as the store last saw it; `onStateChange` hears each change once. */
export type StoreState = 'up' | 'down';

/**
 * Wraps calls with a timeout and reports the up/down transitions once each (not per request),
 * so an outage logs two lines however many requests it spans.
 */
export function guardedCalls(
  client: RedisClient,
  timeoutMs: number,
  onStateChange: (state: StoreState, error?: unknown) => void,
): RedisCall {
  let state: StoreState = 'up';
  const mark = (next: StoreState, error?: unknown) => {
    if (next === state) return;
    state = next;
    onStateChange(next, error);
  };
  return async <T>(run: () => Promise<T>): Promise<T> => {
    if (UNAVAILABLE.has(client.status)) {
      const error = new StoreUnavailableError(client.status);
      mark('down', error);
      throw error;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreTimeoutError(timeoutMs)), timeoutMs);
    });
    try {
      const result = await Promise.race([run(), timeout]);
      mark('up');
      return result;
    } catch (error) {
      mark('down', error);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };
}
