/** `gateway.usagePlans()`: API keys bound to plans, each with its own throttle and quota, as API Gateway has. */

import { createMiddleware } from '../../adapters/universal.js';
import { sendPrepared } from '../../core/errors.js';
import type { Exchange } from '../../core/exchange.js';
import type { GatewayMiddleware } from '../../core/middleware.js';
import type { BucketResult, KeyRecord, QuotaResult } from '../../stores/types.js';
import {
  proceed,
  recordThrottle,
  retryAfter,
  StoreHealth,
  setRateLimitFields,
} from '../throttle/bucket.js';
import { policyItem } from '../throttle/headers.js';
import type { BucketShape } from '../throttle/options.js';
import { hashesEqual, hashKey, MAX_KEY_LENGTH } from './keys.js';
import { type KeyManagement, keyManagement } from './management.js';
import {
  type ResolvedPlan,
  resolveUsagePlansOptions,
  type UsagePlansConfig,
  type UsagePlansOptions,
} from './options.js';
import { periodBounds, periodLimit } from './quota.js';

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
      if (!(await throttleStep(ex, config, health, plan, record.id, now))) return;
      if (!(await quotaStep(ex, config, health, plan, record.id, now))) return;
      ex.gateway.apiKey = { id: record.id, plan: plan.name };
      return proceed(ex, next);
    },
    management,
  ) as UsagePlansMiddleware;
}

/** The plan's (or the route's) bucket; false when the request was refused (and answered). */
async function throttleStep(
  ex: Exchange,
  config: UsagePlansConfig,
  health: StoreHealth,
  plan: ResolvedPlan,
  id: string,
  now: number,
): Promise<boolean> {
  let shape: BucketShape | undefined = plan.throttle;
  let name = plan.name;
  let key = `${config.namespace}:t:${id}`;
  if (plan.methods !== undefined) {
    const route = `${ex.method} ${ex.path}`;
    const override = plan.methods.get(route);
    if (override !== undefined) {
      shape = override.shape;
      name = override.name;
      key = `${key}:${route}`;
    }
  }
  if (shape === undefined) return true;
  let result: BucketResult;
  try {
    result = await config.store.consumeBucket(key, {
      emissionIntervalMs: shape.emissionIntervalMs,
      burst: shape.burst,
      cost: 1,
      now,
    });
  } catch (err) {
    // As throttle(): a limiter outage must not become an API outage.
    health.failed(err, 'admitting keys without their plan throttle until it recovers');
    return true;
  }
  health.ok();
  recordThrottle(ex, name, shape.burst, result);
  if (config.headers) setRateLimitFields(ex, shape.policy, name, result.remaining, result.resetMs);
  if (result.allowed) return true;
  sendPrepared(ex, config.tooManyRequests, retryAfter(result.retryAfterMs));
  return false;
}

/** Counts the request against the quota (and the day's usage); false when refused (and answered). */
async function quotaStep(
  ex: Exchange,
  config: UsagePlansConfig,
  health: StoreHealth,
  plan: ResolvedPlan,
  id: string,
  now: number,
): Promise<boolean> {
  const quota = plan.quota;
  const bounds = periodBounds(quota?.period ?? 'day', now);
  const limit =
    quota === undefined
      ? UNLIMITED
      : periodLimit(quota, bounds.start, config.firstPeriod[quota.period]);
  let result: QuotaResult;
  try {
    result = await config.store.consumeQuota(`${config.namespace}:q:${id}`, {
      limit,
      periodStart: bounds.start,
      periodEnd: bounds.end,
      now,
    });
  } catch (err) {
    if (quota === undefined || config.quotaFailOpen) {
      health.failed(err, 'admitting keys without counting their quota until it recovers');
      return true;
    }
    health.failed(err, 'refusing keys with a quota (503) until it recovers');
    sendPrepared(ex, config.unavailable);
    return false;
  }
  health.ok();
  if (quota === undefined) return true;
  if (config.headers) {
    const window = Math.round((bounds.end - bounds.start) / 1000);
    setRateLimitFields(
      ex,
      policyItem(quota.policyName, limit, window),
      quota.policyName,
      result.remaining,
      result.resetMs,
    );
  }
  if (result.allowed) return true;
  sendPrepared(ex, config.limitExceeded, retryAfter(result.resetMs));
  return false;
}
