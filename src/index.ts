/** portcullis: API gateway middlewares for Express and Koa. Neutral entry: never imports a framework. */

import './augment.js';

export type { Clock } from './core/clock.js';
export { systemClock } from './core/clock.js';
export type { ApiKeyInfo, GatewayContext, ThrottleInfo } from './core/context.js';
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
export type { CacheEntry, CacheStore, CacheUsage } from './stores/cache.js';
export { type MemoryCacheStoreOptions, memoryCacheStore } from './stores/memory/cache.js';
