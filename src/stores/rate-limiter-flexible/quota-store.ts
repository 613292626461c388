/** `rateLimiterFlexibleQuota()`: quota counters and usage per day in any rate-limiter-flexible backend. */

import {
  assertKnownOptions,
  assertNumber,
  assertOptionsObject,
  optionTypeError,
} from '../../core/validate.js';
import type { QuotaParams, QuotaResult, QuotaStore } from '../types.js';

/**
 * The three calls of a rate-limiter-flexible limiter this store makes (every limiter of
 * rate-limiter-flexible 5 and later has them): each one atomic upsert in the backend. Typed here
 * rather than imported, so that this entry loads (and type-checks) without the package.
 */
export interface QuotaLimiter {
  /** Adds `points` to `key`, creating it with a lifetime of `customDuration` seconds (0: none). */
  penalty(
    key: string,
    points: number,
    options: { customDuration: number },
  ): Promise<{ readonly consumedPoints: number }>;
  /** Takes `points` from `key`. */
  reward(
    key: string,
    points: number,
    options: { customDuration: number },
  ): Promise<{ readonly consumedPoints: number }>;
  /** The points of `key`, or null when it is absent or expired. */
  get(key: string): Promise<{ readonly consumedPoints: number } | null>;
}

export interface RateLimiterFlexibleQuotaOptions {
  /**
   * A rate-limiter-flexible limiter that the app creates (and whose backend it connects and
   * closes): `RateLimiterPostgres`, `RateLimiterMongo`, `RateLimiterDynamo`, `RateLimiterMySQL`,
   * `RateLimiterMemcache`, `RateLimiterRedis`, `RateLimiterMemory`... Its `points`, `duration`,
   * `blockDuration` and `execEvenly` play no part: the store only adds to, takes from and reads
   * counters, each with its own lifetime. Its `keyPrefix` (and table or collection) separates the
   * store's counters from the app's other limiters. Counter keys are `<keyPrefix>:q:<subject>:<period
   * start ms>` and `<keyPrefix>:u:<subject>:<UTC day number>`: with `usagePlans()`'s longest names
   * and ids, about 220 characters, within the 255 of the SQL backends' key column. Required.
   */
  limiter: QuotaLimiter;
  /** Days of per-day usage kept for `usage()` reports, after the day itself. @default 90 */
  usageRetentionDays?: number;
  /**
   * The longest lifetime, in seconds, the backend can give a counter. A counter that must live
   * longer (a month's quota, usage days) is stored without one and left to the backend's own
   * clean-up. Node's timers (`RateLimiterMemory`) fire at once past 2^31−1 ms, and memcached
   * reads a lifetime past 30 days as a date in 1970: either would drop a counter mid-period.
   * @default 2147483 for RateLimiterMemory, 2592000 for RateLimiterMemcache, no limit otherwise
   */
  maxExpirySeconds?: number;
}

export const RATE_LIMITER_FLEXIBLE_QUOTA_DEFAULTS = {
  usageRetentionDays: 90,
} as const satisfies Omit<RateLimiterFlexibleQuotaOptions, 'limiter'>;

const SCOPE = 'rateLimiterFlexibleQuota';
const KNOWN = ['limiter', 'usageRetentionDays', 'maxExpirySeconds'];
const DAY_MS = 86_400_000;

/** Lifetime limits of the backends that have one, by limiter class (see `maxExpirySeconds`). */
const BACKEND_MAX_EXPIRY_SECONDS: Readonly<Record<string, number>> = {
  RateLimiterMemory: Math.floor((2 ** 31 - 1) / 1000),
  RateLimiterMemcache: 30 * 86_400,
};

/**
 * A `QuotaStore` on rate-limiter-flexible: each quota period is a counter of its own, keyed by
 * the period's start and living until the period's end, so calendar periods of any length (a
 * UTC day, week or month) are fixed windows the limiter already knows how to count. Usage per
 * UTC day is a second counter per day. Pass it to `usagePlans()` as its quota store.
 *
 * A decision adds one to the period's counter in one atomic upsert (Postgres: `INSERT ... ON
 * CONFLICT DO UPDATE ... RETURNING`), and the count it returns decides: concurrent calls, from
 * any number of instances, each see a different count, so exactly `limit` are admitted. A
 * refused call takes its point back (see `giveBack`), and adds nothing to the day's usage.
 *
 * Unlike `memoryStore()` and `redisStore()`, the period count and the day's usage are two
 * upserts, not one step: a process that dies between them loses that request's usage day, and a
 * `getUsage` at that moment may miss a request already counted in its period. Counters expire by
 * the backend's clock, `periodEnd - now` after they are first written. `getUsage` reads one
 * counter per day (concurrently).
 *
 * @example
 * const limiter = new RateLimiterPostgres({ storeClient: pool, tableName: 'quotas', points: 1, duration: 0 });
 * const quotaStore = rateLimiterFlexibleQuota({ limiter });
 */
