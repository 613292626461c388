export {
  type QuotaLimiter,
  RATE_LIMITER_FLEXIBLE_QUOTA_DEFAULTS,
  type RateLimiterFlexibleQuotaOptions,
  rateLimiterFlexibleQuota,
} from './quota-store.js';
