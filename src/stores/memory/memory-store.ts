/** `memoryStore()`: token buckets, quota counters, usage per day and API keys in this process. */

import { assertKnownOptions, assertNumber, assertOptionsObject } from '../../core/validate.js';
import type { CacheStore } from '../cache.js';
import type {
  BucketParams,
  BucketResult,
  ExpectedKey,
  GatewayStore,
  KeyRecord,
  PlanOutcome,
  PlanStore,
  QuotaParams,
  QuotaResult,
} from '../types.js';
import { BucketTable } from './buckets.js';
import { type MemoryCacheStoreOptions, memoryCacheStore } from './cache.js';
import { gcra } from './gcra.js';
import { MemoryKeys } from './keys.js';

// Why not rate-limiter-flexible's RateLimiterMemory here: its limiters are fixed windows (points
// per duration from the first hit) with a timer per key, not a token bucket, and its windows are
// not aligned to UTC days/weeks/months. A Map of one number per key is both exact and smaller.

/**
 * The memory store's bucket step without the Promise, for the throttle middleware's own use:
 * the public contract stays `Promise`-returning, and a request through the default store skips
 * an await (its microtask and promise) per throttle.
 */
export const kConsumeBucketNow = Symbol('portcullis.memory.consumeBucketNow');

/** The memory store's `consumePlan` without the Promise, for `usagePlans()` (as `kConsumeBucketNow`). */
export const kConsumePlanNow = Symbol('portcullis.memory.consumePlanNow');

/** `consumePlan`'s arguments, answered at once. */
export type ConsumePlanNow = (...args: Parameters<PlanStore['consumePlan']>) => PlanOutcome;

export interface MemoryStoreOptions {
  /** Days of per-day usage kept for `usage()` reports. @default 90 */
  usageRetentionDays?: number;
  /**
   * Buckets inspected for eviction on each bucket operation. Idle buckets (full again) are
   * dropped by this incremental sweep, so memory follows the number of recently active clients.
   * @default 2
   */
  sweepPerOperation?: number;
  /**
   * How often idle state (buckets full again, quota counters of past periods) is also reclaimed
   * on an unref'd timer, in chunks, so that memory comes back within about this time plus the
   * slowest bucket's refill time, however few requests arrive. @default 1000
   */
  sweepIntervalMs?: number;
  /** Options of the cache store this store carries as `.cache` (created on first use). @default {} (64 MiB) */
  cache?: MemoryCacheStoreOptions;
}

export const MEMORY_STORE_DEFAULTS = {
  usageRetentionDays: 90,
  sweepPerOperation: 2,
  sweepIntervalMs: 1000,
  cache: {},
} as const satisfies MemoryStoreOptions;

/** The in-memory store, plus housekeeping that a networked store does not need. */
export interface MemoryStore extends GatewayStore {
  /** Always present: the key check, the plan's bucket and the quota in one synchronous step. */
  readonly consumePlan: PlanStore['consumePlan'];
  /** @internal The bucket step without a Promise (see `kConsumeBucketNow`). */
  readonly [kConsumeBucketNow]: (key: string, params: BucketParams) => BucketResult;
  /** @internal The plan step without a Promise (see `kConsumePlanNow`). */
  readonly [kConsumePlanNow]: ConsumePlanNow;
  /** A byte-bounded response cache, so that `gateway.cache({ store })` can take this store too. */
  readonly cache: CacheStore;
  /** Drops every bucket that is full at `now` (a full sweep; the incremental one usually suffices). */
  prune(now: number): void;
  /** Entries currently held, for monitoring and the memory measurement. */
  stats(): { buckets: number; quotaCounters: number; usageSubjects: number };
}

const SCOPE = 'memoryStore';
/** Buckets a timer-driven sweep inspects before yielding to the event loop. */
const SWEEP_CHUNK = 10_000;
const DAY_MS = 86_400_000;

