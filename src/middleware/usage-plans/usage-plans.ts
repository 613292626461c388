/** `gateway.usagePlans()`: API keys bound to plans, each with its own throttle and quota, as API Gateway has. */

import { createMiddleware } from '../../adapters/universal.js';
import { sendPrepared } from '../../core/errors.js';
import type { Exchange } from '../../core/exchange.js';
import type { GatewayMiddleware } from '../../core/middleware.js';
import type { BucketResult, KeyRecord, QuotaResult } from '../../stores/types.js';
import {
  proceed,
  RateLimitFields,
  recordThrottle,
  retryAfter,
  StoreHealth,
} from '../throttle/bucket.js';
import { policyItem } from '../throttle/headers.js';
import { hashesEqual, hashKey, MAX_KEY_LENGTH } from './keys.js';
import { type KeyManagement, keyManagement } from './management.js';
import {
  resolveUsagePlansOptions,
  type UsagePlansConfig,
  type UsagePlansOptions,
} from './options.js';
import type { PlanBucket, ResolvedPlan, ResolvedQuota } from './plans.js';
import { type PeriodBounds, periodBounds, periodLimit } from './quota.js';

/** A plan without a quota still counts usage per day: an allowance that never runs out. */
const UNLIMITED = Number.MAX_SAFE_INTEGER;

/** The middleware, with the key management methods on it. */
export type UsagePlansMiddleware = GatewayMiddleware & KeyManagement;

/**
 * Admits a request only with a valid, enabled API key (`x-api-key`), then applies the key's
 * plan: its throttle (429 Too Many Requests) and its quota (429 Limit Exceeded, `Retry-After`
 * until the period resets). Requests refused by the throttle do not count against the quota. On
 * success `apiKey: { id, plan }` is on the gateway context.
 *
 * @example
 * const plans = gateway.usagePlans({
 *   plans: {
 *     free: { throttle: { rate: 1, burst: 5 }, quota: { limit: 1000, period: 'month' } },
 *     pro: { throttle: { rate: 50, burst: 100 }, quota: { limit: 100_000, period: 'day' } },
 *   },
 *   keys: [{ id: 'acme', key: process.env.ACME_KEY, plan: 'pro' }],
 * });
 * app.use(plans);
 * const { id, key } = await plans.createKey({ plan: 'free', name: 'Trial user' });
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html
 */
