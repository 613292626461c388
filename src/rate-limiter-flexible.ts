/**
 * `portcullis/rate-limiter-flexible`: a quota store on rate-limiter-flexible's backends
 * (DynamoDB, Postgres, MongoDB, MySQL, Memcached...), in its own entry beside `portcullis/redis`.
 * It never imports the package: the app creates the limiter and passes it in.
 */

export {
  type QuotaLimiter,
  RATE_LIMITER_FLEXIBLE_QUOTA_DEFAULTS,
  type RateLimiterFlexibleQuotaOptions,
  rateLimiterFlexibleQuota,
} from './stores/rate-limiter-flexible/index.js';
