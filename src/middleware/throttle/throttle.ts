/** `gateway.throttle()`: a token bucket per client (GCRA), as API Gateway's steady rate + burst. */

import { createMiddleware } from '../../adapters/universal.js';
import { sendPrepared } from '../../core/errors.js';
import type { Exchange, Next } from '../../core/exchange.js';
import type { GatewayMiddleware } from '../../core/middleware.js';
import type { BucketParams, BucketResult } from '../../stores/types.js';
import {
  proceed,
  type RateLimitFields,
  recordThrottle,
  retryAfter,
  StoreHealth,
  setRateLimitFields,
  takeOfferedFields,
} from './bucket.js';
import { resolveThrottleOptions, type ThrottleConfig, type ThrottleOptions } from './options.js';

/**
 * Throttles requests with a token bucket per client: it holds at most `burst` tokens, refills at
 * `rate` per second, starts full, and each request takes `cost` tokens. With too few tokens the
 * request is answered 429 `{"message":"Too Many Requests"}` with `Retry-After` and never reaches
 * the handler. Several throttles stack: each must admit the request, and one that refuses stops
 * it before the later ones spend anything.
 *
 * A store failure admits the request (`onStoreError: 'open'`, the default): an outage of the
 * limiter's state must not become an outage of the API.
 *
 * @example
 * app.use(gateway.throttle({ rate: 100, burst: 200, key: 'global' }));
 * app.use(gateway.throttle({ rate: 5, burst: 10 })); // per client address
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
 */
export function throttle(options: ThrottleOptions): GatewayMiddleware {
  const config = resolveThrottleOptions(options);
  const health = new StoreHealth('throttle');

  return createMiddleware('throttle', function throttle(ex, next) {
    // Usage plans around this throttle (pipeline) collect its RateLimit items with theirs.
    const fields = takeOfferedFields(ex);
    if (config.skip !== undefined) {
      const skipped = config.skip(ex.native);
      if (isThenable(skipped)) return skipAsync(ex, next, config, health, skipped, fields);
      if (skipped) return proceed(ex, next);
    }
    return decide(ex, next, config, health, fields);
  });
}

async function skipAsync(
  ex: Exchange,
  next: Next,
  config: ThrottleConfig,
  health: StoreHealth,
  skipped: PromiseLike<boolean>,
  fields: RateLimitFields | undefined,
): Promise<void> {
  if (await skipped) return proceed(ex, next);
  return decide(ex, next, config, health, fields);
}

/** `fields`: where the RateLimit items go when usage plans collect them (else onto the response). */
function decide(
  ex: Exchange,
  next: Next,
  config: ThrottleConfig,
  health: StoreHealth,
  fields: RateLimitFields | undefined,
): void | PromiseLike<void> {
  // Key and cost errors are the app's errors: they propagate (never a shared bucket).
  const key = config.prefix + config.keyOf(ex);
  const cost = typeof config.cost === 'number' ? config.cost : checkedCost(config.cost(ex.native));
  const { bucket } = config;
  // More than the bucket holds can never be admitted: a 429 with a Retry-After would be a lie.
  if (cost > bucket.burst) {
    fields?.write(ex);
    return sendPrepared(ex, config.costTooHigh);
  }
  const params: BucketParams = {
    emissionIntervalMs: bucket.emissionIntervalMs,
    burst: bucket.burst,
    cost,
    now: config.clock.now(),
  };
  const takeNow = config.takeTokensNow;
  if (takeNow === undefined) return decideLater(ex, next, config, health, key, params, fields);
  let result: BucketResult;
  try {
    result = takeNow(key, params);
  } catch (err) {
    return storeFailed(ex, next, config, health, err, fields);
  }
  return settle(ex, next, config, health, result, fields);
}

async function decideLater(
  ex: Exchange,
  next: Next,
  config: ThrottleConfig,
  health: StoreHealth,
  key: string,
  params: BucketParams,
  fields: RateLimitFields | undefined,
): Promise<void> {
  let result: BucketResult;
  try {
    result = await config.store.consumeBucket(key, params);
  } catch (err) {
    return storeFailed(ex, next, config, health, err, fields);
  }
  return settle(ex, next, config, health, result, fields);
}

/** A store failure admits the request (`onStoreError: 'open'`) or answers 503. */
function storeFailed(
  ex: Exchange,
  next: Next,
  config: ThrottleConfig,
  health: StoreHealth,
  err: unknown,
  fields: RateLimitFields | undefined,
): void | PromiseLike<void> {
  if (config.failOpen) {
    health.failed(err, 'admitting requests without throttling until it recovers');
    return proceed(ex, next);
  }
  health.failed(err, 'answering 503 until it recovers');
  fields?.write(ex);
  sendPrepared(ex, config.unavailable);
}

/** Applies a bucket decision: records it, sets the RateLimit fields, continues or refuses. */
function settle(
  ex: Exchange,
  next: Next,
  config: ThrottleConfig,
  health: StoreHealth,
  result: BucketResult,
  fields: RateLimitFields | undefined,
): void | PromiseLike<void> {
  health.ok();
  const { bucket } = config;
  recordThrottle(ex, config.name, bucket.burst, result);
  if (config.headers) {
    if (fields === undefined)
      setRateLimitFields(ex, bucket.policy, bucket.label, result.remaining, result.resetMs);
    else fields.add(bucket.policy, bucket.label, result.remaining, result.resetMs);
  }
  if (result.allowed) return proceed(ex, next);
  // A refusal ends the pass here: the items collected so far go out with it.
  fields?.write(ex);
  if (config.onLimit !== undefined) return refuseAfterOnLimit(ex, config, result);
  sendPrepared(ex, config.tooManyRequests, retryAfter(result.retryAfterMs));
}

async function refuseAfterOnLimit(
  ex: Exchange,
  config: ThrottleConfig,
  result: BucketResult,
): Promise<void> {
  await config.onLimit?.(ex.native);
  sendPrepared(ex, config.tooManyRequests, retryAfter(result.retryAfterMs));
}

function isThenable(value: unknown): value is PromiseLike<boolean> {
  return typeof (value as PromiseLike<boolean> | null)?.then === 'function';
}

/** A `cost(req)` result must be a whole number of tokens. */
function checkedCost(cost: unknown): number {
  if (typeof cost !== 'number' || !Number.isInteger(cost) || cost < 0) {
    throw new TypeError(
      `portcullis.throttle: cost(req) must return a whole number of tokens (0 or more), got ${String(cost)}`,
    );
  }
  return cost;
}