/** A quota subject's counter for its current period (one per subject: periods follow each other). */
interface QuotaCounter {
  start: number;
  /** End of the period: after it the counter is dead state. */
  end: number;
  used: number;
}

/**
 * The embedded default store: exact (every operation runs synchronously, so concurrent requests in
 * one process are decided one after the other) and bounded (idle buckets are evicted; quota state
 * is one counter per key and at most `usageRetentionDays` usage days per key). One process only:
 * use a Redis store when several instances must share limits.
 *
 * @example
 * const store = memoryStore();
 * app.use(gateway.throttle({ rate: 10, store }));
 */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  assertOptionsObject(SCOPE, options);
  assertKnownOptions(SCOPE, options, Object.keys(MEMORY_STORE_DEFAULTS));
  const {
    usageRetentionDays,
    sweepPerOperation,
    sweepIntervalMs,
    cache: cacheOptions,
  } = { ...MEMORY_STORE_DEFAULTS, ...options };
  assertNumber(SCOPE, 'usageRetentionDays', usageRetentionDays, {
    min: 1,
    integer: true,
    expected: 'a whole number of days (1 or more)',
  });
  assertNumber(SCOPE, 'sweepIntervalMs', sweepIntervalMs, {
    min: 10,
    max: 3_600_000,
    integer: true,
    expected: 'a whole number of ms from 10 to 3600000',
  });
  assertNumber(SCOPE, 'sweepPerOperation', sweepPerOperation, {
    min: 1,
    max: 1000,
    integer: true,
    expected: 'a whole number from 1 to 1000',
  });

  const buckets = new BucketTable();
  const quotas = new Map<string, QuotaCounter>();
  // Idle state is also reclaimed on a timer, a whole pass a chunk at a time, so that memory
  // returns within a bounded time whatever the traffic does to the per-operation sweep. It uses
  // the latest decision time seen, never a guess ahead of it, so no answer can change.
  let timer: NodeJS.Timeout | undefined;
  /**
   * The earliest end of a held quota period. Periods end on day, week or month boundaries, so
   * nearly every tick has no counter to drop: the counters are walked only once one may have
   * ended, not on every tick (100,000 keys were 100,000 visits a second, whatever the traffic).
   */
  let earliestQuotaEnd = Number.POSITIVE_INFINITY;
  const reclaimQuotas = (now: number): void => {
    if (now < earliestQuotaEnd) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const [key, counter] of quotas) {
      if (counter.end <= now) quotas.delete(key);
      else if (counter.end < earliest) earliest = counter.end;
    }
    earliestQuotaEnd = earliest;
  };
  const reclaim = (): void => {
    if (buckets.pass(SWEEP_CHUNK)) {
      setImmediate(reclaim).unref();
      return;
    }
    reclaimQuotas(buckets.latestNow);
    if (buckets.size === 0 && quotas.size === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  const reclaimLater = (): void => {
    if (timer !== undefined) return;
    timer = setInterval(reclaim, sweepIntervalMs);
    // Housekeeping must not keep the process alive.
    timer.unref();
  };

  /** Subject → (UTC day index → requests). */
  const usage = new Map<string, Map<number, number>>();
  const keys = new MemoryKeys();
  // Built on first use: a store used only for buckets never allocates a cache.
  let cache: CacheStore | undefined;

  const addUsage = (key: string, now: number): void => {
    const day = Math.floor(now / DAY_MS);
    let days = usage.get(key);
    if (days === undefined) {
      days = new Map();
      usage.set(key, days);
    }
    const current = days.get(day);
    if (current === undefined) {
      // A new day: the moment to forget days past retention (a handful per key).
      for (const old of days.keys()) if (old <= day - usageRetentionDays) days.delete(old);
      days.set(day, 1);
    } else days.set(day, current + 1);
  };

  const takeTokens = (key: string, params: BucketParams): BucketResult => {
    const decision = gcra(buckets.get(key), params);
    if (decision.allowed && params.cost > 0) {
      buckets.set(key, decision.tat, params.now);
      reclaimLater();
    }
    buckets.sweep(params.now, sweepPerOperation);
    return {
      allowed: decision.allowed,
      remaining: decision.remaining,
      resetMs: decision.resetMs,
      retryAfterMs: decision.retryAfterMs,
    };
  };

  const countRequest = (key: string, params: QuotaParams): QuotaResult => {
    const { limit, periodStart, periodEnd, now } = params;
    if (now > buckets.latestNow) buckets.latestNow = now;
    let counter = quotas.get(key);
    if (counter === undefined || counter.start !== periodStart) {
      counter = { start: periodStart, end: periodEnd, used: 0 };
      quotas.set(key, counter);
      if (periodEnd < earliestQuotaEnd) earliestQuotaEnd = periodEnd;
      reclaimLater();
    }
    const allowed = counter.used < limit;
    if (allowed) {
      counter.used += 1;
      addUsage(key, now);
    }
    return {
      allowed,
      used: counter.used,
      remaining: Math.max(0, limit - counter.used),
      resetMs: periodEnd - now,
    };
  };

  // One synchronous step, so nothing can run between the key check and the two decisions.
  const consumePlanNow: ConsumePlanNow = (namespace, hash, expected, bucket, quota) => {
    const record = keys.byHash(namespace, hash);
    if (!isExpected(record, expected)) return { matched: false, record };
    const taken = bucket === undefined ? undefined : takeTokens(bucket.key, bucket);
    const counted = taken?.allowed === false ? undefined : countRequest(quota.key, quota);
    return { matched: true, bucket: taken, quota: counted };
  };

  return {
    consumeBucket: (key: string, params: BucketParams) => Promise.resolve(takeTokens(key, params)),

    [kConsumeBucketNow]: takeTokens,

    consumeQuota: (key: string, params: QuotaParams) => Promise.resolve(countRequest(key, params)),

    consumePlan: (namespace, hash, expected, bucket, quota) =>
      Promise.resolve(consumePlanNow(namespace, hash, expected, bucket, quota)),

    [kConsumePlanNow]: consumePlanNow,

    getUsage(key: string, fromDay: number, toDay: number): Promise<number[]> {
      const days = usage.get(key);
      const out: number[] = [];
      for (let day = Math.floor(fromDay / DAY_MS); day <= Math.floor(toDay / DAY_MS); day++) {
        out.push(days?.get(day) ?? 0);
      }
      return Promise.resolve(out);
    },

    resetQuota(key: string): Promise<void> {
      quotas.delete(key);
      return Promise.resolve();
    },

    getKeyByHash: (namespace: string, hash: string) =>
      Promise.resolve(keys.byHash(namespace, hash)),
    getKey: (namespace: string, id: string) => Promise.resolve(keys.byId(namespace, id)),
    putKey: (namespace: string, record: KeyRecord) => {
      keys.put(namespace, record);
      return Promise.resolve();
    },
    addKey: (namespace: string, record: KeyRecord) => Promise.resolve(keys.add(namespace, record)),
    deleteKey: (namespace: string, id: string) => Promise.resolve(keys.delete(namespace, id)),
    listKeys: (namespace: string) => Promise.resolve(keys.list(namespace)),

    prune(now: number): void {
      buckets.prune(now);
    },

    get cache(): CacheStore {
      cache ??= memoryCacheStore(cacheOptions);
      return cache;
    },

    stats() {
      return { buckets: buckets.size, quotaCounters: quotas.size, usageSubjects: usage.size };
    },
  };
}

/** Whether `record` is enabled and still the expected id on the expected plan. */
function isExpected(record: KeyRecord | undefined, expected: ExpectedKey): record is KeyRecord {
  return record?.enabled === true && record.id === expected.id && record.plan === expected.plan;
}
