/**
 * The store contracts behind `throttle()` and `usagePlans()`: small, Promise-only, and shaped so
 * that every decision is one atomic operation (one Lua script in Redis, one synchronous step in
 * memory). `memoryStore()` and `redisStore()` implement them all; any store must pass the same
 * contract suites (`test/contracts/`).
 */

/** The arguments of one token-bucket decision. */
export interface BucketParams {
  /** Milliseconds for one token to come back: `1000 / rate`. */
  readonly emissionIntervalMs: number;
  /** Bucket capacity in tokens (a whole number, 1 or more). */
  readonly burst: number;
  /** Tokens this request takes (0 or more; 0 only reads the bucket). */
  readonly cost: number;
  /** The decision time in ms since the epoch (the middleware's clock). */
  readonly now: number;
}

/** The outcome of one token-bucket decision. */
export interface BucketResult {
  /** Whether the request may pass; when false, the bucket was left exactly as it was. */
  readonly allowed: boolean;
  /** Whole tokens left after the decision. */
  readonly remaining: number;
  /** Milliseconds until the bucket is full again. */
  readonly resetMs: number;
  /** When refused: milliseconds until `cost` tokens are available; 0 when allowed. */
  readonly retryAfterMs: number;
}

/**
 * Token buckets, one per key, decided with GCRA (the generic cell rate algorithm): a bucket is one
 * number, its theoretical arrival time (TAT), the moment it will be full again. A key that is
 * absent or whose TAT has passed is a full bucket, so a store may forget it at that point (that is
 * how idle clients are evicted without changing any answer). See `memory/gcra.ts`, the reference
 * that a Redis Lua script must reproduce step for step.
 */
export interface RateStore {
  /**
   * Takes `cost` tokens from the bucket at `key` if it holds that many, atomically: concurrent
   * calls for one key must behave as if run one after the other. A refused call changes nothing.
   */
  consumeBucket(key: string, params: BucketParams): Promise<BucketResult>;
}

/** The arguments of one quota decision. */
export interface QuotaParams {
  /** Requests allowed in this period (after any `offset` of the first period), 0 or more. */
  readonly limit: number;
  /** Start of the current period, ms since the epoch (inclusive). */
  readonly periodStart: number;
  /** End of the current period, ms since the epoch (exclusive); the counter may expire then. */
  readonly periodEnd: number;
  /** The decision time, ms since the epoch; also picks the UTC day of the usage counter. */
  readonly now: number;
}

/** The outcome of one quota decision. */
export interface QuotaResult {
  readonly allowed: boolean;
  /** Requests counted in this period, including this one when allowed. */
  readonly used: number;
  /** Requests left in this period (`limit - used`, never below 0). */
  readonly remaining: number;
  /** Milliseconds until the period resets (`periodEnd - now`). */
  readonly resetMs: number;
}

/** Per-period request counters and per-UTC-day usage, one subject (an API key) per `key`. */
export interface QuotaStore {
  /**
   * Counts one request against the period `[periodStart, periodEnd)` of `key` if fewer than
   * `limit` were counted, and in the same atomic step adds one to `key`'s usage of the UTC day of
   * `now`. A refused call changes nothing.
   */
  consumeQuota(key: string, params: QuotaParams): Promise<QuotaResult>;
  /**
   * Requests counted for `key` on each UTC day from `fromDay` to `toDay` inclusive (both are ms
   * since the epoch at 00:00 UTC): one number per day, 0 for days without requests or past the
   * store's retention.
   */
  getUsage(key: string, fromDay: number, toDay: number): Promise<number[]>;
  /**
   * Forgets the period counter of `key`, keeping its usage days: a new API key that reuses a
   * deleted key's id starts its quota at zero. Optional: without it that key inherits the count.
   */
  resetQuota?(key: string): Promise<void>;
}

/** An API key as stored: never the plaintext, only its SHA-256. */
export interface KeyRecord {
  /** Public identifier, shown in usage reports and put on the request context. */
  readonly id: string;
  /** SHA-256 of the plaintext key, lower-case hex (64 characters). */
  readonly hash: string;
  /** Name of the usage plan the key belongs to. */
  readonly plan: string;
  /** A disabled key is refused with 403. */
  readonly enabled: boolean;
  /** Optional human-readable label. */
  readonly name?: string;
  /** When the key was created or imported, ms since the epoch. */
  readonly createdAt: number;
  /**
   * Digest of the static definition (`keys` option, `importKeys()`) the record was imported from.
   * Changes made at run time keep it, so that an import only applies a definition whose content
   * changed since; absent on keys made by `createKey()`.
   */
  readonly source?: string;
}

