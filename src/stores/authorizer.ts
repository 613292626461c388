/** The contract of a store that shares authorizer results between instances (`redisStore().authorizerResults`). */

/**
 * Authorizer results as opaque strings with a time to live. Keys are the middleware's name and a
 * SHA-256 of the caller's identity: never a token in plain text.
 */
export interface AuthorizerResultStore {
  /** The value stored under `key`, or undefined when there is none (or it expired). */
  get(key: string): Promise<string | undefined>;
  /** Stores `value` under `key` for `ttlMs` milliseconds (a whole number ≥ 1). */
  set(key: string, value: string, ttlMs: number): Promise<void>;
}