export function usagePlans(options: UsagePlansOptions): UsagePlansMiddleware {
  const config = resolveUsagePlansOptions(options);
  const management = keyManagement(config);
  const health = new StoreHealth('usagePlans');
  let loaded = false;
  const loading = management.importKeys(config.initialKeys).then(() => {
    loaded = true;
  });
  // A failed load answers 503 on each request (below); it must not also be an unhandled rejection.
  loading.catch(() => undefined);
  const quotaPolicies = new QuotaPolicies();

  return createMiddleware(
    'usagePlans',
    async function usagePlans(ex, next) {
      const presented =
        config.keySource === undefined ? ex.header(config.header) : config.keySource(ex.native);
      if (typeof presented !== 'string' || presented === '' || presented.length > MAX_KEY_LENGTH)
        return sendPrepared(ex, config.forbidden);
      const hash = hashKey(presented);
      let record: KeyRecord | undefined;
      try {
        if (!loaded) await loading;
        record = await config.keyStore.getKeyByHash(config.namespace, hash);
      } catch (err) {
        // Without the key record nobody can be admitted safely.
        health.failed(err, 'refusing requests with 503 until it recovers');
        return sendPrepared(ex, config.unavailable);
      }
      if (record === undefined || !hashesEqual(record.hash, hash) || !record.enabled)
        return sendPrepared(ex, config.forbidden);
      const plan = config.plans.get(record.plan);
      if (plan === undefined) return sendPrepared(ex, config.forbidden);
      const now = config.clock.now();
      const fields = headerFields(config);

      // 1. The throttle first, so that requests it refuses never count against the quota.
      const bucket = plan.methods === undefined ? plan.throttle : routeBucket(ex, plan);
      if (bucket !== undefined) {
        const result = await takeToken(config, health, bucket, record.id, now);
        if (result !== undefined) {
          recordThrottle(ex, bucket.name, bucket.shape.burst, result);
          fields?.add(bucket.shape.policy, bucket.name, result.remaining, result.resetMs);
          if (!result.allowed) {
            fields?.write(ex);
            return sendPrepared(ex, config.tooManyRequests, retryAfter(result.retryAfterMs));
          }
        }
      }

      // 2. The quota, which also counts the day's usage.
      const quota = plan.quota;
      const bounds = periodBounds(quota?.period ?? 'day', now);
      const limit =
        quota === undefined
          ? UNLIMITED
          : periodLimit(quota, bounds.start, config.firstPeriod[quota.period]);
      let counted: QuotaResult | undefined;
      try {
        counted = await config.store.consumeQuota(`${config.namespace}:q:${record.id}`, {
          limit,
          periodStart: bounds.start,
          periodEnd: bounds.end,
          now,
        });
        health.ok();
      } catch (err) {
        if (quota !== undefined && !config.quotaFailOpen) {
          health.failed(err, 'refusing keys with a quota (503) until it recovers');
          fields?.write(ex);
          return sendPrepared(ex, config.unavailable);
        }
        health.failed(err, 'admitting keys without counting their quota until it recovers');
      }
      if (quota !== undefined && counted !== undefined) {
        fields?.add(
          quotaPolicies.get(quota, bounds, limit),
          quota.policyName,
          counted.remaining,
          counted.resetMs,
        );
        if (!counted.allowed) {
          fields?.write(ex);
          return sendPrepared(ex, config.limitExceeded, retryAfter(counted.resetMs));
        }
      }
      fields?.write(ex);
      ex.gateway.apiKey = { id: record.id, plan: plan.name };
      return proceed(ex, next);
    },
    management,
  ) as UsagePlansMiddleware;
}

/** The route's own bucket when the plan overrides it (`'GET /pets'`), else the plan's. */
function routeBucket(ex: Exchange, plan: ResolvedPlan): PlanBucket | undefined {
  return plan.methods?.get(`${ex.method} ${ex.path}`) ?? plan.throttle;
}

/** One bucket decision; undefined when the store failed (the request is then admitted). */
async function takeToken(
  config: UsagePlansConfig,
  health: StoreHealth,
  bucket: PlanBucket,
  id: string,
  now: number,
): Promise<BucketResult | undefined> {
  try {
    const result = await config.store.consumeBucket(
      `${config.namespace}:t:${id}${bucket.keySuffix}`,
      {
        emissionIntervalMs: bucket.shape.emissionIntervalMs,
        burst: bucket.shape.burst,
        cost: 1,
        now,
      },
    );
    health.ok();
    return result;
  } catch (err) {
    // As throttle(): a limiter outage must not become an API outage.
    health.failed(err, 'admitting keys without their plan throttle until it recovers');
    return undefined;
  }
}

/** The fields collector of one request, or undefined with `headers: false`. */
function headerFields(config: UsagePlansConfig): RateLimitFields | undefined {
  return config.headers ? new RateLimitFields() : undefined;
}

/**
 * The quota's `RateLimit-Policy` item changes only with the period (its window, and its allowance
 * in the first period): built once per plan and period, not per request.
 */
class QuotaPolicies {
  private readonly built = new Map<ResolvedQuota, { start: number; item: string }>();

  get(quota: ResolvedQuota, bounds: PeriodBounds, limit: number): string {
    const cached = this.built.get(quota);
    if (cached !== undefined && cached.start === bounds.start) return cached.item;
    const item = policyItem(
      quota.policyName,
      limit,
      Math.round((bounds.end - bounds.start) / 1000),
    );
    this.built.set(quota, { start: bounds.start, item });
    return item;
  }
}
