export { type CacheControls, type CacheMiddleware, type CacheStats, cache } from './cache.js';
export type { InvalidationTarget } from './manage.js';
export { CACHE_DEFAULTS, type CacheOptions, type InvalidationPredicate } from './options.js';
