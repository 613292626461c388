/** portcullis: API gateway middlewares for Express and Koa. Neutral entry: never imports a framework. */

import './augment.js';

export type { Clock } from './core/clock.js';
export { systemClock } from './core/clock.js';
export type {
  ApiKeyInfo,
  GatewayContext,
  IntegrationErrorKind,
  ThrottleInfo,
} from './core/context.js';
export {
  type ErrorResponseOptions,
  GATEWAY_RESPONSES,
  type GatewayResponseKind,
} from './core/errors.js';
export type {
  AnyRequest,
  ExpressNext,
  GatewayMiddleware,
  KoaContextLike,
} from './core/middleware.js';
export { type Gateway, gateway } from './gateway.js';
export {
  CACHE_DEFAULTS,
  type CacheControls,
  type CacheMiddleware,
  type CacheOptions,
  type CacheStats,
  cache,
  type InvalidationPredicate,
  type InvalidationTarget,
} from './middleware/cache/index.js';
export {
  CORS_DEFAULTS,
  type CorsOptions,
  cors,
  type OriginPredicate,
} from './middleware/cors/index.js';
export {
  METRICS_DEFAULTS,
  type MetricsMiddleware,
  type MetricsOptions,
  type MetricsRegistry,
  type MetricsStoreSource,
  metrics,
} from './middleware/metrics/index.js';
export {
  type HeaderTransforms,
  type PathRewriteFunction,
  PROXY_DEFAULTS,
  type ProxyExtras,
  type ProxyMiddleware,
  type ProxyOptions,
  proxy,
  type TargetFunction,
  type TargetUrl,
  type UpgradeHandler,
} from './middleware/proxy/index.js';
export {
  type StoreErrorMode,
  THROTTLE_DEFAULTS,
  type ThrottleKey,
  type ThrottleOptions,
  throttle,
} from './middleware/throttle/index.js';
export {
  type ApiKeyInput,
  type DayInput,
  type KeyManagement,
  type PlanOptions,
  type PlanQuota,
  type PlanThrottle,
  type QuotaPeriod,
  USAGE_PLANS_DEFAULTS,
  type UsageDay,
  type UsagePlansMiddleware,
  type UsagePlansOptions,
  type UsagePlansResponses,
  type UsageReport,
  usagePlans,
} from './middleware/usage-plans/index.js';
export type { CacheEntry, CacheGenerations, CacheStore, CacheUsage } from './stores/cache.js';
export { type MemoryCacheStoreOptions, memoryCacheStore } from './stores/memory/cache.js';
export {
  MEMORY_STORE_DEFAULTS,
  type MemoryStore,
  type MemoryStoreOptions,
  memoryStore,
} from './stores/memory/index.js';
export type {
  BucketParams,
  BucketResult,
  BucketStep,
  ExpectedKey,
  GatewayStore,
  KeyRecord,
  KeyStore,
  PlanOutcome,
  PlanStore,
  QuotaParams,
  QuotaResult,
  QuotaStep,
  QuotaStore,
  RateStore,
} from './stores/types.js';