/**
 * API keys, per namespace (one per `usagePlans()` middleware, so that several can share a store).
 * Records are values: a store returns copies, and `putKey` replaces the record with that `id`
 * (dropping the hash index of the record it replaces).
 */
export interface KeyStore {
  /** The record whose hash is `hash`, or `undefined`. */
  getKeyByHash(namespace: string, hash: string): Promise<KeyRecord | undefined>;
  /** The record with this `id`, or `undefined`. */
  getKey(namespace: string, id: string): Promise<KeyRecord | undefined>;
  /** Stores `record`, replacing any record with the same `id`. */
  putKey(namespace: string, record: KeyRecord): Promise<void>;
  /** Removes the record with this `id`; resolves `true` when it was there. */
  deleteKey(namespace: string, id: string): Promise<boolean>;
  /** Every record of the namespace, in no particular order. */
  listKeys(namespace: string): Promise<KeyRecord[]>;
  /**
   * Stores `record` only if no record has its `id` and none its `hash`, atomically: of concurrent
   * calls for one id (or one hash) exactly one resolves `true`; the others change nothing and
   * resolve `false`. Optional: without it creating a key is a read then a write, and two
   * instances creating one id at once may both succeed.
   */
  addKey?(namespace: string, record: KeyRecord): Promise<boolean>;
}

/** A bucket decision of a combined step: the bucket's key with its parameters. */
export interface BucketStep extends BucketParams {
  readonly key: string;
}

/** A quota decision of a combined step: the quota subject's key with its parameters. */
export interface QuotaStep extends QuotaParams {
  readonly key: string;
}

/** The part of a key record a combined step must find unchanged before it decides anything. */
export interface ExpectedKey {
  readonly id: string;
  readonly plan: string;
}

/**
 * The outcome of `consumePlan`. `matched: true`: the record was as expected and the decisions
 * were taken (`bucket` is undefined without a bucket; `quota` is undefined when the bucket
 * refused, since the quota was then not consulted). `matched: false`: nothing was changed, and
 * `record` is the record the store holds for the hash now (undefined when there is none).
 */
export type PlanOutcome =
  | {
      readonly matched: true;
      readonly bucket: BucketResult | undefined;
      readonly quota: QuotaResult | undefined;
    }
  | { readonly matched: false; readonly record: KeyRecord | undefined };

/**
 * One admission decision of `usagePlans()` in one atomic step (one Lua script in Redis), so that
 * a request costs one round trip: the key check, the plan's bucket and the quota together.
 * Optional: without it `usagePlans()` makes the three calls (`getKeyByHash`, `consumeBucket`,
 * `consumeQuota`) one after the other.
 */
export interface PlanStore {
  /**
   * Atomically: (1) reads the record whose hash is `hash` in `namespace`; unless it exists, is
   * enabled, and has `expected.id` and `expected.plan`, changes nothing and resolves
   * `{ matched: false, record }` with what it found. (2) Otherwise takes `bucket.cost` tokens
   * exactly as `consumeBucket(bucket.key, bucket)` would (skipped when `bucket` is undefined),
   * and (3) only when the bucket allowed it, counts the request exactly as
   * `consumeQuota(quota.key, quota)` would. A refusal at either step changes nothing of its own,
   * and a bucket refusal leaves the quota untouched. Concurrent calls behave as if run one after
   * the other, and share their buckets and counters with `consumeBucket` / `consumeQuota`.
   */
  consumePlan(
    namespace: string,
    hash: string,
    expected: ExpectedKey,
    bucket: BucketStep | undefined,
    quota: QuotaStep,
  ): Promise<PlanOutcome>;
}

/**
 * Everything `throttle()` and `usagePlans()` keep: what `memoryStore()` and `redisStore()`
 * provide. `consumePlan` is optional: stores without it keep working, one call per decision.
 */
export interface GatewayStore extends RateStore, QuotaStore, KeyStore, Partial<PlanStore> {}