export function rateLimiterFlexibleQuota(options: RateLimiterFlexibleQuotaOptions): QuotaStore {
  assertOptionsObject(SCOPE, options);
  assertKnownOptions(SCOPE, options, KNOWN);
  const { limiter } = options;
  for (const method of ['penalty', 'reward', 'get'] as const) {
    if (typeof (limiter as Partial<QuotaLimiter> | undefined)?.[method] !== 'function')
      throw optionTypeError(SCOPE, 'limiter', 'a rate-limiter-flexible limiter', limiter);
  }
  const retentionDays =
    options.usageRetentionDays ?? RATE_LIMITER_FLEXIBLE_QUOTA_DEFAULTS.usageRetentionDays;
  assertNumber(SCOPE, 'usageRetentionDays', retentionDays, {
    min: 1,
    integer: true,
    expected: 'a whole number of days (1 or more)',
  });
  const maxExpiry = options.maxExpirySeconds ?? backendMaxExpiry(limiter);
  assertNumber(SCOPE, 'maxExpirySeconds', maxExpiry, {
    min: 1,
    integer: true,
    expected: 'a whole number of seconds (1 or more)',
  });

  /** rate-limiter-flexible's lifetime for a counter that may go at `ms` from now; 0 is "none". */
  const lifetime = (ms: number): { customDuration: number } => {
    // Whole seconds, rounded up: 0 would mean "never expires", and a counter must not go early.
    const seconds = Math.max(1, Math.ceil(ms / 1000));
    return { customDuration: seconds > maxExpiry ? 0 : seconds };
  };

  const countRequest = async (key: string, params: QuotaParams): Promise<QuotaResult> => {
    const { limit, periodStart, periodEnd, now } = params;
    const resetMs = periodEnd - now;
    // Nothing to count, and nothing to ask the backend: a plan without an allowance.
    if (limit <= 0) return { allowed: false, used: 0, remaining: 0, resetMs };
    const counter = periodKey(key, periodStart, await generation(key));
    const expiry = lifetime(resetMs);
    const { consumedPoints } = await limiter.penalty(counter, 1, expiry);
    if (consumedPoints > limit) {
      await giveBack(limiter, counter, expiry);
      // Every count up to `limit` was admitted; counts above it are refusals not yet given back.
      return { allowed: false, used: limit, remaining: 0, resetMs };
    }
    const day = Math.floor(now / DAY_MS);
    try {
      await limiter.penalty(
        dayKey(key, day),
        1,
        lifetime((day + 1 + retentionDays) * DAY_MS - now),
      );
    } catch (err) {
      // The call fails as a whole (the caller answers 503 or admits uncounted): its period count
      // must not stay behind, or a request never served would use the quota up.
      await giveBack(limiter, counter, expiry);
      throw err;
    }
    return { allowed: true, used: consumedPoints, remaining: limit - consumedPoints, resetMs };
  };

  /** How many times `resetQuota(key)` was called: part of the period counter's name. */
  const generation = async (key: string): Promise<number> =>
    (await limiter.get(generationKey(key)))?.consumedPoints ?? 0;

  return {
    consumeQuota: countRequest,

    /**
     * Starts `key`'s count of the current period at zero (a new API key reusing a deleted key's
     * id). The period counters are named by period start, which this call does not know, so it
     * moves `key` to a new generation of counters instead: each decision reads the generation
     * first (one more backend read per request, the price of a store without scripts).
     */
    async resetQuota(key: string): Promise<void> {
      await limiter.penalty(generationKey(key), 1, { customDuration: 0 });
    },

    async getUsage(key: string, fromDay: number, toDay: number): Promise<number[]> {
      const reads: Promise<number>[] = [];
      for (let day = Math.floor(fromDay / DAY_MS); day <= Math.floor(toDay / DAY_MS); day++)
        reads.push(limiter.get(dayKey(key, day)).then((res) => res?.consumedPoints ?? 0));
      return Promise.all(reads);
    },
  };
}

/**
 * Takes back the point of a call that was refused (or failed), so that the counter holds admitted
 * requests only: a limit raised mid-period (a new plan) then sees the true count, and a client
 * hammering a used-up quota cannot grow it without end (Postgres stores it in an `integer`). The
 * refusal does not depend on it: until it lands, counts above `limit` are read as `limit` (a
 * count above `limit` exists only once `limit` requests were admitted). A failure here is
 * therefore not the caller's: the counter keeps one point too many, which only a higher limit
 * later in the period could see.
 */
async function giveBack(
  limiter: QuotaLimiter,
  counter: string,
  expiry: { customDuration: number },
): Promise<void> {
  try {
    await limiter.reward(counter, 1, expiry);
  } catch {
    // See above: the answer stands either way.
  }
}

/**
 * The counter of the period starting at `periodStart` in generation `generation` (digits only
 * after `key`, which may hold `:`; generation 0 keeps the name counters had before resets existed).
 */
function periodKey(key: string, periodStart: number, generation: number): string {
  return generation === 0 ? `q:${key}:${periodStart}` : `q:${key}:${periodStart}:${generation}`;
}

/** The counter of `resetQuota` calls for `key` (kept without expiry: it names live counters). */
function generationKey(key: string): string {
  return `g:${key}`;
}

/** The usage counter of UTC day number `day`. */
function dayKey(key: string, day: number): string {
  return `u:${key}:${day}`;
}

/**
 * `maxExpirySeconds`' default: the limit of the limiter's class or of a class it extends, or of
 * the limiter a wrapper holds (`RLWrapperTimeouts`, `RLWrapperBlackAndWhite`: `.limiter`).
 */
function backendMaxExpiry(limiter: object): number {
  for (let proto = Object.getPrototypeOf(limiter); proto !== null; ) {
    const limit = BACKEND_MAX_EXPIRY_SECONDS[(proto.constructor as { name: string }).name];
    if (limit !== undefined) return limit;
    proto = Object.getPrototypeOf(proto);
  }
  const wrapped = (limiter as { limiter?: unknown }).limiter;
  if (typeof wrapped === 'object' && wrapped !== null && wrapped !== limiter)
    return backendMaxExpiry(wrapped);
  return Number.MAX_SAFE_INTEGER;
}
